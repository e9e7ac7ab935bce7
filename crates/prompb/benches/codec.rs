//! Remote write body throughput: decode (snappy + protobuf) and encode of a
//! request shaped like a Prometheus shard's batch (500 series, 4 samples
//! each, 8 labels per series).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_prompb::{
    Label, Sample, TimeSeries, WriteRequest, decode_write_request, encode_write_request,
};

fn request() -> WriteRequest {
    let timeseries = (0..500)
        .map(|i| TimeSeries {
            labels: (0..8)
                .map(|l| Label {
                    name: if l == 0 {
                        "__name__".into()
                    } else {
                        format!("label_{l}")
                    },
                    value: format!("value_{}_{}", l, i % (l + 3)),
                })
                .collect(),
            samples: (0..4)
                .map(|s| Sample {
                    value: (i * s) as f64 * 0.5,
                    timestamp: 1_700_000_000_000 + s * 15_000,
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    WriteRequest {
        timeseries,
        metadata: vec![],
    }
}

fn bench(c: &mut Criterion) {
    let req = request();
    let body = encode_write_request(&req);
    let mut g = c.benchmark_group("write_request");
    g.throughput(Throughput::Elements(req.sample_count() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| decode_write_request(&body, 32 << 20).map(|r| r.timeseries.len()))
    });
    g.bench_function("encode", |b| b.iter(|| encode_write_request(&req).len()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
