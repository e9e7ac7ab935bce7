//! Browser tests: the UI in headless Chromium against the real API routers
//! over generated data. Skipped (with the reason printed) when chromium or
//! chromedriver is missing. Screenshots go to `<target>/ui-screenshots/`.

mod helpers;
mod server;
mod webdriver;

use std::path::PathBuf;

use serde_json::json;
use webdriver::Browser;

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("ui-screenshots"))
        .unwrap_or_else(|| PathBuf::from("ui-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads `path` and waits until the page says it rendered.
async fn open(b: &Browser, base: &str, path: &str, page: &str) {
    b.goto(&format!("{base}{path}")).await;
    b.wait(
        &format!("document.getElementById('main').dataset.page === '{page}' && document.getElementById('main').dataset.rendered"),
        &format!("{path} to render"),
        60,
    )
    .await;
}

async fn assert_no_errors(b: &Browser, what: &str) {
    assert_no_errors_but(b, what, &[]).await;
}

/// As [`assert_no_errors`], allowing log lines containing one of `allowed`.
async fn assert_no_errors_but(b: &Browser, what: &str, allowed: &[&str]) {
    let errors: Vec<String> = b
        .errors()
        .await
        .into_iter()
        .filter(|e| !allowed.iter().any(|a| e.contains(a)))
        .collect();
    assert!(errors.is_empty(), "{what}: console errors: {errors:#?}");
}

/// The number of series drawn in the panel titled `title`.
async fn panel_series(b: &Browser, title: &str) -> i64 {
    let v = b
        .js(
            "const p = document.querySelector(`section.panel[data-title=\"${arguments[0]}\"]`);\
             if (!p) return -1;\
             if (p.querySelector('.error')) return -2;\
             return Number(p.querySelector('.panel-body').dataset.series || 0);",
            json!([title]),
        )
        .await;
    v.as_i64().unwrap_or(-3)
}

/// How many pixels of the first plot canvas in `css` are painted.
async fn painted(b: &Browser, css: &str) -> i64 {
    b.js(
        "const c = document.querySelector(arguments[0] + ' canvas.plot');\
         if (!c) return -1;\
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
         let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;\
         return n;",
        json!([css]),
    )
    .await
    .as_i64()
    .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_pages_work_in_headless_chromium() {
    if let Some(why) = webdriver::missing() {
        println!("skipping browser tests: {why}");
        return;
    }
    let srv = server::start().await;
    let base = srv.base.clone();
    let shots = screenshots();
    // An alert for the notifier, so groups, silences and history have data.
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v2/alerts"))
        .json(&json!([{"labels": {"alertname": "HighLoad", "instance": "host-b:9100", "severity": "warning"},
            "annotations": {"summary": "Load is high on host-b"}}]))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let b = Browser::start(1400, 1000).await;

    // Overview: non-empty charts for CPU, memory, disk and network.
    open(&b, &base, "/", "overview").await;
    for title in [
        "CPU usage by mode",
        "Memory used and available",
        "Disk space available per mount",
        "Disk I/O",
        "Network traffic",
        "Load average",
        "Disk space used per mount",
        "CPU busy",
        "Memory used",
    ] {
        let n = panel_series(&b, title).await;
        assert!(n > 0, "overview panel {title:?}: {n}");
    }
    assert!(painted(&b, "section.panel[data-title='CPU usage by mode']").await > 500);
    b.wait(
        "document.querySelector('.alerts-banner .banner.firing')",
        "the firing alert banner",
        20,
    )
    .await;
    // Hover lists every series at that time; the legend toggles series.
    let tip = b
        .js(
            "const p = document.querySelector(\"section.panel[data-title='CPU usage by mode']\");\
             const o = p.querySelector('canvas.overlay'); const r = o.getBoundingClientRect();\
             o.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.6, clientY: r.top + 50, bubbles: true}));\
             const t = p.querySelector('.tooltip');\
             return t.hidden ? null : [...t.querySelectorAll('.tip-name')].map(e => e.textContent).sort();",
            json!([]),
        )
        .await;
    assert_eq!(tip, json!(["iowait", "system", "user"]), "tooltip rows");
    b.screenshot(&shots.join("overview-hover.png")).await;
    let off = b
        .js(
            "const p = document.querySelector(\"section.panel[data-title='CPU usage by mode']\");\
             p.querySelector('.legend-item').click();\
             return p.querySelectorAll('.legend-item.off').length;",
            json!([]),
        )
        .await;
    assert_eq!(off, json!(1), "a legend click hides one series");
    // The time range picker re-queries and lands in the URL.
    b.js(
        "const s = document.querySelector('.range-select'); s.value = '30m'; s.dispatchEvent(new Event('change'));",
        json!([]),
    )
    .await;
    b.wait(
        "location.search.includes('from=30m')",
        "the range in the URL",
        20,
    )
    .await;
    b.wait(
        "Number(document.getElementById('main').dataset.rendered) >= 2",
        "the re-render",
        30,
    )
    .await;
    assert!(panel_series(&b, "Network traffic").await > 0);
    b.screenshot(&shots.join("overview.png")).await;
    b.js("document.getElementById('theme-toggle').click()", json!([]))
        .await;
    b.screenshot(&shots.join("overview-dark.png")).await;
    b.js("document.getElementById('theme-toggle').click()", json!([]))
        .await;
    assert_no_errors(&b, "overview").await;

    // Explore: type a query, get a graph, then a table.
    b.goto(&format!("{base}/explore?range=1h")).await;
    b.wait("document.getElementById('expr')", "the editor", 30)
        .await;
    b.type_into("#expr", "sum by (mode) (rate(node_cpu_seconds_total[5m]))")
        .await;
    b.type_into("#expr", "\u{E007}").await;
    b.wait(
        "document.getElementById('explore-out').dataset.state === 'done'",
        "the graph",
        60,
    )
    .await;
    let series = b
        .js(
            "return Number(document.getElementById('explore-out').dataset.series)",
            json!([]),
        )
        .await;
    assert_eq!(series, json!(4), "one series per mode");
    assert!(painted(&b, "#explore-out").await > 500);
    let url = b.js("return location.search", json!([])).await;
    assert!(url.as_str().unwrap().contains("q=sum"), "{url}");
    b.screenshot(&shots.join("explore-graph.png")).await;
    b.click("button[data-tab='table']").await;
    b.wait(
        "document.querySelectorAll('#explore-out table.data tbody tr').length === 4",
        "the table",
        30,
    )
    .await;
    b.screenshot(&shots.join("explore-table.png")).await;
    // Completion offers metric names.
    b.js(
        "const e = document.getElementById('expr'); e.value = ''; e.focus();",
        json!([]),
    )
    .await;
    b.type_into("#expr", "node_netw").await;
    b.wait(
        "[...document.querySelectorAll('.completions li')].some(li => li.textContent.includes('node_network_receive_bytes_total'))",
        "metric name completion",
        20,
    )
    .await;
    b.type_into("#expr", "ork_receive_bytes_total{dev").await;
    b.wait(
        "[...document.querySelectorAll('.completions li')].some(li => li.textContent.includes('device'))",
        "label name completion",
        20,
    )
    .await;
    b.type_into("#expr", "ice=\"").await;
    b.wait(
        "[...document.querySelectorAll('.completions li')].some(li => li.textContent.includes('eth0'))",
        "label value completion",
        20,
    )
    .await;
    b.screenshot(&shots.join("explore-completion.png")).await;
    // A bad query shows the message and where.
    b.js("const e = document.getElementById('expr'); e.value = 'sum(rate(up[5m])'; e.dispatchEvent(new Event('input'));", json!([])).await;
    b.click("#run").await;
    b.wait(
        "document.getElementById('explore-out').dataset.state === 'error'",
        "the error",
        30,
    )
    .await;
    let msg = b
        .js(
            "return document.querySelector('.query-error').innerText",
            json!([]),
        )
        .await;
    println!("query error shown: {msg}");
    assert!(msg.as_str().unwrap().len() > 5, "{msg}");
    b.screenshot(&shots.join("explore-error.png")).await;
    // The deliberate bad query is the only 400.
    assert_no_errors_but(
        &b,
        "explore",
        &["/api/v1/query - Failed to load resource: the server responded with a status of 400"],
    )
    .await;

    // The big chart: 50 series x 10,000 points, drawn in the page.
    let ms = b
        .js(
            "return import('/ui/js/chart.js').then(m => {\
               const box = document.createElement('div'); box.id = 'bigchart';\
               box.style.cssText = 'width:1200px;position:fixed;top:0;left:0;z-index:100;background:var(--panel)';\
               document.body.appendChild(box);\
               const c = new m.TimeChart(box, {height: 400, legend: false});\
               const n = 10000, end = Date.now(), start = end - n * 1000, series = [];\
               for (let s = 0; s < 50; s++) {\
                 const t = new Float64Array(n), v = new Float64Array(n); let x = s;\
                 for (let i = 0; i < n; i++) { t[i] = start + i * 1000; x += Math.sin(i * 0.01 + s) + (Math.random() - 0.5); v[i] = x; }\
                 series.push({name: 's' + s, labels: {}, t, v});\
               }\
               c.setData(series, {start, end}, 1000);\
               const times = [];\
               const g = c.canvas.getContext('2d');\
               for (let k = 0; k < 7; k++) {\
                 const t0 = performance.now(); c.draw(); g.getImageData(0, 0, 1, 1);\
                 times.push(performance.now() - t0);\
               }\
               times.sort((a, b) => a - b);\
               return times;\
             })",
            json!([]),
        )
        .await;
    b.screenshot(&shots.join("big-chart.png")).await;
    b.js("document.getElementById('bigchart').remove()", json!([]))
        .await;
    let times: Vec<f64> = ms
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let median = times[times.len() / 2];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "big chart (50 series x 10,000 points, 1200x400 px, rasterized): best {:.1} ms, median {median:.1} ms, all {times:?} (load average {})",
        times[0],
        load.split_whitespace().next().unwrap_or("?")
    );
    assert_eq!(times.len(), 7);

    helpers::check(&b).await;

    // Dashboards: list, the HTTP service dashboard, a Grafana import.
    open(&b, &base, "/dashboards/http-service", "dashboards").await;
    for title in [
        "Request rate by endpoint",
        "95th-percentile latency by endpoint",
        "Responses by status code",
        "Total requests",
        "Status-code distribution",
        "Requests by endpoint and code",
    ] {
        let n = panel_series(&b, title).await;
        assert!(n > 0, "http-service panel {title:?}: {n}");
    }
    b.screenshot(&shots.join("dashboard-http-service.png"))
        .await;
    assert_no_errors(&b, "http-service dashboard").await;
    b.goto(&format!("{base}/dashboards")).await;
    b.wait(
        "document.getElementById('import-json')",
        "the import form",
        30,
    )
    .await;
    b.wait(
        "document.querySelectorAll('.dash-list a').length >= 3",
        "the dashboard list",
        30,
    )
    .await;
    b.screenshot(&shots.join("dashboards.png")).await;
    let grafana = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/grafana-node.json"
    ))
    .unwrap();
    b.js(
        "document.getElementById('import-json').value = arguments[0]",
        json!([grafana]),
    )
    .await;
    b.click("#import-button").await;
    b.wait("location.pathname === '/dashboards/imported/test-node' && document.getElementById('main').dataset.rendered", "the imported dashboard", 60).await;
    for title in [
        "CPU Busy",
        "RAM Total",
        "Disk used",
        "CPU by mode",
        "Network (old graph panel)",
        "Filesystems",
    ] {
        let n = panel_series(&b, title).await;
        assert!(n > 0, "imported panel {title:?}: {n}");
    }
    assert!(painted(&b, "section.panel[data-title='CPU by mode']").await > 500);
    b.screenshot(&shots.join("dashboard-grafana-import.png"))
        .await;
    assert_no_errors(&b, "imported dashboard").await;

    // Alerts: rules, groups; create a silence from an alert.
    open(&b, &base, "/alerts", "alerts").await;
    b.wait("document.querySelector('#rules table')", "the rules", 20)
        .await;
    b.wait(
        "document.querySelector('.silence-btn')",
        "an alert group with a silence button",
        30,
    )
    .await;
    b.screenshot(&shots.join("alerts.png")).await;
    b.click(".silence-btn").await;
    b.type_into("#silence-author", "ui-test").await;
    b.type_into("#silence-comment", "created in the browser test")
        .await;
    b.click("#silence-save").await;
    b.wait(
        "document.getElementById('silence-saved')",
        "the silence to be saved",
        30,
    )
    .await;
    b.wait(
        "document.querySelector('#silences tr[data-silence]')",
        "the silence list",
        30,
    )
    .await;
    let sil: serde_json::Value = http
        .get(format!("{base}/api/v2/silences"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = sil.as_array().unwrap();
    assert!(
        list.iter().any(|s| s["createdBy"] == "ui-test"
            && s["comment"] == "created in the browser test"
            && s["matchers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["name"] == "alertname" && m["value"] == "HighLoad")),
        "{sil}"
    );
    b.screenshot(&shots.join("alerts-silenced.png")).await;
    // The webhook delivered to our own /alert: it shows in the received list.
    b.js(
        "document.querySelector('#silence-form-box').replaceChildren()",
        json!([]),
    )
    .await;
    b.goto(&format!("{base}/alerts")).await;
    b.wait(
        "document.querySelector('#received tbody tr')",
        "an alert received on /alert",
        30,
    )
    .await;
    b.wait(
        "document.querySelector('#history tbody tr')",
        "the notification history",
        30,
    )
    .await;

    // Expire it from the list.
    b.click("#silences tr[data-silence] button:nth-of-type(2)")
        .await;
    b.wait(
        "document.querySelector('#silences .state-expired')",
        "the silence to expire",
        30,
    )
    .await;
    let sil: serde_json::Value = http
        .get(format!("{base}/api/v2/silences"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        sil.as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"]["state"] == "expired"),
        "{sil}"
    );
    assert_no_errors(&b, "alerts").await;

    // Targets and status.
    open(&b, &base, "/targets", "targets").await;
    let rows = b
        .js(
            "return document.querySelectorAll('#targets tbody tr').length",
            json!([]),
        )
        .await;
    assert_eq!(rows, json!(4));
    b.screenshot(&shots.join("targets.png")).await;
    open(&b, &base, "/status", "status").await;
    let text = b
        .js(
            "return document.getElementById('main').innerText",
            json!([]),
        )
        .await;
    let text = text.as_str().unwrap();
    for want in [
        "node_cpu_seconds_total",
        "scrape_interval",
        "telltale_tsdb_blocks_loaded",
        "web.listen-address",
    ] {
        assert!(text.contains(want), "status page lacks {want}");
    }
    b.screenshot(&shots.join("status.png")).await;
    assert_no_errors(&b, "targets and status").await;

    // A phone-sized overview.
    b.set_size(390, 844).await;
    open(&b, &base, "/", "overview").await;
    assert!(panel_series(&b, "CPU usage by mode").await > 0);
    b.screenshot(&shots.join("overview-phone.png")).await;
    assert_no_errors(&b, "phone overview").await;
    println!("screenshots in {}", shots.display());
}
