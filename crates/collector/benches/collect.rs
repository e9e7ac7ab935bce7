//! One full collection with the default collectors over this machine's
//! real `/proc` and `/sys` (the figure in docs/BENCHMARKS.md).

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_collector::{CollectorConfig, Collectors};

fn full_collection(c: &mut Criterion) {
    let cfg = CollectorConfig::default();
    let collectors = match Collectors::new(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipping: {e}");
            return;
        }
    };
    c.bench_function("collect_default_set", |b| {
        b.iter(|| std::hint::black_box(collectors.collect()))
    });
    let mut cfg = CollectorConfig::default();
    if cfg
        .apply_flags(&["--collector.cgroup", "--collector.processes_top"])
        .is_ok()
        && let Ok(all) = Collectors::new(&cfg)
    {
        c.bench_function("collect_with_cgroup_and_processes_top", |b| {
            b.iter(|| std::hint::black_box(all.collect()))
        });
    }
}

criterion_group!(benches, full_collection);
criterion_main!(benches);
