//! An OTLP metrics request to Prometheus samples (the pure layer: no I/O).
//!
//! | OTLP | Prometheus |
//! |---|---|
//! | gauge | gauge `name[_unit][_ratio]` |
//! | sum, cumulative, monotonic | counter `name[_unit]_total` |
//! | sum, cumulative, not monotonic | gauge |
//! | histogram, cumulative | `_bucket{le}` (cumulative counts, `+Inf` = count), `_sum`, `_count` |
//! | summary | `{quantile}`, `_sum`, `_count` |
//! | delta sums and histograms | rejected ("delta temporality") |
//! | exponential histogram | rejected ("exponential histograms not supported") |
//! | resource `service.namespace`/`service.name` | `job` = `namespace/name` or `name` |
//! | resource `service.instance.id` | `instance` |
//! | other resource attributes | `target_info{job, instance, ...} 1` |
//!
//! Point attributes become labels (names sanitized; attributes that map to
//! the same name have their values joined with `;` in key order); `job` and
//! `instance` from the resource win over point attributes of those names.
//! A point flagged "no recorded value" is stored as the stale marker.

use std::collections::BTreeMap;

use telltale_model::{Label, Labels, METRIC_NAME, stale_nan};

use super::names::{Kind, label_name, metric_name};
use super::proto::{
    ExportMetricsServiceRequest, FLAG_NO_RECORDED_VALUE, HistogramDataPoint, KeyValue, Metric,
    NumberDataPoint, SummaryDataPoint, TEMPORALITY_CUMULATIVE, any_value, metric,
    number_data_point,
};

/// One sample to append.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpSample {
    /// The series.
    pub labels: Labels,
    /// Milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// Why data points were not converted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rejected {
    /// Points of delta sums and histograms.
    pub delta: u64,
    /// Points of exponential histograms.
    pub exponential_histogram: u64,
    /// Metrics with no data, or sums and histograms with unspecified temporality.
    pub invalid: u64,
    /// The first few messages, for the response and the log.
    pub messages: Vec<String>,
}

impl Rejected {
    /// All rejected points.
    pub fn total(&self) -> u64 {
        self.delta + self.exponential_histogram + self.invalid
    }

    fn note(&mut self, msg: String) {
        if self.messages.len() < 5 {
            self.messages.push(msg);
        }
    }
}

/// The resource attributes Prometheus turns into `job` and `instance`.
const SERVICE_NAME: &str = "service.name";
const SERVICE_NAMESPACE: &str = "service.namespace";
const SERVICE_INSTANCE_ID: &str = "service.instance.id";

/// An attribute value as a label value.
fn value_string(v: &Option<super::proto::AnyValue>) -> String {
    let Some(v) = v.as_ref().and_then(|v| v.value.as_ref()) else {
        return String::new();
    };
    match v {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(d) => d.to_string(),
        any_value::Value::ArrayValue(a) => {
            let items: Vec<serde_json::Value> = a
                .values
                .iter()
                .map(|x| serde_json::Value::String(value_string(&Some(x.clone()))))
                .collect();
            serde_json::Value::Array(items).to_string()
        }
        any_value::Value::KvlistValue(kv) => {
            let m: serde_json::Map<String, serde_json::Value> = kv
                .values
                .iter()
                .map(|x| {
                    (
                        x.key.clone(),
                        serde_json::Value::String(value_string(&x.value)),
                    )
                })
                .collect();
            serde_json::Value::Object(m).to_string()
        }
        any_value::Value::BytesValue(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    attrs.iter().find(|kv| kv.key == key)
}

/// Sanitized labels from attributes, collisions joined with `;`.
fn attr_labels(attrs: &[KeyValue], skip: &[&str]) -> BTreeMap<String, String> {
    let mut sorted: Vec<&KeyValue> = attrs
        .iter()
        .filter(|kv| !skip.contains(&kv.key.as_str()))
        .collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for kv in sorted {
        let v = value_string(&kv.value);
        if v.is_empty() || kv.key.is_empty() {
            continue;
        }
        out.entry(label_name(&kv.key))
            .and_modify(|e| {
                e.push(';');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

/// The labels every series of a resource gets.
struct ResourceLabels {
    job: Option<String>,
    instance: Option<String>,
    /// Labels of `target_info` besides job and instance.
    info: BTreeMap<String, String>,
}

fn resource_labels(attrs: &[KeyValue]) -> ResourceLabels {
    let job = attr(attrs, SERVICE_NAME).map(|n| {
        let name = value_string(&n.value);
        match attr(attrs, SERVICE_NAMESPACE) {
            Some(ns) => format!("{}/{}", value_string(&ns.value), name),
            None => name,
        }
    });
    let instance = attr(attrs, SERVICE_INSTANCE_ID).map(|i| value_string(&i.value));
    let info = attr_labels(
        attrs,
        &[SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID],
    );
    ResourceLabels {
        job,
        instance,
        info,
    }
}

fn series(
    res: &ResourceLabels,
    attrs: &[KeyValue],
    name: &str,
    extra: Option<(&str, String)>,
) -> Labels {
    let mut m = attr_labels(attrs, &[]);
    if let Some(j) = &res.job
        && !j.is_empty()
    {
        m.insert("job".into(), j.clone());
    }
    if let Some(i) = &res.instance
        && !i.is_empty()
    {
        m.insert("instance".into(), i.clone());
    }
    if let Some((k, v)) = extra {
        m.insert(k.into(), v);
    }
    m.insert(METRIC_NAME.into(), name.into());
    Labels::new(m.into_iter().map(|(k, v)| Label::new(k, v)).collect())
}

fn ms(ns: u64) -> i64 {
    (ns / 1_000_000) as i64
}

/// Converts a request. Samples go to `out`; what cannot be converted is
/// counted in the returned [`Rejected`]. `max_samples` bounds `out`: the
/// conversion stops with `Err` once it would be passed.
///
/// # Errors
///
/// A message naming the limit when the request holds more than
/// `max_samples` samples.
pub fn convert(
    req: &ExportMetricsServiceRequest,
    max_samples: usize,
    out: &mut Vec<OtlpSample>,
) -> Result<Rejected, String> {
    let mut rej = Rejected::default();
    for rm in &req.resource_metrics {
        let attrs = rm
            .resource
            .as_ref()
            .map(|r| r.attributes.as_slice())
            .unwrap_or(&[]);
        let res = resource_labels(attrs);
        let mut newest: Option<i64> = None;
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let before = out.len();
                convert_metric(&res, m, out, &mut rej);
                for s in &out[before..] {
                    newest = Some(newest.map_or(s.t, |n: i64| n.max(s.t)));
                }
                if out.len() > max_samples {
                    return Err(format!(
                        "the request holds more than {max_samples} samples (the receiver's limit)"
                    ));
                }
            }
        }
        if let Some(t) = newest
            && !res.info.is_empty()
        {
            let mut m = res.info.clone();
            if let Some(j) = &res.job {
                m.insert("job".into(), j.clone());
            }
            if let Some(i) = &res.instance {
                m.insert("instance".into(), i.clone());
            }
            m.insert(METRIC_NAME.into(), "target_info".into());
            out.push(OtlpSample {
                labels: Labels::new(m.into_iter().map(|(k, v)| Label::new(k, v)).collect()),
                t,
                v: 1.0,
            });
        }
    }
    Ok(rej)
}

fn convert_metric(res: &ResourceLabels, m: &Metric, out: &mut Vec<OtlpSample>, rej: &mut Rejected) {
    match &m.data {
        None => {
            rej.invalid += 1;
            rej.note(format!("metric {:?} has no data", m.name));
        }
        Some(metric::Data::Gauge(g)) => {
            let name = metric_name(&m.name, &m.unit, Kind::Gauge);
            numbers(res, &name, &g.data_points, out);
        }
        Some(metric::Data::Sum(s)) => {
            if s.aggregation_temporality != TEMPORALITY_CUMULATIVE {
                reject_temporality(rej, &m.name, s.aggregation_temporality, s.data_points.len());
                return;
            }
            let kind = if s.is_monotonic {
                Kind::Counter
            } else {
                Kind::Gauge
            };
            let name = metric_name(&m.name, &m.unit, kind);
            numbers(res, &name, &s.data_points, out);
        }
        Some(metric::Data::Histogram(h)) => {
            if h.aggregation_temporality != TEMPORALITY_CUMULATIVE {
                reject_temporality(rej, &m.name, h.aggregation_temporality, h.data_points.len());
                return;
            }
            let name = metric_name(&m.name, &m.unit, Kind::Other);
            for p in &h.data_points {
                histogram(res, &name, p, out);
            }
        }
        Some(metric::Data::ExponentialHistogram(e)) => {
            rej.exponential_histogram += e.data_points.len() as u64;
            rej.note(format!(
                "metric {:?}: exponential histograms are not supported (native histograms are not stored); {} points dropped",
                m.name,
                e.data_points.len()
            ));
        }
        Some(metric::Data::Summary(s)) => {
            let name = metric_name(&m.name, &m.unit, Kind::Other);
            for p in &s.data_points {
                summary(res, &name, p, out);
            }
        }
    }
}

fn reject_temporality(rej: &mut Rejected, name: &str, temporality: i32, points: usize) {
    let n = points.max(1) as u64;
    if temporality == super::proto::TEMPORALITY_DELTA {
        rej.delta += n;
        rej.note(format!(
            "metric {name:?}: delta temporality is not supported, send cumulative (for the SDK: temporality preference CUMULATIVE, or the collector's deltatocumulative processor)"
        ));
    } else {
        rej.invalid += n;
        rej.note(format!(
            "metric {name:?}: aggregation temporality {temporality} is not valid"
        ));
    }
}

fn value_of(flags: u32, v: f64) -> f64 {
    if flags & FLAG_NO_RECORDED_VALUE != 0 {
        stale_nan()
    } else {
        v
    }
}

fn numbers(
    res: &ResourceLabels,
    name: &str,
    points: &[NumberDataPoint],
    out: &mut Vec<OtlpSample>,
) {
    for p in points {
        let v = match p.value {
            Some(number_data_point::Value::AsDouble(d)) => d,
            Some(number_data_point::Value::AsInt(i)) => i as f64,
            None => 0.0,
        };
        out.push(OtlpSample {
            labels: series(res, &p.attributes, name, None),
            t: ms(p.time_unix_nano),
            v: value_of(p.flags, v),
        });
    }
}

fn histogram(res: &ResourceLabels, name: &str, p: &HistogramDataPoint, out: &mut Vec<OtlpSample>) {
    let t = ms(p.time_unix_nano);
    let bucket = format!("{name}_bucket");
    let mut cumulative: u64 = 0;
    for (i, bound) in p.explicit_bounds.iter().enumerate() {
        cumulative = cumulative.saturating_add(p.bucket_counts.get(i).copied().unwrap_or(0));
        out.push(OtlpSample {
            labels: series(res, &p.attributes, &bucket, Some(("le", bound.to_string()))),
            t,
            v: value_of(p.flags, cumulative as f64),
        });
    }
    out.push(OtlpSample {
        labels: series(res, &p.attributes, &bucket, Some(("le", "+Inf".into()))),
        t,
        v: value_of(p.flags, p.count as f64),
    });
    if let Some(sum) = p.sum {
        out.push(OtlpSample {
            labels: series(res, &p.attributes, &format!("{name}_sum"), None),
            t,
            v: value_of(p.flags, sum),
        });
    }
    out.push(OtlpSample {
        labels: series(res, &p.attributes, &format!("{name}_count"), None),
        t,
        v: value_of(p.flags, p.count as f64),
    });
}

fn summary(res: &ResourceLabels, name: &str, p: &SummaryDataPoint, out: &mut Vec<OtlpSample>) {
    let t = ms(p.time_unix_nano);
    for q in &p.quantile_values {
        out.push(OtlpSample {
            labels: series(
                res,
                &p.attributes,
                name,
                Some(("quantile", q.quantile.to_string())),
            ),
            t,
            v: value_of(p.flags, q.value),
        });
    }
    out.push(OtlpSample {
        labels: series(res, &p.attributes, &format!("{name}_sum"), None),
        t,
        v: value_of(p.flags, p.sum),
    });
    out.push(OtlpSample {
        labels: series(res, &p.attributes, &format!("{name}_count"), None),
        t,
        v: value_of(p.flags, p.count as f64),
    });
}
