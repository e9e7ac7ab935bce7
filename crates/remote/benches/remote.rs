//! Hot paths of the remote paths: OTLP conversion, WAL record decoding,
//! remote write request encoding.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use telltale_model::Labels;
use telltale_remote::otlp::{convert, decode_request};
use telltale_remote::write::records::decode;
use telltale_tsdb::wal::record::{RefSample, encode_samples, encode_series};

fn otlp_json(points: usize) -> String {
    let dps: Vec<String> = (0..points)
        .map(|i| {
            format!(
                r#"{{"attributes":[{{"key":"http.route","value":{{"stringValue":"/r{i}"}}}}],"timeUnixNano":"1700000000000000000","asInt":"{i}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}},{{"key":"host.name","value":{{"stringValue":"h"}}}}]}},"scopeMetrics":[{{"metrics":[{{"name":"http.server.requests","unit":"{{requests}}","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{}]}}}}]}}]}}]}}"#,
        dps.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let body = otlp_json(1000);
    let mut g = c.benchmark_group("otlp");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("json_decode_convert_1000_points", |b| {
        b.iter(|| {
            let req = decode_request(black_box(body.as_bytes()), true).unwrap();
            let mut out = Vec::new();
            convert(&req, 1_000_000, &mut out).unwrap();
            out
        })
    });
    g.finish();

    let mut series = Vec::new();
    let labels: Vec<Labels> = (0..1000)
        .map(|i| Labels::from_pairs(&[("__name__", "m"), ("i", &i.to_string())]))
        .collect();
    encode_series(
        &mut series,
        labels.iter().enumerate().map(|(i, l)| (i as u64, l)),
    );
    let samples: Vec<RefSample> = (0..1000)
        .map(|i| RefSample {
            r: i,
            t: 1_700_000_000_000 + i as i64,
            v: i as f64,
        })
        .collect();
    let mut rec = Vec::new();
    encode_samples(&mut rec, &samples);
    let mut g = c.benchmark_group("wal_records");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("decode_samples_1000", |b| {
        b.iter(|| decode(black_box(&rec)).unwrap())
    });
    g.bench_function("decode_series_1000", |b| {
        b.iter(|| decode(black_box(&series)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
