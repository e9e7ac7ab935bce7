//! Criterion benchmarks of PromQL evaluation on a realistic data set:
//! 10,000 counter series (500 instances × 20 handlers), 2,000 classic
//! histogram bucket series and 500 info series, 2 hours at a 15 s interval.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_promql::{CancelToken, Engine, EngineOptions};

#[path = "data/mod.rs"]
mod data;
use data::{POINTS, STEP, dataset};

fn bench(c: &mut Criterion) {
    let db = dataset();
    let engine = Engine::new(EngineOptions::default());
    let end = (POINTS - 1) * STEP;
    let cancel = CancelToken::new();
    let queries = [
        (
            "sum_rate",
            "sum by (instance) (rate(http_requests_total[5m]))",
        ),
        (
            "histogram_quantile",
            "histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
        ),
        ("topk", "topk(10, rate(http_requests_total[5m]))"),
        (
            "regex_selector",
            r#"http_requests_total{handler=~"/h1.*", instance=~"host-1.*"}"#,
        ),
        (
            "group_left",
            "rate(http_requests_total[5m]) * on(instance) group_left(region) node_info",
        ),
    ];
    let mut g = c.benchmark_group("instant");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, q) in queries {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    engine
                        .instant_query(&db, q, end, &cancel)
                        .map(|r| r.samples_loaded),
                )
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("range_1h_step_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (name, q) in queries {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    engine
                        .range_query(&db, q, end - 3_600_000, end, 60_000, &cancel)
                        .map(|r| r.samples_loaded),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
