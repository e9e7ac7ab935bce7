//! Limits, cancellation and hostile queries: the engine fails cleanly and
//! never panics.

use std::time::Duration;

use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{CancelToken, Engine, EngineOptions, PromqlError, Value, format_query};

fn data() -> MemStorage {
    let db = MemStorage::new();
    for i in 0..50 {
        let inst = format!("i{i}");
        let l = Labels::from_pairs(&[("__name__", "m_total"), ("instance", &inst), ("job", "j")]);
        db.insert(l, (0..200).map(|k| Sample::new(k * 15_000, (k * i) as f64)));
    }
    db
}

#[test]
fn too_many_samples_fails_cleanly() {
    let db = data();
    let e = Engine::new(EngineOptions {
        max_samples: 1_000,
        ..EngineOptions::default()
    });
    let err = e
        .range_query(&db, "m_total", 0, 3_000_000, 15_000, &CancelToken::new())
        .unwrap_err();
    assert!(
        matches!(err, PromqlError::TooManySamples { limit: 1_000, .. }),
        "{err}"
    );
    assert_eq!(err.error_type(), "execution");
    // The engine keeps serving small queries.
    let ok = e
        .instant_query(&db, "count(m_total)", 60_000, &CancelToken::new())
        .unwrap();
    assert_eq!(
        ok.value,
        Value::Vector(vec![telltale_promql::VectorSample {
            labels: Labels::empty(),
            t: 60_000,
            v: 50.0,
        }])
    );
}

#[test]
fn huge_subquery_grid_is_rejected() {
    let db = data();
    let e = Engine::new(EngineOptions::default());
    let err = e
        .instant_query(
            &db,
            "max_over_time(m_total[100y:1ms])",
            0,
            &CancelToken::new(),
        )
        .unwrap_err();
    assert!(matches!(err, PromqlError::TooManySamples { .. }), "{err}");
}

#[test]
fn canceled_query_stops() {
    let db = data();
    let e = Engine::new(EngineOptions::default());
    let c = CancelToken::new();
    c.cancel();
    let err = e.instant_query(&db, "sum(m_total)", 0, &c).unwrap_err();
    assert_eq!(err.error_type(), "canceled");
}

#[test]
fn timeout_is_reported() {
    let db = data();
    let e = Engine::new(EngineOptions {
        timeout: Duration::ZERO,
        ..EngineOptions::default()
    });
    let err = e
        .range_query(
            &db,
            "sum(rate(m_total[5m]))",
            0,
            3_000_000,
            15_000,
            &CancelToken::new(),
        )
        .unwrap_err();
    assert_eq!(err.error_type(), "timeout");
}

#[test]
fn odd_queries_do_not_panic() {
    let db = data();
    let e = Engine::new(EngineOptions {
        enable_experimental: true,
        ..EngineOptions::default()
    });
    let queries = [
        "m_total @ 9223372036854775",
        "m_total offset -100y",
        "rate(m_total[1ms])",
        "m_total[5m:1ms] @ -9223372036854775",
        "topk(1e300, m_total)",
        "bottomk(-1, m_total)",
        "quantile(2, m_total)",
        "histogram_quantile(0.5, m_total)",
        "label_replace(m_total, \"x\", \"$99\", \"instance\", \"(.*)\")",
        "label_replace(m_total, \"\", \"a\", \"instance\", \"(.*)\")",
        "count_values(\"\", m_total)",
        "m_total / on(job) m_total",
        "m_total + on(instance) group_left m_total",
        "sort_by_label(m_total, \"instance\")",
        "absent(nope{a=\"b\", a=\"c\"})",
        "scalar(m_total)",
        "vector(1) and on() vector(2)",
        "1 / 0",
        "-(-(-m_total))",
        "limit_ratio(0.5, m_total)",
        "double_exponential_smoothing(m_total[5m], 0.5, 0.5)",
        "predict_linear(m_total[5m], 1e300)",
        "round(m_total, 0)",
        "clamp(m_total, 5, 1)",
        "rate(m_total[5m:])[10m:]",
        "{__name__=~\".+\"}",
        "year(vector(1e300))",
        "foo{",
    ];
    for q in queries {
        for (s, end) in [(0, 0), (0, 600_000)] {
            let _ = e.range_query(&db, q, s, end.max(s), 60_000, &CancelToken::new());
            let _ = e.instant_query(&db, q, end, &CancelToken::new());
        }
    }
}

#[test]
fn format_query_prettifies() {
    assert_eq!(
        format_query("sum(rate(x[5m])) by (job)").unwrap(),
        "sum by (job) (rate(x[5m]))"
    );
    assert_eq!(format_query("foo{").unwrap_err().error_type(), "bad_data");
}

#[test]
fn experimental_features_need_the_switch() {
    let db = data();
    let e = Engine::new(EngineOptions::default());
    for q in [
        "sort_by_label(m_total, \"instance\")",
        "limitk(1, m_total)",
        "limit_ratio(0.5, m_total)",
        "double_exponential_smoothing(m_total[5m], 0.5, 0.5)",
        "mad_over_time(m_total[5m])",
        "info(m_total)",
        "m_total + fill(0) m_total",
    ] {
        let err = e
            .instant_query(&db, q, 60_000, &CancelToken::new())
            .unwrap_err();
        assert_eq!(err.error_type(), "bad_data", "{q}: {err}");
    }
    let ok = e.instant_query(&db, "sum(rate(m_total[5m]))", 600_000, &CancelToken::new());
    assert!(ok.is_ok());
}

#[test]
fn rewriters_handle_multibyte_text() {
    let db = data();
    let e = Engine::new(EngineOptions {
        enable_experimental: true,
        ..EngineOptions::default()
    });
    for q in [
        "offseé",
        "m_total offseé",
        "anchoreé(",
        "m_total{a=\"é\"} smoothéd",
        "é[1m+1m]",
        "smootheé",
    ] {
        let _ = e.instant_query(&db, q, 0, &CancelToken::new());
    }
}

#[test]
fn parse_query_json_describes_the_tree() {
    let j = telltale_promql::parse_query_json("sum by (job) (rate(x[5m]))").unwrap();
    assert!(j.contains("\"type\":\"aggregation\""), "{j}");
    assert!(j.contains("rate"), "{j}");
}
