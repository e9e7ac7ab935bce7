//! Random expressions over a small data set: evaluation never panics and
//! never runs away (the fuzz target's property, run on stable).

use proptest::prelude::*;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{CancelToken, Engine, EngineOptions};

fn data() -> MemStorage {
    let db = MemStorage::new();
    for (i, name) in ["a_total", "b", "c_bucket"].iter().enumerate() {
        for j in 0..3 {
            let inst = format!("i{j}");
            let le = ["0.1", "1", "+Inf"][j];
            let l = Labels::from_pairs(&[("__name__", name), ("instance", &inst), ("le", le)]);
            db.insert(
                l,
                (0..40).map(|k| {
                    Sample::new(
                        k * 15_000,
                        ((k * (i as i64 + 1) + j as i64) % 17) as f64 - 3.0,
                    )
                }),
            );
        }
    }
    db
}

fn vector_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a_total".to_string()),
        Just("b".to_string()),
        Just("c_bucket{le=~\".+\"}".to_string()),
        Just("b offset -1m".to_string()),
        Just("a_total @ 120".to_string()),
        Just("vector(time())".to_string()),
        Just("nonexistent".to_string()),
    ];
    leaf.prop_recursive(4, 32, 3, |inner| {
        let range_fn = prop::sample::select(vec![
            "rate",
            "increase",
            "delta",
            "irate",
            "idelta",
            "deriv",
            "changes",
            "resets",
            "avg_over_time",
            "sum_over_time",
            "min_over_time",
            "max_over_time",
            "stddev_over_time",
            "last_over_time",
            "present_over_time",
            "absent_over_time",
            "mad_over_time",
            "count_over_time",
        ]);
        let inst_fn = prop::sample::select(vec![
            "abs",
            "ceil",
            "floor",
            "exp",
            "ln",
            "sqrt",
            "sgn",
            "timestamp",
            "sort",
            "sort_desc",
            "absent",
            "-",
        ]);
        let agg = prop::sample::select(vec![
            "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar",
        ]);
        let binop = prop::sample::select(vec![
            "+",
            "-",
            "*",
            "/",
            "%",
            "^",
            "==",
            "!=",
            ">",
            "<",
            "and",
            "or",
            "unless",
            "> bool",
            "+ on(instance)",
            "* ignoring(le)",
            "/ on(instance) group_left",
        ]);
        prop_oneof![
            (
                range_fn,
                inner.clone(),
                prop::sample::select(vec!["1m", "5m", "30s"])
            )
                .prop_map(|(f, e, r)| format!("{f}(({e})[{r}:15s])")),
            (inst_fn, inner.clone()).prop_map(|(f, e)| if f == "-" {
                format!("-({e})")
            } else {
                format!("{f}({e})")
            }),
            (
                agg,
                inner.clone(),
                prop::sample::select(vec!["", " by (instance)", " without (le)"])
            )
                .prop_map(|(a, e, g)| format!("{a}{g} ({e})")),
            (inner.clone(), binop, inner.clone()).prop_map(|(l, o, r)| format!("({l}) {o} ({r})")),
            (
                prop::sample::select(vec!["topk", "bottomk", "limitk", "quantile", "limit_ratio"]),
                inner.clone()
            )
                .prop_map(|(a, e)| format!("{a}(0.5, {e})")),
            inner
                .clone()
                .prop_map(|e| format!("histogram_quantile(0.9, {e})")),
            inner
                .clone()
                .prop_map(|e| format!("count_values(\"v\", {e})")),
            inner.prop_map(|e| format!(
                "label_replace({e}, \"x\", \"$1\", \"instance\", \"i(.*)\")"
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn evaluation_never_panics(q in vector_expr(), t in 0i64..700_000) {
        let db = data();
        let e = Engine::new(EngineOptions { enable_experimental: true, max_samples: 200_000, ..EngineOptions::default() });
        let c = CancelToken::new();
        let _ = e.instant_query(&db, &q, t, &c);
        let _ = e.range_query(&db, &q, t, t + 300_000, 30_000, &c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(
        q in "[a-z_{}()\\[\\]@:,=~!\"'+*/^%<> 0-9.é-]{0,40}",
        extra in prop::sample::select(vec!["", " offset 1m+1m", " smoothed", " anchored", "[5m:]"]),
    ) {
        let db = data();
        let e = Engine::new(EngineOptions { enable_experimental: true, ..EngineOptions::default() });
        let q = format!("{q}{extra}");
        let _ = e.instant_query(&db, &q, 60_000, &CancelToken::new());
        let _ = e.range_query(&db, &q, 0, 120_000, 60_000, &CancelToken::new());
    }
}
