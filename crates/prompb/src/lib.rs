//! Prometheus remote write 1.0 and remote read: the protobuf messages, the
//! snappy block bodies with a size bound checked before decompression, the
//! framing of streamed remote read, and conversions to Telltale's model.
//!
//! The messages are hand-written `prost` structs with the field numbers of
//! Prometheus's `prompb/types.proto` and `prompb/remote.proto` (no `protoc`
//! needed). This crate does no I/O: HTTP handlers pass it bodies.
//!
//! # Example
//!
//! ```
//! use telltale_model::Labels;
//! use telltale_prompb::{
//!     Sample, TimeSeries, WriteRequest, decode_write_request, encode_write_request,
//!     labels_from_proto, labels_to_proto,
//! };
//!
//! let series = Labels::from_pairs(&[("__name__", "up"), ("job", "node")]);
//! let req = WriteRequest {
//!     timeseries: vec![TimeSeries {
//!         labels: labels_to_proto(&series),
//!         samples: vec![Sample { value: 1.0, timestamp: 1_700_000_000_000 }],
//!         ..Default::default()
//!     }],
//!     metadata: vec![],
//! };
//! let body = encode_write_request(&req); // snappy-compressed protobuf
//!
//! // The receiver bounds the decompressed size (checked on the header).
//! let got = decode_write_request(&body, 32 << 20).unwrap();
//! assert_eq!(got, req);
//! assert_eq!(labels_from_proto(&got.timeseries[0].labels, 0).unwrap(), series);
//! assert!(decode_write_request(&body, 4).is_err()); // over the bound
//! ```
//!
//! # Layout
//!
//! - `types`: [`Label`], [`Sample`], [`TimeSeries`], [`Exemplar`],
//!   [`Histogram`], [`MetricMetadata`], [`LabelMatcher`], [`ReadHints`],
//!   [`Chunk`], [`ChunkedSeries`].
//! - `remote`: [`WriteRequest`], [`ReadRequest`], [`Query`],
//!   [`ReadResponse`], [`QueryResult`], [`ChunkedReadResponse`].
//! - `codec`: snappy bodies ([`decode_write_request`],
//!   [`encode_write_request`], read request/response).
//! - `chunked`: streamed remote read frames ([`write_frame`],
//!   [`FrameReader`]).
//! - `convert`: model conversions ([`labels_from_proto`],
//!   [`matcher_from_proto`], ...).

mod chunked;
mod codec;
mod convert;
mod error;
mod remote;
mod types;

pub use chunked::{FrameReader, STREAMED_CONTENT_TYPE, frame_len, write_frame};
pub use codec::{
    PROTOBUF_CONTENT_TYPE, REMOTE_READ_VERSION, REMOTE_WRITE_VERSION, SNAPPY_ENCODING, compress,
    decode_read_request, decode_read_response, decode_write_request, decompress,
    encode_read_request, encode_read_response, encode_write_request,
};
pub use convert::{
    labels_from_proto, labels_to_proto, matcher_from_proto, matcher_to_proto,
    metric_type_from_proto, metric_type_to_proto,
};
pub use error::Error;
pub use remote::{
    ChunkedReadResponse, Query, QueryResult, ReadRequest, ReadResponse, WriteRequest, read_request,
};
pub use types::{
    BucketSpan, Chunk, ChunkedSeries, Exemplar, Histogram, Label, LabelMatcher, Labels,
    MetricMetadata, ReadHints, Sample, TimeSeries, chunk, histogram, label_matcher,
    metric_metadata,
};
