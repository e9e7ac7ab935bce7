//! Parse throughput on Prometheus's 237-family corpus, in bytes per second.
//!
//! The corpus is read from `$TELLTALE_TESTDATA/textparse` (default
//! `../shared/testdata` beside the repository); without it the bench only
//! prints why it skipped.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_exposition::{Entry, Format, Parser, encode_openmetrics, encode_text, parse_families};

fn testdata() -> PathBuf {
    match std::env::var_os("TELLTALE_TESTDATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    }
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("alltypes.237mfs.prom.txt", Format::Text),
        ("alltypes.5mfs.om.txt", Format::OpenMetrics),
    ];
    for (file, format) in cases {
        let path = testdata().join("textparse").join(file);
        let Ok(body) = std::fs::read(&path) else {
            eprintln!("skipping {file}: {} not readable", path.display());
            continue;
        };
        let mut g = c.benchmark_group(file);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function("entries", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for e in Parser::new(&body, format) {
                    if let Ok(Entry::Series(s)) = e {
                        n += s.labels().count();
                    }
                }
                n
            })
        });
        g.bench_function("families", |b| {
            b.iter(|| parse_families(&body, format).map(|f| f.len()))
        });
        // Encoding the same families back; throughput is counted in input
        // bytes, close to the output size.
        if let Ok(families) = parse_families(&body, format) {
            let mut out = Vec::with_capacity(body.len() * 2);
            g.bench_function("encode", |b| {
                b.iter(|| {
                    out.clear();
                    match format {
                        Format::Text => encode_text(&families, &mut out),
                        Format::OpenMetrics => encode_openmetrics(&families, &mut out),
                    }
                    out.len()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
