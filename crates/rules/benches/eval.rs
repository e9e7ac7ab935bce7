//! Benchmarks: template expansion and evaluating the default rules over
//! 100 hosts.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use telltale_model::{Labels, MemStorage, Sample};
use telltale_promql::{Engine, EngineOptions};
use telltale_rules::template::{TemplateCache, TemplateData, expand};
use telltale_rules::{EngineQuery, Group, GroupOptions, default_groups};

fn templates(c: &mut Criterion) {
    let data = TemplateData::new(
        &Labels::from_pairs(&[("instance", "host-1:9100"), ("job", "node")]),
        1234567.0,
    );
    let text =
        "{{ $labels.instance }} uses {{ $value | humanize1024 }}B ({{ printf \"%.1f\" $value }})";
    c.bench_function("template_expand_annotation", |b| {
        b.iter(|| expand("t", black_box(text), &data, None))
    });
    let mut cache = TemplateCache::new();
    c.bench_function("template_expand_annotation_cached", |b| {
        b.iter(|| cache.expand_or_error("t", black_box(text), &data))
    });
}

fn default_rules(c: &mut Criterion) {
    let db = MemStorage::new();
    for h in 0..100 {
        let inst = format!("host-{h}:9100");
        let base = [("instance", inst.as_str()), ("job", "node")];
        let with = |extra: &[(&'static str, &str)]| {
            let mut v: Vec<(&str, &str)> = base.to_vec();
            v.extend_from_slice(extra);
            Labels::from_pairs(&v)
        };
        for cpu in 0..4 {
            let c = cpu.to_string();
            db.insert(
                with(&[
                    ("__name__", "node_cpu_seconds_total"),
                    ("mode", "idle"),
                    ("cpu", &c),
                ]),
                (0..30).map(|m| Sample::new(m * 15_000, m as f64 * 14.0)),
            );
        }
        let series = [
            ("node_memory_MemAvailable_bytes", 4e9),
            ("node_memory_MemTotal_bytes", 8e9),
            ("up", 1.0),
        ];
        for (name, v) in series {
            db.insert(
                with(&[("__name__", name)]),
                (0..30).map(|m| Sample::new(m * 15_000, v)),
            );
        }
    }
    let engine = Arc::new(Engine::new(EngineOptions::default()));
    let q = Arc::new(EngineQuery::new(engine, Arc::new(db.clone())));
    let opts = GroupOptions::new(q, Arc::new(db.clone()), Arc::new(db.clone()));
    let specs = default_groups().unwrap_or_default();
    let mut groups: Vec<Group> = specs
        .into_iter()
        .map(|s| Group::new(s, &opts, true))
        .collect();
    c.bench_function("eval_default_rules_100_hosts", |b| {
        b.iter(|| {
            for g in groups.iter_mut() {
                black_box(g.eval(435_000, &opts));
            }
        })
    });
}

criterion_group!(benches, templates, default_rules);
criterion_main!(benches);
