//! What instrumentation costs the demo: recording one request (counter
//! and histogram lookups by label set) and encoding `/metrics`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use telltale_demo::{DemoMetrics, RequestLabels, RouteLabels};

const ENDPOINTS: [&str; 8] = [
    "/",
    "/metrics",
    "/update",
    "/cpu",
    "/cpu_task",
    "/ram_task",
    "/error",
    "/slow",
];

fn record(m: &DemoMetrics, endpoint: &str, status: &str, secs: f64) {
    m.duration
        .get_or_create(&RouteLabels {
            method: "GET".into(),
            endpoint: endpoint.into(),
        })
        .observe(secs);
    m.requests
        .get_or_create(&RequestLabels {
            method: "GET".into(),
            endpoint: endpoint.into(),
            status: status.into(),
        })
        .inc();
}

fn bench(c: &mut Criterion) {
    let m = DemoMetrics::new();
    for (i, e) in ENDPOINTS.iter().enumerate() {
        record(&m, e, "200", 0.001 * i as f64);
        record(&m, e, "400", 0.002);
    }
    c.bench_function("record_request", |b| {
        b.iter(|| record(&m, black_box("/slow"), black_box("200"), black_box(0.3)))
    });
    c.bench_function("encode_metrics", |b| b.iter(|| black_box(m.encode()).len()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
