//! Round trips: encode, parse, and get the same families back; on the
//! shared corpora and on generated families.

use std::path::PathBuf;

use proptest::prelude::*;
use telltale_exposition::{Format, encode_openmetrics, encode_text, parse_families};
use telltale_model::{
    FamilySample, Label, Labels, METRIC_NAME, MetricFamily, MetricMetadata, MetricType,
};

/// Compares families with values bit for bit (NaN equals NaN).
fn assert_same(a: &[MetricFamily], b: &[MetricFamily], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: family count");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.name, y.name, "{what}");
        assert_eq!(x.metadata, y.metadata, "{what}: {}", x.name);
        assert_eq!(x.samples.len(), y.samples.len(), "{what}: {}", x.name);
        for (s, t) in x.samples.iter().zip(&y.samples) {
            assert_eq!(s.labels, t.labels, "{what}");
            assert_eq!(s.timestamp, t.timestamp, "{what}: {}", s.labels);
            assert!(
                s.value.to_bits() == t.value.to_bits() || (s.value.is_nan() && t.value.is_nan()),
                "{what}: {} {} != {}",
                s.labels,
                s.value,
                t.value
            );
        }
    }
}

fn encode(f: &[MetricFamily], format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        Format::Text => encode_text(f, &mut out),
        Format::OpenMetrics => encode_openmetrics(f, &mut out),
    }
    out
}

fn textparse_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("TELLTALE_TESTDATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    };
    let dir = base.join("textparse");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: {} not found (set TELLTALE_TESTDATA)",
            dir.display()
        );
        None
    }
}

#[test]
fn corpora_round_trip_through_the_encoder() {
    let Some(dir) = textparse_dir() else { return };
    let corpora = [
        ("alltypes.237mfs.prom.txt", Format::Text),
        ("alltypes.5mfs.om.txt", Format::OpenMetrics),
        ("1histogram.om.txt", Format::OpenMetrics),
        ("extracted/TestPromParse.input.prom.txt", Format::Text),
        ("extracted/TestUTF8PromParse.input.prom.txt", Format::Text),
        (
            "extracted/TestOpenMetricsParse.input.om.txt",
            Format::OpenMetrics,
        ),
        (
            "extracted/TestOpenMetricsParse_UTF8.input.om.txt",
            Format::OpenMetrics,
        ),
    ];
    for (file, format) in corpora {
        let body = std::fs::read(dir.join(file)).unwrap();
        let first = parse_families(&body, format).unwrap();
        let again = encode(&first, format);
        let second = parse_families(&again, format).unwrap_or_else(|e| {
            panic!("{file}: re-parse: {e}\n{}", String::from_utf8_lossy(&again))
        });
        assert_same(&first, &second, file);
    }
}

#[test]
fn histogram_summary_and_counter_round_trip_in_both_formats() {
    let meta = |t, help: &str, unit: &str| MetricMetadata {
        metric_type: t,
        help: help.into(),
        unit: unit.into(),
    };
    let mut h = MetricFamily::new(
        "rpc_seconds",
        meta(MetricType::Histogram, "RPC \"latency\"\\", "seconds"),
    );
    h.push_named("rpc_seconds_bucket", &[("le", "0.5"), ("svc", "a")], 3.0);
    h.push_named("rpc_seconds_bucket", &[("le", "+Inf"), ("svc", "a")], 4.0);
    h.push_named("rpc_seconds_sum", &[("svc", "a")], 1.25);
    h.push_named("rpc_seconds_count", &[("svc", "a")], 4.0);
    let mut s = MetricFamily::new("gc", meta(MetricType::Summary, "", ""));
    s.push(&[("quantile", "0.99")], 1e-7);
    s.push_named("gc_count", &[], 1e21);
    let mut c = MetricFamily::new("hits", meta(MetricType::Counter, "Hits.", ""));
    c.push_named("hits_total", &[], 7.0);
    c.samples[0].timestamp = Some(-1_500);
    let fams = vec![h, s, c];
    for format in [Format::Text, Format::OpenMetrics] {
        let body = encode(&fams, format);
        let back = parse_families(&body, format).unwrap();
        let mut want = fams.clone();
        if format == Format::Text {
            want[0].metadata.unit.clear(); // 0.0.4 has no units
        }
        assert_same(&want, &back, &format!("{format:?}"));
    }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
        "[a-z]{1,4}[.\\-/ ]\\PC{0,6}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        "[a-z]{1,3}[.\\- ]\\PC{0,4}",
        ".{1,6}"
    ]
    .prop_filter("not the metric name label", |s| s != METRIC_NAME)
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
    ]
}

fn family(index: usize) -> impl Strategy<Value = MetricFamily> {
    let sample = (
        prop::collection::btree_map(label_name(), ".{0,8}", 0..4),
        value(),
        prop::option::of(-4_000_000_000_000i64..4_000_000_000_000),
    );
    (
        name(),
        prop_oneof![Just(MetricType::Gauge), Just(MetricType::Unknown)],
        ".{0,20}",
        prop::collection::vec(sample, 0..4),
    )
        .prop_map(move |(name, t, help, samples)| {
            // A per-family suffix keeps generated families distinct.
            let name = format!("{name}_{index}");
            let mut f = MetricFamily::new(
                name.clone(),
                MetricMetadata {
                    metric_type: t,
                    help,
                    unit: String::new(),
                },
            );
            for (labels, value, timestamp) in samples {
                let mut all = vec![Label::new(METRIC_NAME, name.clone())];
                all.extend(labels.into_iter().map(|(n, v)| Label::new(n, v)));
                f.samples.push(FamilySample {
                    labels: Labels::new(all),
                    value,
                    timestamp,
                });
            }
            f
        })
}

fn families() -> impl Strategy<Value = Vec<MetricFamily>> {
    (family(0), family(1), family(2)).prop_map(|(a, b, c)| vec![a, b, c])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_families_round_trip_in_text(fams in families()) {
        let body = encode(&fams, Format::Text);
        let back = parse_families(&body, Format::Text);
        prop_assert!(back.is_ok(), "{:?}\n{}", back, String::from_utf8_lossy(&body));
        assert_same(&fams, &back.unwrap_or_default(), "text");
    }

    #[test]
    fn generated_families_round_trip_in_openmetrics(fams in families()) {
        let body = encode(&fams, Format::OpenMetrics);
        let back = parse_families(&body, Format::OpenMetrics);
        prop_assert!(back.is_ok(), "{:?}\n{}", back, String::from_utf8_lossy(&body));
        assert_same(&fams, &back.unwrap_or_default(), "openmetrics");
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        for format in [Format::Text, Format::OpenMetrics] {
            let n = telltale_exposition::Parser::new(&body, format).count();
            prop_assert!(n <= body.len() + 1);
        }
    }
}
