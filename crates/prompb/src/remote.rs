//! The messages of `remote.proto`: remote write 1.0 and remote read.

use crate::types::{ChunkedSeries, LabelMatcher, MetricMetadata, ReadHints, TimeSeries};

/// A remote write 1.0 request body (before snappy compression).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct WriteRequest {
    /// The series and their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric metadata (field 2 is reserved upstream).
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// A remote read request: queries and the response types the client takes.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ReadRequest {
    /// The queries, answered in order.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Accepted response types in order of preference
    /// (`read_request::ResponseType`); empty means samples only.
    #[prost(enumeration = "read_request::ResponseType", repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// The enum of [`ReadRequest`].
pub mod read_request {
    /// How the server may answer.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
    #[repr(i32)]
    pub enum ResponseType {
        /// One snappy-compressed [`super::ReadResponse`] with raw samples.
        Samples = 0,
        /// A stream of framed [`super::ChunkedReadResponse`] messages.
        StreamedXorChunks = 1,
    }
}

/// The sampled remote read response: one result per query.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ReadResponse {
    /// Results, in query order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// One remote read query.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Query {
    /// Start of the range, milliseconds, inclusive.
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// End of the range, milliseconds, inclusive.
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// The selector.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Optional hints.
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// The series one query selected.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryResult {
    /// Series with raw samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// One frame of a streamed remote read response.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ChunkedReadResponse {
    /// Series with encoded chunks.
    #[prost(message, repeated, tag = "1")]
    pub chunked_series: Vec<ChunkedSeries>,
    /// Which query of the request this frame answers.
    #[prost(int64, tag = "2")]
    pub query_index: i64,
}

impl WriteRequest {
    /// The number of float samples in the request (for limits).
    pub fn sample_count(&self) -> usize {
        self.timeseries.iter().map(|t| t.samples.len()).sum()
    }

    /// The number of exemplars in the request.
    pub fn exemplar_count(&self) -> usize {
        self.timeseries.iter().map(|t| t.exemplars.len()).sum()
    }

    /// The number of native histogram samples in the request.
    pub fn histogram_count(&self) -> usize {
        self.timeseries.iter().map(|t| t.histograms.len()).sum()
    }
}
