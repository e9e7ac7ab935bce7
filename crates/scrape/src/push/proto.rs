//! Push bodies in the protocol-buffer delimited format
//! (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
//! encoding=delimited`), which Go's `push` package sends by default.
//!
//! The messages are hand-written `prost` structs with the field numbers of
//! `io.prometheus.client` `metrics.proto` (classic types only; native
//! histogram fields are ignored). Each message is preceded by its length
//! as a varint.

use std::borrow::Cow;

use prost::Message;
use telltale_model::{
    FamilySample, Label, Labels, METRIC_NAME, MetricFamily, MetricMetadata, MetricType,
};

use crate::error::ScrapeError;

/// A label pair.
#[derive(Clone, PartialEq, Message)]
pub struct LabelPair {
    /// The name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// A value-only metric (gauge, untyped).
#[derive(Clone, PartialEq, Message)]
pub struct Value {
    /// The value.
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

/// A summary quantile.
#[derive(Clone, PartialEq, Message)]
pub struct Quantile {
    /// The quantile (0..1).
    #[prost(double, optional, tag = "1")]
    pub quantile: Option<f64>,
    /// Its value.
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
}

/// A summary.
#[derive(Clone, PartialEq, Message)]
pub struct Summary {
    /// The count.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// The sum.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// The quantiles.
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
}

/// A classic histogram bucket.
#[derive(Clone, PartialEq, Message)]
pub struct Bucket {
    /// The cumulative count.
    #[prost(uint64, optional, tag = "1")]
    pub cumulative_count: Option<u64>,
    /// The upper bound.
    #[prost(double, optional, tag = "2")]
    pub upper_bound: Option<f64>,
    /// The cumulative count as a float (gauge histograms).
    #[prost(double, optional, tag = "4")]
    pub cumulative_count_float: Option<f64>,
}

/// A classic histogram.
#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    /// The count.
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    /// The sum.
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    /// The buckets.
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    /// The count as a float (gauge histograms).
    #[prost(double, optional, tag = "4")]
    pub sample_count_float: Option<f64>,
}

/// One metric of a family.
#[derive(Clone, PartialEq, Message)]
pub struct Metric {
    /// Its labels.
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    /// Set for gauges.
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Value>,
    /// Set for counters.
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Value>,
    /// Set for summaries.
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    /// Set for untyped metrics.
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Value>,
    /// An explicit timestamp.
    #[prost(int64, optional, tag = "6")]
    pub timestamp_ms: Option<i64>,
    /// Set for histograms.
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
}

/// A metric family.
#[derive(Clone, PartialEq, Message)]
pub struct ProtoFamily {
    /// The name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The help text.
    #[prost(string, optional, tag = "2")]
    pub help: Option<String>,
    /// The type: 0 counter, 1 gauge, 2 summary, 3 untyped, 4 histogram,
    /// 5 gauge histogram.
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    /// The metrics.
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
    /// The unit.
    #[prost(string, optional, tag = "5")]
    pub unit: Option<String>,
}

fn sample(name: &str, m: &Metric, extra: Option<(&str, String)>, value: f64) -> FamilySample {
    let mut v: Vec<Label> = Vec::with_capacity(m.label.len() + 2);
    v.push(Label::new(METRIC_NAME, name));
    for l in &m.label {
        v.push(Label::new(
            l.name.clone().unwrap_or_default(),
            l.value.clone().unwrap_or_default(),
        ));
    }
    if let Some((k, val)) = extra {
        v.push(Label::new(k, val));
    }
    FamilySample {
        labels: Labels::new(v),
        value,
        timestamp: m.timestamp_ms,
    }
}

fn float_label(t: MetricType, name: &str, v: f64) -> String {
    telltale_exposition::normalize_float_label(
        t,
        name,
        Cow::Owned(telltale_exposition::format_float(v)),
    )
    .into_owned()
}

/// Converts one protobuf family to the model.
pub fn to_family(p: &ProtoFamily) -> Result<MetricFamily, ScrapeError> {
    let name = p.name.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(ScrapeError::BadPush("metric family without a name".into()));
    }
    let t = match p.r#type.unwrap_or(3) {
        0 => MetricType::Counter,
        1 => MetricType::Gauge,
        2 => MetricType::Summary,
        3 => MetricType::Unknown,
        4 => MetricType::Histogram,
        5 => MetricType::GaugeHistogram,
        other => {
            return Err(ScrapeError::BadPush(format!(
                "unknown metric type {other} for {name}"
            )));
        }
    };
    let mut f = MetricFamily::new(
        name.clone(),
        MetricMetadata {
            metric_type: t,
            help: p.help.clone().unwrap_or_default(),
            unit: p.unit.clone().unwrap_or_default(),
        },
    );
    for m in &p.metric {
        for l in &m.label {
            if l.name.as_deref().is_none_or(str::is_empty) {
                return Err(ScrapeError::BadPush(format!("empty label name in {name}")));
            }
        }
        let missing =
            || ScrapeError::BadPush(format!("metric of {name} has no value for its type"));
        match t {
            MetricType::Counter => {
                let v = m.counter.as_ref().ok_or_else(missing)?.value.unwrap_or(0.0);
                f.samples.push(sample(&name, m, None, v));
            }
            MetricType::Gauge => {
                let v = m.gauge.as_ref().ok_or_else(missing)?.value.unwrap_or(0.0);
                f.samples.push(sample(&name, m, None, v));
            }
            MetricType::Unknown => {
                let v = m.untyped.as_ref().ok_or_else(missing)?.value.unwrap_or(0.0);
                f.samples.push(sample(&name, m, None, v));
            }
            MetricType::Summary => {
                let s = m.summary.as_ref().ok_or_else(missing)?;
                for q in &s.quantile {
                    let ql = float_label(t, "quantile", q.quantile.unwrap_or(0.0));
                    f.samples.push(sample(
                        &name,
                        m,
                        Some(("quantile", ql)),
                        q.value.unwrap_or(0.0),
                    ));
                }
                f.samples.push(sample(
                    &format!("{name}_sum"),
                    m,
                    None,
                    s.sample_sum.unwrap_or(0.0),
                ));
                f.samples.push(sample(
                    &format!("{name}_count"),
                    m,
                    None,
                    s.sample_count.unwrap_or(0) as f64,
                ));
            }
            _ => {
                let h = m.histogram.as_ref().ok_or_else(missing)?;
                let count = h
                    .sample_count_float
                    .unwrap_or(h.sample_count.unwrap_or(0) as f64);
                let mut has_inf = false;
                for b in &h.bucket {
                    let ub = b.upper_bound.unwrap_or(f64::INFINITY);
                    has_inf |= ub == f64::INFINITY;
                    let c = b
                        .cumulative_count_float
                        .unwrap_or(b.cumulative_count.unwrap_or(0) as f64);
                    f.samples.push(sample(
                        &format!("{name}_bucket"),
                        m,
                        Some(("le", float_label(MetricType::Histogram, "le", ub))),
                        c,
                    ));
                }
                if !has_inf {
                    let le = float_label(MetricType::Histogram, "le", f64::INFINITY);
                    f.samples.push(sample(
                        &format!("{name}_bucket"),
                        m,
                        Some(("le", le)),
                        count,
                    ));
                }
                f.samples.push(sample(
                    &format!("{name}_sum"),
                    m,
                    None,
                    h.sample_sum.unwrap_or(0.0),
                ));
                f.samples
                    .push(sample(&format!("{name}_count"), m, None, count));
            }
        }
    }
    Ok(f)
}

/// Decodes a body of length-delimited `MetricFamily` messages.
///
/// # Errors
///
/// [`ScrapeError::Parse`] with the byte offset for a malformed or
/// truncated message, [`ScrapeError::BadPush`] for an invalid family.
pub fn parse_delimited(mut body: &[u8]) -> Result<Vec<MetricFamily>, ScrapeError> {
    let total = body.len();
    let mut out = Vec::new();
    while !body.is_empty() {
        let offset = total - body.len();
        let p =
            ProtoFamily::decode_length_delimited(&mut body).map_err(|e| ScrapeError::Parse {
                line: 0,
                message: format!("protobuf MetricFamily at byte {offset}: {e}"),
            })?;
        out.push(to_family(&p)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(n: &str, v: &str) -> LabelPair {
        LabelPair {
            name: Some(n.into()),
            value: Some(v.into()),
        }
    }

    #[test]
    fn decodes_counters_gauges_summaries_histograms() {
        let fams = vec![
            ProtoFamily {
                name: Some("c_total".into()),
                help: Some("C.".into()),
                r#type: Some(0),
                metric: vec![Metric {
                    label: vec![lp("a", "1")],
                    counter: Some(Value { value: Some(3.0) }),
                    ..Default::default()
                }],
                unit: None,
            },
            ProtoFamily {
                name: Some("s".into()),
                help: None,
                r#type: Some(2),
                metric: vec![Metric {
                    summary: Some(Summary {
                        sample_count: Some(4),
                        sample_sum: Some(2.5),
                        quantile: vec![Quantile {
                            quantile: Some(0.5),
                            value: Some(1.0),
                        }],
                    }),
                    ..Default::default()
                }],
                unit: None,
            },
            ProtoFamily {
                name: Some("h".into()),
                help: None,
                r#type: Some(4),
                metric: vec![Metric {
                    histogram: Some(Histogram {
                        sample_count: Some(2),
                        sample_sum: Some(1.5),
                        bucket: vec![Bucket {
                            cumulative_count: Some(1),
                            upper_bound: Some(1.0),
                            cumulative_count_float: None,
                        }],
                        sample_count_float: None,
                    }),
                    ..Default::default()
                }],
                unit: None,
            },
        ];
        let mut body = Vec::new();
        for f in &fams {
            f.encode_length_delimited(&mut body).unwrap();
        }
        let out = parse_delimited(&body).unwrap();
        assert_eq!(out[0].metadata.help, "C.");
        assert_eq!(out[0].samples[0].labels.get("a"), "1");
        assert_eq!(out[0].samples[0].value, 3.0);
        let names: Vec<String> = out[1]
            .samples
            .iter()
            .map(|s| s.labels.to_string())
            .collect();
        assert_eq!(names, vec![r#"s{quantile="0.5"}"#, "s_sum", "s_count"]);
        let h: Vec<(String, f64)> = out[2]
            .samples
            .iter()
            .map(|s| (s.labels.to_string(), s.value))
            .collect();
        assert_eq!(
            h,
            vec![
                (r#"h_bucket{le="1.0"}"#.to_string(), 1.0),
                (r#"h_bucket{le="+Inf"}"#.to_string(), 2.0),
                ("h_sum".to_string(), 1.5),
                ("h_count".to_string(), 2.0)
            ]
        );
        // Truncation is a located parse error.
        assert!(matches!(
            parse_delimited(&body[..body.len() - 2]),
            Err(ScrapeError::Parse { .. })
        ));
        assert!(parse_delimited(&[0xff, 0xff, 0xff]).is_err());
    }
}
