//! Canonical query results, their digests, and comparison with tolerance.
//!
//! Each answer (`vector`, `matrix` or `scalar`) becomes a sorted list of
//! series: labels rendered `{a="1",b="2"}` in name order, then points.
//! The digest is an FNV-1a hash of that list with values rounded to 6
//! significant digits, printed as 8 hex digits: equal digests mean equal
//! answers at a glance. Rounding can put two nearly equal values on both
//! sides of a boundary, so the verdict comes from [`compare`], which
//! matches series by labels and values within a relative tolerance.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// One result series: rendered labels and `(ms, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `{a="1",b="2"}`, names sorted.
    pub labels: String,
    /// Points in time order (one for instant vectors and scalars).
    pub points: Vec<(i64, f64)>,
}

/// A canonical answer: series sorted by labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// The series.
    pub series: Vec<Series>,
}

fn bad(query: &str, message: impl Into<String>) -> Error {
    Error::Answer {
        query: query.into(),
        message: message.into(),
    }
}

fn point(query: &str, p: &serde_json::Value) -> Result<(i64, f64)> {
    let a = p
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| bad(query, "point is not [t, v]"))?;
    let t = a[0]
        .as_f64()
        .ok_or_else(|| bad(query, "point time is not a number"))?;
    let v = match &a[1] {
        serde_json::Value::String(s) => parse_value(s),
        other => other.as_f64(),
    }
    .ok_or_else(|| bad(query, "point value is not a float"))?;
    Ok(((t * 1000.0).round() as i64, v))
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

fn render(metric: Option<&serde_json::Map<String, serde_json::Value>>) -> String {
    let mut m: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in metric.into_iter().flatten() {
        m.insert(k, v.as_str().unwrap_or(""));
    }
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(","))
}

impl Answer {
    /// Reads an API answer (`{"status":"success","data":{...}}`).
    ///
    /// # Errors
    ///
    /// [`Error::Answer`] when the status is not success or the shape is
    /// not a Prometheus query result.
    pub fn from_json(query: &str, v: &serde_json::Value) -> Result<Answer> {
        if v.get("status").and_then(|s| s.as_str()) != Some("success") {
            let e = v
                .get("error")
                .and_then(|s| s.as_str())
                .unwrap_or("no status");
            return Err(bad(query, format!("not success: {e}")));
        }
        let data = v.get("data").ok_or_else(|| bad(query, "no data"))?;
        let kind = data
            .get("resultType")
            .and_then(|s| s.as_str())
            .unwrap_or("");
        let result = data.get("result").ok_or_else(|| bad(query, "no result"))?;
        let mut series = Vec::new();
        match kind {
            "scalar" | "string" => series.push(Series {
                labels: "{}".into(),
                points: vec![point(query, result)?],
            }),
            "vector" | "matrix" => {
                for s in result
                    .as_array()
                    .ok_or_else(|| bad(query, "result is not a list"))?
                {
                    let labels = render(s.get("metric").and_then(|m| m.as_object()));
                    let points = if let Some(p) = s.get("value") {
                        vec![point(query, p)?]
                    } else {
                        let vals = s.get("values").and_then(|v| v.as_array());
                        let mut pts = Vec::new();
                        for p in vals.into_iter().flatten() {
                            pts.push(point(query, p)?);
                        }
                        pts
                    };
                    series.push(Series { labels, points });
                }
            }
            other => return Err(bad(query, format!("unknown resultType {other:?}"))),
        }
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(Answer { series })
    }

    /// Points over all series.
    pub fn points(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }

    /// The digest: 8 hex digits over labels, times and values rounded to 6
    /// significant digits.
    pub fn digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |b: &[u8]| {
            for &x in b {
                h ^= x as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for s in &self.series {
            eat(s.labels.as_bytes());
            for (t, v) in &s.points {
                eat(&t.to_le_bytes());
                eat(format!("{v:.5e}").as_bytes());
            }
            eat(b"\n");
        }
        format!("{:08x}", (h >> 32) as u32 ^ h as u32)
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

/// Compares two answers: `None` when they agree (same series, same
/// timestamps, values within relative tolerance `rel`), else a short
/// description of the first differences.
pub fn compare(a: &Answer, b: &Answer, rel: f64) -> Option<String> {
    let mut diffs = Vec::new();
    let bm: BTreeMap<&str, &Series> = b.series.iter().map(|s| (s.labels.as_str(), s)).collect();
    let am: BTreeMap<&str, &Series> = a.series.iter().map(|s| (s.labels.as_str(), s)).collect();
    let only_a = a
        .series
        .iter()
        .filter(|s| !bm.contains_key(s.labels.as_str()))
        .count();
    let only_b = b
        .series
        .iter()
        .filter(|s| !am.contains_key(s.labels.as_str()))
        .count();
    if only_a + only_b > 0 {
        let ex = a
            .series
            .iter()
            .find(|s| !bm.contains_key(s.labels.as_str()))
            .or_else(|| {
                b.series
                    .iter()
                    .find(|s| !am.contains_key(s.labels.as_str()))
            })
            .map(|s| s.labels.as_str())
            .unwrap_or("");
        diffs.push(format!(
            "{} series: {only_a} only here, {only_b} only in the reference (e.g. {ex})",
            a.series.len()
        ));
    }
    let mut differing = 0;
    let mut first = None;
    for s in &a.series {
        let Some(r) = bm.get(s.labels.as_str()) else {
            continue;
        };
        let same = s.points.len() == r.points.len()
            && s.points
                .iter()
                .zip(&r.points)
                .all(|(x, y)| x.0 == y.0 && close(x.1, y.1, rel));
        if !same {
            differing += 1;
            if first.is_none() {
                let p = |s: &Series| match (s.points.first(), s.points.len()) {
                    (Some((t, v)), n) => format!("{n} pts, first {v}@{t}"),
                    (None, _) => "no points".into(),
                };
                first = Some(format!("{}: {} vs {}", s.labels, p(s), p(r)));
            }
        }
    }
    if differing > 0 {
        diffs.push(format!(
            "{differing} series differ (e.g. {})",
            first.unwrap_or_default()
        ));
    }
    if diffs.is_empty() {
        None
    } else {
        Some(diffs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vector(v: &str, inst: &str) -> serde_json::Value {
        json!({"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"job":"node","instance":inst},"value":[1700000000.5, v]},
            {"metric":{"instance":"a"},"value":[1700000000.5, "NaN"]}
        ]}})
    }

    #[test]
    fn canonical_form_sorts_series_and_labels() {
        let a = Answer::from_json("q", &vector("1.5", "b")).unwrap();
        assert_eq!(a.series[0].labels, r#"{instance="a"}"#);
        assert_eq!(a.series[1].labels, r#"{instance="b",job="node"}"#);
        assert_eq!(a.series[1].points, vec![(1_700_000_000_500, 1.5)]);
        assert!(a.series[0].points[0].1.is_nan());
        assert_eq!(a.points(), 2);
    }

    #[test]
    fn equal_answers_have_equal_digests_and_no_diff() {
        let a = Answer::from_json("q", &vector("1.5", "b")).unwrap();
        let b = Answer::from_json("q", &vector("1.5000000000001", "b")).unwrap();
        assert_eq!(a.digest(), b.digest());
        assert_eq!(compare(&a, &b, 1e-9), None);
        let c = Answer::from_json("q", &vector("1.6", "b")).unwrap();
        assert_ne!(a.digest(), c.digest());
        let d = compare(&a, &c, 1e-9).unwrap();
        assert!(d.contains("1 series differ"), "{d}");
    }

    #[test]
    fn missing_series_are_reported() {
        let a = Answer::from_json("q", &vector("1.5", "b")).unwrap();
        let c = Answer::from_json("q", &vector("1.5", "c")).unwrap();
        let d = compare(&a, &c, 1e-9).unwrap();
        assert!(d.contains("1 only here, 1 only in the reference"), "{d}");
    }

    #[test]
    fn reads_matrices_and_scalars() {
        let m = json!({"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1, "1"], [2, "+Inf"]]}]}});
        let a = Answer::from_json("q", &m).unwrap();
        assert_eq!(a.series[0].points, vec![(1000, 1.0), (2000, f64::INFINITY)]);
        let s = json!({"status":"success","data":{"resultType":"scalar","result":[3, "4"]}});
        assert_eq!(
            Answer::from_json("q", &s).unwrap().series[0].points,
            vec![(3000, 4.0)]
        );
    }

    #[test]
    fn errors_are_errors() {
        let e = json!({"status":"error","error":"parse error"});
        assert!(Answer::from_json("q", &e).is_err());
        let e = json!({"status":"success","data":{"resultType":"vector","result":[{"value":[1]}]}});
        assert!(Answer::from_json("q", &e).is_err());
    }
}
