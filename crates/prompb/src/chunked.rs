//! The framing of streamed remote read (`STREAMED_XOR_CHUNKS`): a sequence
//! of frames, each one [`ChunkedReadResponse`] message.
//!
//! ```text
//! +----------------------+---------------------------+-----------------+
//! | uvarint message len  | CRC32C(message), 4 bytes, | message bytes   |
//! | (1..10 bytes)        | big endian (Castagnoli)   | (len bytes)     |
//! +----------------------+---------------------------+-----------------+
//! ```
//!
//! Frames are not compressed. The HTTP response carries
//! [`STREAMED_CONTENT_TYPE`].

use prost::Message;

use crate::error::Error;
use crate::remote::ChunkedReadResponse;

/// `Content-Type` of a streamed remote read response.
pub const STREAMED_CONTENT_TYPE: &str =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// Appends one frame holding `msg` to `out`.
pub fn write_frame(out: &mut Vec<u8>, msg: &ChunkedReadResponse) {
    let body = msg.encode_to_vec();
    prost::encoding::encode_varint(body.len() as u64, out);
    out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
    out.extend_from_slice(&body);
}

/// Reads frames from a byte buffer, checking sizes and checksums.
///
/// The reader is an [`Iterator`]; it stops after the first error. A partial
/// frame at the end is an error ([`Error::FrameTruncated`]), so a caller
/// that reads a stream incrementally should feed it whole frames or use
/// [`frame_len`] to know how many bytes the next frame needs.
#[derive(Debug, Clone)]
pub struct FrameReader<'a> {
    buf: &'a [u8],
    pos: usize,
    max_frame: usize,
    failed: bool,
}

impl<'a> FrameReader<'a> {
    /// A reader over `buf` that refuses frames larger than `max_frame`
    /// bytes (the message, without prefix and checksum).
    pub fn new(buf: &'a [u8], max_frame: usize) -> Self {
        FrameReader {
            buf,
            pos: 0,
            max_frame,
            failed: false,
        }
    }

    /// The next frame's raw message bytes, checked.
    ///
    /// # Errors
    ///
    /// [`Error::FrameLength`], [`Error::FrameTooLarge`],
    /// [`Error::FrameTruncated`] or [`Error::FrameChecksum`].
    pub fn next_raw(&mut self) -> Option<Result<&'a [u8], Error>> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = frame_at(self.buf, self.pos, self.max_frame);
        match r {
            Ok((body, next)) => {
                self.pos = next;
                Some(Ok(body))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The total size (prefix, checksum and message) of the frame at the start
/// of `buf`, if its length prefix is complete.
///
/// # Errors
///
/// [`Error::FrameLength`] for a bad prefix, [`Error::FrameTooLarge`] over
/// `max_frame`.
pub fn frame_len(buf: &[u8], max_frame: usize) -> Result<Option<usize>, Error> {
    match read_len(buf, 0, max_frame) {
        Ok((len, hdr)) => Ok(Some(hdr + 4 + len)),
        Err(Error::FrameTruncated { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the varint length at `offset`; returns (len, prefix size).
fn read_len(buf: &[u8], offset: usize, max_frame: usize) -> Result<(usize, usize), Error> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let Some(&b) = buf.get(offset + i) else {
            return Err(Error::FrameTruncated {
                offset,
                needed: i + 1,
                have: buf.len() - offset,
            });
        };
        if i == 9 && b > 1 {
            return Err(Error::FrameLength { offset });
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if v > max_frame as u64 {
                return Err(Error::FrameTooLarge {
                    offset,
                    size: v,
                    limit: max_frame,
                });
            }
            return Ok((v as usize, i + 1));
        }
    }
    Err(Error::FrameLength { offset })
}

fn frame_at(buf: &[u8], offset: usize, max_frame: usize) -> Result<(&[u8], usize), Error> {
    let (len, hdr) = read_len(buf, offset, max_frame)?;
    let start = offset + hdr + 4;
    let have = buf.len() - offset;
    if buf.len() < start + len {
        return Err(Error::FrameTruncated {
            offset,
            needed: hdr + 4 + len,
            have,
        });
    }
    let crc_bytes = [
        buf[offset + hdr],
        buf[offset + hdr + 1],
        buf[offset + hdr + 2],
        buf[offset + hdr + 3],
    ];
    let expected = u32::from_be_bytes(crc_bytes);
    let body = &buf[start..start + len];
    let actual = crc32c::crc32c(body);
    if expected != actual {
        return Err(Error::FrameChecksum {
            offset,
            expected,
            actual,
        });
    }
    Ok((body, start + len))
}

impl Iterator for FrameReader<'_> {
    type Item = Result<ChunkedReadResponse, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.next_raw()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        let r = ChunkedReadResponse::decode(raw).map_err(|source| Error::Decode {
            message: "ChunkedReadResponse",
            source,
        });
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}
