//! The scrape-to-append path: a 10,000-sample exposition parsed, labelled,
//! limited, staleness-tracked and appended, with a warm cache (the steady
//! state of a scrape loop) and a cold one (the first scrape).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_exposition::Format;
use telltale_model::{Appender, Labels, SeriesRef, StorageError};
use telltale_scrape::scrape::append::{AppendSettings, ScrapeCache, append_scrape};

/// An appender that keeps nothing, so the bench measures this crate.
struct Discard(u64);

impl Appender for Discard {
    fn append(
        &mut self,
        r: SeriesRef,
        _l: &Labels,
        _t: i64,
        v: f64,
    ) -> Result<SeriesRef, StorageError> {
        self.0 = self.0.wrapping_add(v.to_bits());
        Ok(if r == 0 { 1 } else { r })
    }
    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        Ok(())
    }
    fn rollback(self: Box<Self>) {}
}

fn body() -> Vec<u8> {
    let mut s = String::new();
    for f in 0..100 {
        s.push_str(&format!(
            "# HELP fam_{f}_total Family {f}.\n# TYPE fam_{f}_total counter\n"
        ));
        for i in 0..100 {
            s.push_str(&format!(
                "fam_{f}_total{{method=\"GET\",path=\"/api/v1/item/{i}\",code=\"200\"}} {}\n",
                i * 1000 + f
            ));
        }
    }
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let body = body();
    let target = Labels::from_pairs(&[("instance", "10.0.0.1:9100"), ("job", "node")]);
    let settings = AppendSettings {
        honor_timestamps: true,
        sample_limit: 50_000,
        label_limit: 30,
        ..Default::default()
    };
    let mut g = c.benchmark_group("scrape_append");
    g.throughput(Throughput::Elements(10_000));
    let mut cache = ScrapeCache::default();
    let mut t = 0i64;
    g.bench_function("warm_cache_10k_samples", |b| {
        b.iter(|| {
            t += 15_000;
            let mut app = Discard(0);
            let r = append_scrape(
                &mut app,
                &body,
                Format::Text,
                t,
                &target,
                &settings,
                &mut cache,
            );
            std::hint::black_box((r.is_ok(), app.0))
        })
    });
    g.bench_function("cold_cache_10k_samples", |b| {
        b.iter(|| {
            let mut cache = ScrapeCache::default();
            let mut app = Discard(0);
            let r = append_scrape(
                &mut app,
                &body,
                Format::Text,
                0,
                &target,
                &settings,
                &mut cache,
            );
            std::hint::black_box((r.is_ok(), app.0))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
