//! The pure helpers of the page modules (formatting, completion context,
//! variable expansion, matcher parsing), run in the browser.

use serde_json::json;

use crate::webdriver::Browser;

/// Imports the modules in the page and checks their helpers' results.
pub async fn check(b: &Browser) {
    // The pure helpers of the page modules.
    let units = b
        .js(
            "return Promise.all([import('/ui/js/format.js'), import('/ui/js/editor.js'), import('/ui/js/dashboard.js'), import('/ui/js/pages/alerts.js')])\
             .then(([f, e, d, a]) => ({\
               bytes: f.fmtValue(1536, 'bytes'), pct: f.fmtValue(0.256, 'percentunit'), secs: f.fmtValue(0.0042, 's'),\
               bps: f.fmtValue(2.5e6, 'Bps'), dur: f.parseDuration('1h30m'), bad: f.parseDuration('1x'), fdur: f.fmtDuration(5400),\
               legend: f.legendName({instance: 'a', job: 'b'}, '{{job}} @ {{ instance }}'),\
               ctxMetric: e.context('rate(node_cpu', 13), ctxLabel: e.context('up{jo', 5), ctxValue: e.context('up{job=\"no', 10),\
               ctxBy: e.context('sum by (ins', 11), pos: e.errorPosition('1:5: parse error', 'abcdefgh'),\
               lv: d.parseLabelValues('label_values(up{job=\"x\"}, instance)'),\
               expand: d.expand('a{i=~\"$i\",j=\"${j}\",k=\"[[k]]\"}', {i: ['x', 'y.z'], j: 'J', k: ['$__all']}),\
               matchers: a.parseMatchers('{alertname=\"A\", sev=~\"c.*\", x!=\"y\"}'),\
             }))",
            json!([]),
        )
        .await;
    assert_eq!(units["bytes"], "1.50 KiB");
    assert_eq!(units["pct"], "25.6%");
    assert_eq!(units["secs"], "4.20 ms");
    assert_eq!(units["bps"], "2.50 MB/s");
    assert_eq!(units["dur"], 5400);
    assert!(
        units["bad"].is_null(),
        "NaN comes back as null: {}",
        units["bad"]
    );
    assert_eq!(units["fdur"], "1h30m");
    assert_eq!(units["legend"], "b @ a");
    assert_eq!(
        units["ctxMetric"],
        json!({"kind": "metric", "prefix": "node_cpu", "from": 5})
    );
    assert_eq!(
        units["ctxLabel"],
        json!({"kind": "label", "prefix": "jo", "from": 3, "metric": "up"})
    );
    assert_eq!(
        units["ctxValue"],
        json!({"kind": "value", "label": "job", "prefix": "no", "from": 8, "metric": "up"})
    );
    assert_eq!(units["ctxBy"]["kind"], "label");
    assert_eq!(units["pos"], 4);
    assert_eq!(
        units["lv"],
        json!({"selector": "up{job=\"x\"}", "label": "instance"})
    );
    assert_eq!(units["expand"], "a{i=~\"(x|y\\.z)\",j=\"J\",k=\".*\"}");
    assert_eq!(
        units["matchers"],
        json!([
        {"name": "alertname", "value": "A", "isRegex": false, "isEqual": true},
        {"name": "sev", "value": "c.*", "isRegex": true, "isEqual": true},
        {"name": "x", "value": "y", "isRegex": false, "isEqual": false}])
    );
}
