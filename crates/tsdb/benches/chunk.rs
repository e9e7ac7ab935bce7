//! Chunk codec benchmarks: encoding and decoding throughput on
//! node_exporter-shaped series, and bytes per sample of plain XOR chunks.

use criterion::{Criterion, Throughput};
use telltale_tsdb::chunkenc::{ChunkIter, XorAppender, XorIter, encode_best};
use telltale_tsdb::workload::{Workload, WorkloadConfig};

/// 120-sample series from the workload (one host, 120 scrapes).
fn series() -> Option<Vec<Vec<(i64, f64)>>> {
    let mut w = match Workload::node_exporter(WorkloadConfig {
        hosts: 1,
        ..Default::default()
    }) {
        Ok(w) => w,
        Err(e) => {
            println!("skipping chunk benchmarks: test data not available ({e})");
            return None;
        }
    };
    let mut out = vec![Vec::with_capacity(120); w.len()];
    for _ in 0..120 {
        let (t, vals) = w.next_scrape();
        for (s, v) in out.iter_mut().zip(vals) {
            s.push((t, *v));
        }
    }
    Some(out)
}

fn main() {
    let Some(series) = series() else { return };
    let n: usize = series.iter().map(Vec::len).sum();
    let chunks: Vec<Vec<u8>> = series
        .iter()
        .map(|s| {
            let mut a = XorAppender::new();
            for &(t, v) in s {
                a.append(t, v);
            }
            a.finish()
        })
        .collect();
    let bytes: usize = chunks.iter().map(Vec::len).sum();
    println!(
        "xor chunks: {} series x 120 samples, {:.3} bytes/sample",
        series.len(),
        bytes as f64 / n as f64
    );
    let best: usize = series.iter().map(|s| encode_best(s).1.len()).sum();
    println!(
        "best of xor/decimal/packed chunks: {:.3} bytes/sample",
        best as f64 / n as f64
    );
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("xor");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("encode", |b| {
        b.iter(|| {
            let mut total = 0;
            for s in &series {
                let mut a = XorAppender::new();
                for &(t, v) in s {
                    a.append(t, v);
                }
                total += a.byte_len();
            }
            total
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut sum = 0i64;
            for c in &chunks {
                let Ok(mut it) = XorIter::new(&c[..]) else {
                    continue;
                };
                while let Ok(Some((t, _))) = it.next() {
                    sum = sum.wrapping_add(t);
                }
            }
            sum
        })
    });
    let best: Vec<(u8, Vec<u8>)> = series.iter().map(|s| encode_best(s)).collect();
    g.bench_function("decode_best_encoding", |b| {
        b.iter(|| {
            let mut sum = 0i64;
            for (e, c) in &best {
                let Ok(mut it) = ChunkIter::new(*e, &c[..]) else {
                    continue;
                };
                while let Ok(Some((t, _))) = it.next() {
                    sum = sum.wrapping_add(t);
                }
            }
            sum
        })
    });
    g.bench_function("encode_best_encoding", |b| {
        b.iter(|| series.iter().map(|s| encode_best(s).1.len()).sum::<usize>())
    });
    g.finish();
    c.final_summary();
}
