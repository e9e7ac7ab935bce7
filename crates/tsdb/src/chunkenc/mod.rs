//! Chunk codecs: the bit stream, the XOR chunk and Telltale's decimal and
//! packed chunks.
//!
//! A chunk holds up to 65535 samples of one series (the head cuts them at
//! about 120). The XOR chunk (timestamps as delta-of-delta, values XORed
//! with their predecessor) is bit for bit Prometheus's; the decimal and
//! packed chunks store values as integers times a power of ten and are used
//! for closed chunks when smaller. Layouts: `docs/format/chunks.md`.

pub mod bstream;
pub mod dec;
pub mod packed;
pub mod xor;

pub use bstream::{BitReader, BitWriter};
pub use dec::DecIter;
pub use packed::PackedIter;
pub use xor::{XorAppender, XorIter, decode_all, encode, num_samples};

use crate::error::TsdbError;

/// The encoding byte of an XOR chunk, as Prometheus numbers it.
pub const ENCODING_XOR: u8 = 1;
/// The encoding byte of a decimal chunk (Telltale's own, outside the range
/// Prometheus uses).
pub const ENCODING_DEC: u8 = 0x81;
/// The encoding byte of a packed chunk (Telltale's own).
pub const ENCODING_PACKED: u8 = 0x82;

/// Whether `enc` is an encoding this version reads.
pub fn known_encoding(enc: u8) -> bool {
    matches!(enc, ENCODING_XOR | ENCODING_DEC | ENCODING_PACKED)
}

/// Decodes a chunk of either encoding.
#[derive(Debug, Clone)]
pub enum ChunkIter<D> {
    /// An XOR chunk.
    Xor(XorIter<D>),
    /// A decimal chunk.
    Dec(DecIter<D>),
    /// A packed chunk.
    Packed(PackedIter<D>),
}

impl<D: AsRef<[u8]> + Clone> ChunkIter<D> {
    /// Starts decoding `data` of encoding `enc`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for an unknown encoding or a short header.
    pub fn new(enc: u8, data: D) -> Result<Self, TsdbError> {
        match enc {
            ENCODING_XOR => Ok(ChunkIter::Xor(XorIter::new(data)?)),
            ENCODING_DEC => Ok(ChunkIter::Dec(DecIter::new(data)?)),
            ENCODING_PACKED => Ok(ChunkIter::Packed(PackedIter::new(data)?)),
            _ => Err(TsdbError::Chunk {
                bit: 0,
                reason: "unknown chunk encoding",
            }),
        }
    }

    /// The next sample.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for truncated or malformed data.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(i64, f64)>, TsdbError> {
        match self {
            ChunkIter::Xor(it) => it.next(),
            ChunkIter::Dec(it) => it.next(),
            ChunkIter::Packed(it) => it.next(),
        }
    }
}

/// Decodes a whole chunk of either encoding.
///
/// # Errors
///
/// [`TsdbError::Chunk`] for unknown encodings and malformed data.
pub fn decode_any(enc: u8, data: &[u8]) -> Result<Vec<(i64, f64)>, TsdbError> {
    let mut it = ChunkIter::new(enc, data)?;
    let mut out = Vec::with_capacity(num_samples(data));
    while let Some(s) = it.next()? {
        out.push(s);
    }
    Ok(out)
}

/// Re-encodes a finished XOR chunk in the smallest encoding; returns the
/// encoding and the bytes (the input unchanged when XOR is smallest).
pub fn compact_chunk(xor: Vec<u8>) -> (u8, Vec<u8>) {
    let Ok(samples) = decode_all(&xor) else {
        return (ENCODING_XOR, xor);
    };
    smallest(&samples, xor)
}

fn smallest(samples: &[(i64, f64)], xor: Vec<u8>) -> (u8, Vec<u8>) {
    let mut best = (ENCODING_XOR, xor);
    if let Some(d) = dec::encode(samples)
        && d.len() < best.1.len()
    {
        best = (ENCODING_DEC, d);
    }
    if let Some(p) = packed::encode(samples)
        && p.len() < best.1.len()
    {
        best = (ENCODING_PACKED, p);
    }
    best
}

/// Encodes samples in the smallest encoding.
pub fn encode_best(samples: &[(i64, f64)]) -> (u8, Vec<u8>) {
    smallest(samples, encode(samples))
}

/// The chunk as a Prometheus XOR chunk (for remote read and other
/// Prometheus-compatible consumers).
///
/// # Errors
///
/// [`TsdbError::Chunk`] for unknown encodings and malformed data.
pub fn to_xor(enc: u8, data: &[u8]) -> Result<Vec<u8>, TsdbError> {
    if enc == ENCODING_XOR {
        return Ok(data.to_vec());
    }
    Ok(encode(&decode_any(enc, data)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use telltale_model::STALE_NAN_BITS;

    fn bits_eq(a: &[(i64, f64)], b: &[(i64, f64)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && x.1.to_bits() == y.1.to_bits())
    }

    #[test]
    fn round_trips_special_values_bit_exact() {
        let vals = [
            0.0,
            -0.0,
            f64::NAN,
            f64::from_bits(STALE_NAN_BITS),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            1.5,
            1.5,
            f64::from_bits(STALE_NAN_BITS),
        ];
        let samples: Vec<(i64, f64)> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| (1_000 + i as i64 * 15_000, *v))
            .collect();
        let c = encode(&samples);
        assert_eq!(num_samples(&c), samples.len());
        assert!(bits_eq(&decode_all(&c).unwrap(), &samples));
    }

    #[test]
    fn layout_matches_prometheus_header() {
        // Two samples: count 2, varint(1000) = 0xd0 0x0f, then the value.
        let c = encode(&[(1000, 1.0), (2000, 1.0)]);
        assert_eq!(&c[..4], &[0, 2, 0xd0, 0x0f]);
        assert_eq!(&c[4..12], &1.0f64.to_bits().to_be_bytes());
        // uvarint(1000) then a single 0 bit for the unchanged value.
        assert_eq!(&c[12..], &[0xe8, 0x07, 0x00]);
    }

    #[test]
    fn decimal_chunks_round_trip_and_are_smaller_for_decimals() {
        let samples: Vec<(i64, f64)> = (0..120)
            .map(|i| {
                (
                    i * 15_000,
                    1234.56 + f64::from(i as u32 * 37 % 101) / 100.0 * i as f64,
                )
            })
            .map(|(t, v)| (t, (v * 100.0).round() / 100.0))
            .collect();
        let x = encode(&samples);
        let d = dec::encode(&samples).unwrap();
        let enc = ENCODING_DEC;
        assert!(d.len() * 2 < x.len(), "{} vs {}", d.len(), x.len());
        assert!(bits_eq(&decode_any(enc, &d).unwrap(), &samples));
        assert_eq!(to_xor(enc, &d).unwrap(), x);
        // Values that are not short decimals stay XOR.
        let odd = [(1, f64::NAN), (2, 0.1 + 0.2)];
        assert_eq!(encode_best(&odd).0, ENCODING_XOR);
        assert_eq!(dec::encode(&[(1, -0.0)]), None);
    }

    #[test]
    fn truncated_chunk_is_an_error_not_a_panic() {
        let samples: Vec<(i64, f64)> = (0..120).map(|i| (i * 15_000, i as f64 * 1.1)).collect();
        let c = encode(&samples);
        for cut in 0..c.len() {
            let r = decode_all(&c[..cut]);
            assert!(r.is_err() || r.unwrap().len() < samples.len());
        }
    }

    #[test]
    fn regular_counters_take_little_space() {
        let samples: Vec<(i64, f64)> = (0..120).map(|i| (i * 15_000, (i * 100) as f64)).collect();
        let c = encode(&samples);
        assert!(c.len() < 120 * 3, "{} bytes", c.len());
    }

    fn arb_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(f64::from_bits(STALE_NAN_BITS)),
            Just(f64::NAN),
            (0u32..1000).prop_map(|x| f64::from(x) / 10.0),
            Just(42.0),
        ]
    }

    proptest! {
        #[test]
        fn prop_round_trip(
            start in -1_000_000_000_000i64..1_000_000_000_000i64,
            steps in prop::collection::vec((1i64..(1i64 << 40), arb_value()), 0..300),
        ) {
            let mut t = start;
            let mut samples = Vec::new();
            for (d, v) in steps {
                // Mostly regular steps, sometimes wild ones.
                t += if d % 3 == 0 { d } else { 15_000 + d % 7 };
                samples.push((t, v));
            }
            let c = encode(&samples);
            prop_assert_eq!(num_samples(&c), samples.len());
            let got = decode_all(&c).unwrap();
            prop_assert!(bits_eq(&got, &samples));
        }

        #[test]
        fn prop_garbage_never_panics(data in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_all(&data);
            let _ = decode_any(ENCODING_DEC, &data);
            let _ = decode_any(ENCODING_PACKED, &data);
        }

        #[test]
        fn prop_decimal_round_trip(
            start in -1_000_000_000i64..1_000_000_000i64,
            steps in prop::collection::vec((1i64..100_000, -1_000_000i64..1_000_000, 0usize..4), 1..200),
        ) {
            let mut t = start;
            let mut samples = Vec::new();
            for (d, m, k) in steps {
                t += d;
                samples.push((t, m as f64 / [1.0, 10.0, 100.0, 1000.0][k]));
            }
            let (enc, data) = encode_best(&samples);
            prop_assert!(bits_eq(&decode_any(enc, &data).unwrap(), &samples));
            let d = dec::encode(&samples).unwrap();
            prop_assert!(bits_eq(&decode_any(ENCODING_DEC, &d).unwrap(), &samples));
            let p = packed::encode(&samples).unwrap();
            prop_assert!(bits_eq(&decode_any(ENCODING_PACKED, &p).unwrap(), &samples));
        }
    }
}
