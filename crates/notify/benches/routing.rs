//! Routing and fingerprint throughput.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use telltale_model::Labels;
use telltale_notify::Config;

fn bench_routing(c: &mut Criterion) {
    let cfg = Config::load(
        "route:\n  receiver: def\n  group_by: [alertname]\n  routes:\n  - matchers: [team=~\"a|b\"]\n    receiver: ab\n    routes:\n    - matchers: [severity=critical]\n      receiver: pager\n  - match_re: {service: 'db.*'}\n    receiver: db\nreceivers:\n- name: def\n- name: ab\n- name: pager\n- name: db\n",
    )
    .expect("bench config");
    let labels = Labels::from_pairs(&[
        ("alertname", "HighLatency"),
        ("team", "b"),
        ("severity", "critical"),
        ("instance", "host-1:9100"),
    ]);
    c.bench_function("route_match_and_group_key", |b| {
        b.iter(|| {
            let routes = cfg.route.match_labels(black_box(&labels));
            let r = routes[0];
            black_box(r.group_key(&r.group_labels(&labels)))
        })
    });
    c.bench_function("fingerprint", |b| {
        b.iter(|| telltale_notify::alert::fingerprint(black_box(&labels)))
    });
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
