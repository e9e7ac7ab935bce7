//! Fuzzes the PromQL engine: arbitrary query text is parsed and, when it
//! parses, evaluated (instant and range) over a small fixed data set with a
//! short timeout and a small sample limit. Nothing may panic or hang past
//! the timeout.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{CancelToken, Engine, EngineOptions};

fn data() -> &'static MemStorage {
    static DB: OnceLock<MemStorage> = OnceLock::new();
    DB.get_or_init(|| {
        let db = MemStorage::new();
        for (i, job) in ["api", "db"].iter().enumerate() {
            for inst in 0..3 {
                let inst = format!("h{inst}:9100");
                let c = Labels::from_pairs(&[
                    ("__name__", "http_requests_total"),
                    ("job", job),
                    ("instance", &inst),
                ]);
                db.insert(c, (0..60).map(|t| Sample::new(t * 15_000, (t * (i as i64 + 1)) as f64)));
                for le in ["0.1", "1", "+Inf"] {
                    let b = Labels::from_pairs(&[
                        ("__name__", "req_seconds_bucket"),
                        ("job", job),
                        ("instance", &inst),
                        ("le", le),
                    ]);
                    db.insert(b, (0..60).map(|t| Sample::new(t * 15_000, t as f64)));
                }
                let g = Labels::from_pairs(&[("__name__", "temp"), ("job", job), ("instance", &inst)]);
                db.insert(g, (0..60).map(|t| Sample::new(t * 15_000, ((t % 7) as f64) - 3.5)));
            }
        }
        db
    })
}

fuzz_target!(|data_in: &[u8]| {
    let query = String::from_utf8_lossy(data_in);
    if query.len() > 512 {
        return;
    }
    let engine = Engine::new(EngineOptions {
        timeout: Duration::from_secs(1),
        max_samples: 100_000,
        enable_experimental: true,
        ..EngineOptions::default()
    });
    let db = data();
    let token = CancelToken::new();
    let _ = engine.instant_query(db, &query, 600_000, &token);
    let _ = engine.range_query(db, &query, 0, 900_000, 60_000, &token);
});
