//! The crate's error type.

/// Everything that can go wrong decoding or converting remote write and
/// remote read messages. This crate does no I/O, so every variant describes
/// bad input: a receiver answers 400 (not to be retried), or 413 for
/// [`Error::TooLarge`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The snappy block header (the uncompressed length) is malformed.
    #[error("snappy: invalid block header: {0}")]
    SnappyHeader(snap::Error),
    /// The declared uncompressed size is over the caller's bound; nothing
    /// was decompressed.
    #[error("snappy: decompressed size {declared} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The size the block header declares.
        declared: usize,
        /// The caller's bound.
        limit: usize,
    },
    /// The snappy block is corrupt.
    #[error("snappy: corrupt block: {0}")]
    Snappy(snap::Error),
    /// The protobuf message is malformed.
    #[error("protobuf: cannot decode {message}: {source}")]
    Decode {
        /// The message type that was being decoded.
        message: &'static str,
        /// What prost reported.
        source: prost::DecodeError,
    },
    /// A streamed frame's length prefix is not a valid varint.
    #[error("chunked frame at byte {offset}: invalid length prefix")]
    FrameLength {
        /// Offset of the frame in the stream.
        offset: usize,
    },
    /// A streamed frame is larger than the caller's bound.
    #[error("chunked frame at byte {offset}: size {size} exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// Offset of the frame in the stream.
        offset: usize,
        /// The declared size.
        size: u64,
        /// The caller's bound.
        limit: usize,
    },
    /// A streamed frame ends early.
    #[error("chunked frame at byte {offset}: truncated (need {needed} bytes, have {have})")]
    FrameTruncated {
        /// Offset of the frame in the stream.
        offset: usize,
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// A streamed frame's CRC32C does not match its contents.
    #[error(
        "chunked frame at byte {offset}: checksum mismatch (frame says {expected:#010x}, data gives {actual:#010x})"
    )]
    FrameChecksum {
        /// Offset of the frame in the stream.
        offset: usize,
        /// The checksum in the frame.
        expected: u32,
        /// The checksum of the data.
        actual: u32,
    },
    /// A label set from the wire is not acceptable.
    #[error("series {series}: {reason}")]
    InvalidLabels {
        /// Index of the series in the request.
        series: usize,
        /// What is wrong (empty name, duplicate name...).
        reason: String,
    },
    /// A remote read matcher could not be built.
    #[error("query matcher: {0}")]
    Matcher(#[from] telltale_model::MatcherError),
    /// A remote read matcher has an unknown operator.
    #[error("query matcher on {name:?}: unknown operator {op}")]
    MatcherType {
        /// The label name.
        name: String,
        /// The operator number.
        op: i32,
    },
}
