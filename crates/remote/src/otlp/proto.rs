//! The OTLP metrics messages (`opentelemetry/proto/metrics/v1`,
//! `collector/metrics/v1`, `common/v1`, `resource/v1`), hand-written with
//! the upstream field numbers, decoded from protobuf by `prost` and from
//! OTLP/JSON by `serde` (lowerCamelCase names, 64-bit integers as strings
//! or numbers, enums as integers or names, oneofs flattened into the
//! enclosing object). Exemplars and other fields Telltale does not use are
//! left out: both decoders skip unknown fields.

use serde::Deserialize;

use super::json::{de_f64, de_i32_enum, de_opt_f64, de_u64, de_u64_vec};

/// `ExportMetricsServiceRequest`: the body of `POST /v1/metrics`.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportMetricsServiceRequest {
    /// Metrics grouped by the resource that produced them.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// `ExportMetricsServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsServiceResponse {
    /// Set when some data points were rejected.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportMetricsPartialSuccess>,
}

/// `ExportMetricsPartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsPartialSuccess {
    /// How many data points were rejected.
    #[prost(int64, tag = "1")]
    pub rejected_data_points: i64,
    /// Why, for the sender's logs.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// Metrics of one resource (a process, a host, a service instance).
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceMetrics {
    /// The resource's attributes.
    #[prost(message, optional, tag = "1")]
    #[serde(default)]
    pub resource: Option<Resource>,
    /// Metrics grouped by instrumentation scope.
    #[prost(message, repeated, tag = "2")]
    #[serde(default)]
    pub scope_metrics: Vec<ScopeMetrics>,
}

/// A resource.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Attributes such as `service.name`.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
}

/// Metrics of one instrumentation scope.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeMetrics {
    /// The scope (library name and version).
    #[prost(message, optional, tag = "1")]
    #[serde(default)]
    pub scope: Option<InstrumentationScope>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    #[serde(default)]
    pub metrics: Vec<Metric>,
}

/// An instrumentation scope.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentationScope {
    /// The library name.
    #[prost(string, tag = "1")]
    #[serde(default)]
    pub name: String,
    /// The library version.
    #[prost(string, tag = "2")]
    #[serde(default)]
    pub version: String,
}

/// One metric: a name, a unit and data of one kind.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// The OpenTelemetry name (`http.server.duration`).
    #[prost(string, tag = "1")]
    #[serde(default)]
    pub name: String,
    /// The description.
    #[prost(string, tag = "2")]
    #[serde(default)]
    pub description: String,
    /// The UCUM unit (`s`, `By`, `1`, `{requests}`).
    #[prost(string, tag = "3")]
    #[serde(default)]
    pub unit: String,
    /// The data.
    #[prost(oneof = "metric::Data", tags = "5, 7, 9, 10, 11")]
    #[serde(flatten)]
    pub data: Option<metric::Data>,
}

/// The oneof of [`Metric`].
pub mod metric {
    use serde::Deserialize;

    /// The kinds of metric data.
    #[derive(Clone, PartialEq, prost::Oneof, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub enum Data {
        /// Last values.
        #[prost(message, tag = "5")]
        Gauge(super::Gauge),
        /// Sums (counters when cumulative and monotonic).
        #[prost(message, tag = "7")]
        Sum(super::Sum),
        /// Explicit-bucket histograms.
        #[prost(message, tag = "9")]
        Histogram(super::Histogram),
        /// Exponential histograms (not stored: counted and skipped).
        #[prost(message, tag = "10")]
        ExponentialHistogram(super::ExponentialHistogram),
        /// Summaries.
        #[prost(message, tag = "11")]
        Summary(super::Summary),
    }
}

/// `AggregationTemporality::DELTA`.
pub const TEMPORALITY_DELTA: i32 = 1;
/// `AggregationTemporality::CUMULATIVE`.
pub const TEMPORALITY_CUMULATIVE: i32 = 2;
/// `DataPointFlags::FLAG_NO_RECORDED_VALUE_MASK`: the point marks a series
/// that went away (stored as the stale marker).
pub const FLAG_NO_RECORDED_VALUE: u32 = 1;

/// Gauge data.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gauge {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub data_points: Vec<NumberDataPoint>,
}

/// Sum data.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sum {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub data_points: Vec<NumberDataPoint>,
    /// Delta (1) or cumulative (2).
    #[prost(int32, tag = "2")]
    #[serde(default, deserialize_with = "de_i32_enum")]
    pub aggregation_temporality: i32,
    /// Whether the sum only goes up (a counter).
    #[prost(bool, tag = "3")]
    #[serde(default)]
    pub is_monotonic: bool,
}

/// Histogram data.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Histogram {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub data_points: Vec<HistogramDataPoint>,
    /// Delta (1) or cumulative (2).
    #[prost(int32, tag = "2")]
    #[serde(default, deserialize_with = "de_i32_enum")]
    pub aggregation_temporality: i32,
}

/// Exponential histogram data: only the points are read, to count them.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExponentialHistogram {
    /// The points (their contents are not decoded).
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub data_points: Vec<Skipped>,
}

/// A message whose contents are ignored.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
pub struct Skipped {}

/// Summary data.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub data_points: Vec<SummaryDataPoint>,
}

/// A gauge or sum point.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberDataPoint {
    /// The point's attributes (labels).
    #[prost(message, repeated, tag = "7")]
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative period, ns.
    #[prost(fixed64, tag = "2")]
    #[serde(default, deserialize_with = "de_u64")]
    pub start_time_unix_nano: u64,
    /// The point's time, ns.
    #[prost(fixed64, tag = "3")]
    #[serde(default, deserialize_with = "de_u64")]
    pub time_unix_nano: u64,
    /// The value.
    #[prost(oneof = "number_data_point::Value", tags = "4, 6")]
    #[serde(flatten)]
    pub value: Option<number_data_point::Value>,
    /// `DataPointFlags`.
    #[prost(uint32, tag = "8")]
    #[serde(default)]
    pub flags: u32,
}

/// The oneof of [`NumberDataPoint`].
pub mod number_data_point {
    use serde::Deserialize;

    use super::super::json::{de_f64, de_i64};

    /// A float or an integer value.
    #[derive(Clone, Copy, PartialEq, prost::Oneof, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub enum Value {
        /// A float.
        #[prost(double, tag = "4")]
        AsDouble(#[serde(deserialize_with = "de_f64")] f64),
        /// An integer.
        #[prost(sfixed64, tag = "6")]
        AsInt(#[serde(deserialize_with = "de_i64")] i64),
    }
}

/// A histogram point with explicit bucket bounds.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramDataPoint {
    /// The point's attributes.
    #[prost(message, repeated, tag = "9")]
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative period, ns.
    #[prost(fixed64, tag = "2")]
    #[serde(default, deserialize_with = "de_u64")]
    pub start_time_unix_nano: u64,
    /// The point's time, ns.
    #[prost(fixed64, tag = "3")]
    #[serde(default, deserialize_with = "de_u64")]
    pub time_unix_nano: u64,
    /// The number of observations.
    #[prost(fixed64, tag = "4")]
    #[serde(default, deserialize_with = "de_u64")]
    pub count: u64,
    /// Their sum, if recorded.
    #[prost(double, optional, tag = "5")]
    #[serde(default, deserialize_with = "de_opt_f64")]
    pub sum: Option<f64>,
    /// Observations per bucket (not cumulative), one more than the bounds.
    #[prost(fixed64, repeated, tag = "6")]
    #[serde(default, deserialize_with = "de_u64_vec")]
    pub bucket_counts: Vec<u64>,
    /// The upper bounds, increasing.
    #[prost(double, repeated, tag = "7")]
    #[serde(default)]
    pub explicit_bounds: Vec<f64>,
    /// `DataPointFlags`.
    #[prost(uint32, tag = "10")]
    #[serde(default)]
    pub flags: u32,
}

/// A summary point.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryDataPoint {
    /// The point's attributes.
    #[prost(message, repeated, tag = "7")]
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative period, ns.
    #[prost(fixed64, tag = "2")]
    #[serde(default, deserialize_with = "de_u64")]
    pub start_time_unix_nano: u64,
    /// The point's time, ns.
    #[prost(fixed64, tag = "3")]
    #[serde(default, deserialize_with = "de_u64")]
    pub time_unix_nano: u64,
    /// The number of observations.
    #[prost(fixed64, tag = "4")]
    #[serde(default, deserialize_with = "de_u64")]
    pub count: u64,
    /// Their sum.
    #[prost(double, tag = "5")]
    #[serde(default, deserialize_with = "de_f64")]
    pub sum: f64,
    /// The quantiles.
    #[prost(message, repeated, tag = "6")]
    #[serde(default)]
    pub quantile_values: Vec<ValueAtQuantile>,
    /// `DataPointFlags`.
    #[prost(uint32, tag = "8")]
    #[serde(default)]
    pub flags: u32,
}

/// One quantile of a summary.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueAtQuantile {
    /// The quantile, 0 to 1.
    #[prost(double, tag = "1")]
    #[serde(default, deserialize_with = "de_f64")]
    pub quantile: f64,
    /// Its value.
    #[prost(double, tag = "2")]
    #[serde(default, deserialize_with = "de_f64")]
    pub value: f64,
}

/// An attribute.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    /// The attribute's name.
    #[prost(string, tag = "1")]
    #[serde(default)]
    pub key: String,
    /// Its value.
    #[prost(message, optional, tag = "2")]
    #[serde(default)]
    pub value: Option<AnyValue>,
}

/// An attribute value.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnyValue {
    /// The value.
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    #[serde(flatten)]
    pub value: Option<any_value::Value>,
}

/// The oneof of [`AnyValue`].
pub mod any_value {
    use serde::Deserialize;

    use super::super::json::{de_f64, de_i64};

    /// The kinds of attribute values.
    #[derive(Clone, PartialEq, prost::Oneof, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub enum Value {
        /// A string.
        #[prost(string, tag = "1")]
        StringValue(String),
        /// A boolean.
        #[prost(bool, tag = "2")]
        BoolValue(bool),
        /// An integer.
        #[prost(int64, tag = "3")]
        IntValue(#[serde(deserialize_with = "de_i64")] i64),
        /// A float.
        #[prost(double, tag = "4")]
        DoubleValue(#[serde(deserialize_with = "de_f64")] f64),
        /// A list.
        #[prost(message, tag = "5")]
        ArrayValue(super::ArrayValue),
        /// A map.
        #[prost(message, tag = "6")]
        KvlistValue(super::KeyValueList),
        /// Bytes (not read from JSON: the attribute is left out).
        #[prost(bytes, tag = "7")]
        #[serde(skip)]
        BytesValue(Vec<u8>),
    }
}

/// A list of attribute values.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArrayValue {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub values: Vec<AnyValue>,
}

/// A map of attribute values.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyValueList {
    /// The entries.
    #[prost(message, repeated, tag = "1")]
    #[serde(default)]
    pub values: Vec<KeyValue>,
}
