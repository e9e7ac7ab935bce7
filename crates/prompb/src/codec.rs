//! Snappy block compression with a bound checked before any allocation,
//! and the request/response bodies built on it.
//!
//! The snappy *block* format (not the framed one) starts with the
//! uncompressed length as a little-endian base-128 varint:
//!
//! ```text
//! +-------------------------+----------------------------------+
//! | uvarint uncompressed len | literal / copy elements ...     |
//! +-------------------------+----------------------------------+
//! ```
//!
//! [`decompress`] reads only that header, compares it with the caller's
//! bound and refuses before allocating, so a "snappy bomb" (a few bytes
//! declaring gigabytes) costs nothing.

use prost::Message;

use crate::error::Error;
use crate::remote::{ReadRequest, ReadResponse, WriteRequest};

/// `Content-Type` of remote write 1.0 and sampled remote read bodies.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/x-protobuf";

/// `Content-Encoding` of remote write and sampled remote read bodies.
pub const SNAPPY_ENCODING: &str = "snappy";

/// `X-Prometheus-Remote-Write-Version` sent with remote write 1.0.
pub const REMOTE_WRITE_VERSION: &str = "0.1.0";

/// `X-Prometheus-Remote-Read-Version` sent with remote read.
pub const REMOTE_READ_VERSION: &str = "0.1.0";

/// Decompresses a snappy block whose declared size is at most
/// `max_decompressed` bytes.
///
/// # Errors
///
/// [`Error::SnappyHeader`] for a malformed header, [`Error::TooLarge`] when
/// the declared size is over the bound (checked before allocating),
/// [`Error::Snappy`] for a corrupt block.
pub fn decompress(body: &[u8], max_decompressed: usize) -> Result<Vec<u8>, Error> {
    let declared = snap::raw::decompress_len(body).map_err(Error::SnappyHeader)?;
    if declared > max_decompressed {
        return Err(Error::TooLarge {
            declared,
            limit: max_decompressed,
        });
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(Error::Snappy)
}

/// Compresses `data` as one snappy block.
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; snap::raw::max_compress_len(data.len())];
    // Compression of an in-memory buffer into a buffer of the maximum size
    // cannot fail except for inputs over 4 GiB, which no caller builds.
    match snap::raw::Encoder::new().compress(data, &mut out) {
        Ok(n) => {
            out.truncate(n);
            out
        }
        Err(_) => Vec::new(),
    }
}

/// Decodes a remote write 1.0 body: snappy block, then protobuf.
///
/// `max_decompressed` bounds the decompressed size; the check happens on the
/// snappy header, before anything is allocated. Decoding allocates at most a
/// small multiple of the decompressed size.
///
/// # Errors
///
/// The snappy errors of [`decompress`], or [`Error::Decode`] for a malformed
/// message.
pub fn decode_write_request(body: &[u8], max_decompressed: usize) -> Result<WriteRequest, Error> {
    let raw = decompress(body, max_decompressed)?;
    WriteRequest::decode(raw.as_slice()).map_err(|source| Error::Decode {
        message: "WriteRequest",
        source,
    })
}

/// Encodes a remote write 1.0 body: protobuf, then one snappy block.
pub fn encode_write_request(req: &WriteRequest) -> Vec<u8> {
    compress(&req.encode_to_vec())
}

/// Decodes a remote read request body (snappy block, then protobuf).
///
/// # Errors
///
/// As [`decode_write_request`].
pub fn decode_read_request(body: &[u8], max_decompressed: usize) -> Result<ReadRequest, Error> {
    let raw = decompress(body, max_decompressed)?;
    ReadRequest::decode(raw.as_slice()).map_err(|source| Error::Decode {
        message: "ReadRequest",
        source,
    })
}

/// Encodes a remote read request body.
pub fn encode_read_request(req: &ReadRequest) -> Vec<u8> {
    compress(&req.encode_to_vec())
}

/// Encodes a sampled remote read response body (protobuf, snappy block).
pub fn encode_read_response(resp: &ReadResponse) -> Vec<u8> {
    compress(&resp.encode_to_vec())
}

/// Decodes a sampled remote read response body.
///
/// # Errors
///
/// As [`decode_write_request`].
pub fn decode_read_response(body: &[u8], max_decompressed: usize) -> Result<ReadResponse, Error> {
    let raw = decompress(body, max_decompressed)?;
    ReadResponse::decode(raw.as_slice()).map_err(|source| Error::Decode {
        message: "ReadResponse",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snappy_bomb_is_refused_from_its_header() {
        // A header declaring 2^32-1 bytes and no data: must fail on the
        // bound, not try to allocate 4 GiB.
        let bomb = [0xff, 0xff, 0xff, 0xff, 0x0f];
        match decompress(&bomb, 1 << 20) {
            Err(Error::TooLarge { declared, limit }) => {
                assert_eq!(declared, u32::MAX as usize);
                assert_eq!(limit, 1 << 20);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn compress_round_trips_and_respects_exact_bound() {
        let data = b"abcabcabcabcabcabc hello hello hello".repeat(10);
        let c = compress(&data);
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
        assert!(matches!(
            decompress(&c, data.len() - 1),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn garbage_gives_clear_errors() {
        assert!(matches!(
            decompress(&[0x80], 10),
            Err(Error::SnappyHeader(_))
        ));
        assert!(matches!(decompress(&[], 10), Err(Error::Snappy(_))));
        assert!(matches!(
            decompress(&[0x05, 0xff], 10),
            Err(Error::Snappy(_))
        ));
        let not_proto = compress(&[0xff; 8]);
        let e = decode_write_request(&not_proto, 100).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("protobuf: cannot decode WriteRequest"),
            "{e}"
        );
    }
}
