//! Query results: [`Value`], [`QueryResult`] and [`format_float`].

use telltale_model::{Labels, Sample};

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSample {
    /// The series' labels (the metric name is gone if an operation dropped it).
    pub labels: Labels,
    /// The evaluation timestamp in milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// One series of a range vector (matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// The series' labels.
    pub labels: Labels,
    /// The points, oldest first.
    pub samples: Vec<Sample>,
}

/// The value a query evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar at time `t` (milliseconds).
    Scalar {
        /// Evaluation time in milliseconds.
        t: i64,
        /// The value.
        v: f64,
    },
    /// A string at time `t`.
    String {
        /// Evaluation time in milliseconds.
        t: i64,
        /// The string.
        v: String,
    },
    /// An instant vector. Its order is the evaluation order (meaningful only
    /// after `sort`, `sort_desc`, `topk`, ...).
    Vector(Vec<VectorSample>),
    /// A range vector, sorted by labels.
    Matrix(Vec<RangeSeries>),
}

impl Value {
    /// The type name the HTTP API reports as `resultType`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar { .. } => "scalar",
            Value::String { .. } => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}

/// The outcome of a query: its value, the annotations Prometheus would
/// attach and statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The value.
    pub value: Value,
    /// Warning annotations, rendered `PromQL warning: ... (line:col)`.
    pub warnings: Vec<String>,
    /// Info annotations, rendered `PromQL info: ... (line:col)`.
    pub infos: Vec<String>,
    /// The number of samples read from storage.
    pub samples_loaded: usize,
}

/// Formats a sample value exactly as Prometheus's JSON API does (Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)`): the shortest decimal that reads
/// back to the same float, never in exponent notation, and `NaN`, `+Inf`,
/// `-Inf` for the special values.
///
/// ```
/// use telltale_promql::format_float;
/// assert_eq!(format_float(1.0), "1");
/// assert_eq!(format_float(0.1), "0.1");
/// assert_eq!(format_float(1e21), "1000000000000000000000");
/// assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
/// ```
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        // Rust's Display for f64 is the shortest round-trip representation
        // and never uses an exponent, as Go's 'f' format with precision -1.
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_float_matches_go() {
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(-0.0), "-0");
        assert_eq!(format_float(1e-7), "0.0000001");
        assert_eq!(format_float(123.456), "123.456");
        assert_eq!(format_float(-2.5), "-2.5");
    }
}
