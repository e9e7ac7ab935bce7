//! Dashboard loading: our YAML, Grafana import and export.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_ui::dashboard::{Dashboard, builtin};
use telltale_ui::grafana;

fn benches(c: &mut Criterion) {
    let grafana_json = include_bytes!("../testdata/grafana-node.json");
    c.bench_function("parse_grafana_json", |b| {
        b.iter(|| Dashboard::parse(Path::new("g.json"), grafana_json).unwrap())
    });
    let host = include_bytes!("../dashboards/host.yaml");
    c.bench_function("parse_host_yaml", |b| {
        b.iter(|| Dashboard::parse(Path::new("host.yaml"), host).unwrap())
    });
    let all = builtin();
    c.bench_function("export_builtin_to_grafana", |b| {
        b.iter(|| all.iter().map(grafana::export).count())
    });
}

criterion_group!(group, benches);
criterion_main!(group);
