//! The shared messages of `types.proto` (package `prometheus`), written by
//! hand with the same field numbers and wire types as the upstream schema.
//! Native histograms are carried through unchanged; Telltale stores only
//! float samples today.

/// A label: name and value.
#[derive(Clone, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Label {
    /// The label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A float sample.
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// An exemplar: labels (a trace id, typically), value and time.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Exemplar {
    /// The exemplar's labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// A span of consecutive native-histogram buckets.
#[derive(Clone, Copy, PartialEq, Eq, ::prost::Message)]
pub struct BucketSpan {
    /// Gap to the previous span, or the start index of the first one.
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    /// Number of consecutive buckets.
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

/// A native histogram sample (decoded and re-encoded, not interpreted).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Histogram {
    /// Count of observations, integer or float.
    #[prost(oneof = "histogram::Count", tags = "1, 2")]
    pub count: Option<histogram::Count>,
    /// Sum of observations.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// Resolution of the buckets.
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// Breadth of the zero bucket.
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    /// Count in the zero bucket, integer or float.
    #[prost(oneof = "histogram::ZeroCount", tags = "6, 7")]
    pub zero_count: Option<histogram::ZeroCount>,
    /// Negative bucket spans.
    #[prost(message, repeated, tag = "8")]
    pub negative_spans: Vec<BucketSpan>,
    /// Negative bucket count deltas (integer histograms).
    #[prost(sint64, repeated, tag = "9")]
    pub negative_deltas: Vec<i64>,
    /// Negative bucket counts (float histograms).
    #[prost(double, repeated, tag = "10")]
    pub negative_counts: Vec<f64>,
    /// Positive bucket spans.
    #[prost(message, repeated, tag = "11")]
    pub positive_spans: Vec<BucketSpan>,
    /// Positive bucket count deltas (integer histograms).
    #[prost(sint64, repeated, tag = "12")]
    pub positive_deltas: Vec<i64>,
    /// Positive bucket counts (float histograms).
    #[prost(double, repeated, tag = "13")]
    pub positive_counts: Vec<f64>,
    /// Counter-reset hint (`histogram::ResetHint`).
    #[prost(enumeration = "histogram::ResetHint", tag = "14")]
    pub reset_hint: i32,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
    /// Custom bucket bounds (schema -53).
    #[prost(double, repeated, tag = "16")]
    pub custom_values: Vec<f64>,
}

/// The oneofs and enum of [`Histogram`].
pub mod histogram {
    /// The observation count.
    #[derive(Clone, Copy, PartialEq, ::prost::Oneof)]
    pub enum Count {
        /// Integer count.
        #[prost(uint64, tag = "1")]
        CountInt(u64),
        /// Float count.
        #[prost(double, tag = "2")]
        CountFloat(f64),
    }

    /// The zero-bucket count.
    #[derive(Clone, Copy, PartialEq, ::prost::Oneof)]
    pub enum ZeroCount {
        /// Integer count.
        #[prost(uint64, tag = "6")]
        ZeroCountInt(u64),
        /// Float count.
        #[prost(double, tag = "7")]
        ZeroCountFloat(f64),
    }

    /// Whether a counter reset happened before this histogram.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
    #[repr(i32)]
    pub enum ResetHint {
        /// Must be checked.
        Unknown = 0,
        /// A reset happened.
        Yes = 1,
        /// No reset happened.
        No = 2,
        /// A gauge histogram: resets do not apply.
        Gauge = 3,
    }
}

/// One series with its samples, exemplars and histograms.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TimeSeries {
    /// The labels, `__name__` included, sorted by name by well-behaved
    /// senders.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars.
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
    /// Native histogram samples.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<Histogram>,
}

/// A label set on its own.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Labels {
    /// The labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
}

/// Metadata of a metric family.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MetricMetadata {
    /// The type (`metric_metadata::MetricType`).
    #[prost(enumeration = "metric_metadata::MetricType", tag = "1")]
    pub r#type: i32,
    /// The family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// The enum of [`MetricMetadata`].
pub mod metric_metadata {
    /// A metric family's type.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// Unknown or untyped.
        Unknown = 0,
        /// Counter.
        Counter = 1,
        /// Gauge.
        Gauge = 2,
        /// Histogram.
        Histogram = 3,
        /// Gauge histogram.
        Gaugehistogram = 4,
        /// Summary.
        Summary = 5,
        /// Info.
        Info = 6,
        /// State set.
        Stateset = 7,
    }
}

/// A label matcher of a remote read query.
#[derive(Clone, PartialEq, Eq, ::prost::Message)]
pub struct LabelMatcher {
    /// The operator (`label_matcher::Type`).
    #[prost(enumeration = "label_matcher::Type", tag = "1")]
    pub r#type: i32,
    /// The label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// The value or pattern.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// The enum of [`LabelMatcher`].
pub mod label_matcher {
    /// A matcher's operator.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
    #[repr(i32)]
    pub enum Type {
        /// `=`
        Eq = 0,
        /// `!=`
        Neq = 1,
        /// `=~`
        Re = 2,
        /// `!~`
        Nre = 3,
    }
}

/// Hints a remote read query may carry.
#[derive(Clone, PartialEq, Eq, ::prost::Message)]
pub struct ReadHints {
    /// Query step in milliseconds.
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// The surrounding function or aggregation.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start time in milliseconds.
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End time in milliseconds.
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
    /// Label names of the aggregation's grouping.
    #[prost(string, repeated, tag = "5")]
    pub grouping: Vec<String>,
    /// Whether the grouping is `by` (else `without`).
    #[prost(bool, tag = "6")]
    pub by: bool,
    /// Range of a range selector in milliseconds.
    #[prost(int64, tag = "7")]
    pub range_ms: i64,
}

/// An encoded chunk of samples, as stored.
#[derive(Clone, PartialEq, Eq, ::prost::Message)]
pub struct Chunk {
    /// First sample's time in milliseconds.
    #[prost(int64, tag = "1")]
    pub min_time_ms: i64,
    /// Last sample's time in milliseconds.
    #[prost(int64, tag = "2")]
    pub max_time_ms: i64,
    /// The encoding (`chunk::Encoding`).
    #[prost(enumeration = "chunk::Encoding", tag = "3")]
    pub r#type: i32,
    /// The chunk bytes, in the encoding's layout (Prometheus's XOR chunk
    /// for [`chunk::Encoding::Xor`]).
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// The enum of [`Chunk`].
pub mod chunk {
    /// A chunk encoding.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
    #[repr(i32)]
    pub enum Encoding {
        /// Unknown.
        Unknown = 0,
        /// Gorilla XOR float chunk.
        Xor = 1,
        /// Native histogram chunk.
        Histogram = 2,
        /// Float native histogram chunk.
        FloatHistogram = 3,
        /// XOR with start timestamps.
        Xor2 = 4,
        /// Histogram with start timestamps.
        HistogramSt = 5,
        /// Float histogram with start timestamps.
        FloatHistogramSt = 6,
    }
}

/// A series with encoded chunks (streamed remote read).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ChunkedSeries {
    /// The labels, sorted.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Chunks, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub chunks: Vec<Chunk>,
}
