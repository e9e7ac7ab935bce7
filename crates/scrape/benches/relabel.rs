//! Relabelling throughput: a Kubernetes-style target relabel chain and a
//! metric relabel chain, per label set.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use telltale_model::{Label, Labels};
use telltale_scrape::{RelabelConfig, relabel};

fn steps(yaml: &str) -> Vec<RelabelConfig> {
    match serde_saphyr::from_str(yaml) {
        Ok(s) => s,
        Err(e) => panic!("bench config: {e}"),
    }
}

fn target_labels() -> Labels {
    let mut v = vec![
        Label::new("__address__", "10.1.2.3:8080"),
        Label::new("__meta_kubernetes_namespace", "payments"),
        Label::new("__meta_kubernetes_pod_name", "api-7d9f8c6b5-x2x4z"),
        Label::new(
            "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
            "true",
        ),
        Label::new(
            "__meta_kubernetes_pod_annotation_prometheus_io_port",
            "9102",
        ),
        Label::new("__meta_kubernetes_pod_container_name", "api"),
        Label::new("__scheme__", "http"),
        Label::new("__metrics_path__", "/metrics"),
        Label::new("job", "kubernetes-pods"),
    ];
    for i in 0..12 {
        v.push(Label::new(
            format!("__meta_kubernetes_pod_label_l{i}"),
            format!("value-{i}"),
        ));
    }
    Labels::new(v)
}

fn bench(c: &mut Criterion) {
    let target_chain = steps(
        r#"
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
  action: keep
  regex: 'true'
- source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
  action: replace
  regex: '([^:]+)(?::\d+)?;(\d+)'
  replacement: '$1:$2'
  target_label: __address__
- action: labelmap
  regex: '__meta_kubernetes_pod_label_(.+)'
- source_labels: [__meta_kubernetes_namespace]
  target_label: namespace
- source_labels: [__meta_kubernetes_pod_name]
  target_label: pod
- source_labels: [__address__]
  modulus: 4
  target_label: __tmp_hash
  action: hashmod
- source_labels: [__tmp_hash]
  regex: '^1$'
  action: drop
"#,
    );
    let metric_chain = steps(
        r#"
- source_labels: [__name__]
  regex: 'go_gc_.*|process_.*'
  action: drop
- regex: 'l1[01]'
  action: labeldrop
- source_labels: [pod]
  target_label: pod_upper
  action: uppercase
"#,
    );
    let t = target_labels();
    let mut g = c.benchmark_group("relabel");
    g.throughput(Throughput::Elements(1));
    g.bench_function("kubernetes_target_chain", |b| {
        b.iter(|| std::hint::black_box(relabel(std::hint::black_box(&t), &target_chain)))
    });
    let series = match relabel(&t, &target_chain[..5]) {
        Some(l) => {
            let mut b = l.builder();
            b.set("__name__", "http_requests_total");
            b.retain(|l| !l.name.starts_with("__meta_"));
            b.build()
        }
        None => panic!("bench target dropped"),
    };
    g.bench_function("metric_chain", |b| {
        b.iter(|| std::hint::black_box(relabel(std::hint::black_box(&series), &metric_chain)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
