//! The decimal chunk (Telltale encoding 0x81): timestamps as in the XOR
//! chunk, values as integers times a power of ten shared by the chunk,
//! stored as bucketed deltas.
//!
//! Most metric values are decimals with few digits (byte counts, CPU
//! seconds in hundredths, temperatures in tenths). As doubles those have
//! long, noisy mantissas that XOR encoding cannot shorten; as integers
//! their deltas are small. A closed chunk is re-encoded this way when every
//! value converts exactly (bit for bit) and the result is smaller; remote
//! read gets XOR chunks back through [`to_xor`](super::to_xor).
//!
//! ```text
//! num samples u16 BE | scale u8 (k: v = m / 10^k) | bit stream:
//!   sample 0: t varint bytes, m varint bytes
//!   sample 1: Δt uvarint bytes, Δm bucketed
//!   sample n: Δ²t bucketed as in XOR, Δm bucketed
//! Δm (zig-zag) buckets: 0 | 10 + 6 bits | 110 + 13 bits | 1110 + 20 bits
//!                       | 11110 + 32 bits | 11111 + 64 bits
//! ```

use super::bstream::{BitReader, BitWriter};
use super::xor::{read_dod, read_uvarint, read_varint, write_dod, write_uvarint, write_varint};
use crate::error::TsdbError;

/// Powers of ten exactly representable as `f64`.
pub(crate) const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];
const MAX_M: f64 = 9_007_199_254_740_992.0; // 2^53

/// The smallest scale at which `v` is exactly `m / 10^k`.
pub(crate) fn scale_of(v: f64) -> Option<usize> {
    if !v.is_finite() || (v == 0.0 && v.is_sign_negative()) {
        return None;
    }
    for (k, p) in POW10.iter().enumerate() {
        let m = (v * p).round();
        if m.abs() < MAX_M && (m / p).to_bits() == v.to_bits() {
            return Some(k);
        }
    }
    None
}

pub(crate) fn to_int(v: f64, k: usize) -> Option<i64> {
    let p = POW10[k];
    let m = (v * p).round();
    (m.abs() < MAX_M && (m / p).to_bits() == v.to_bits()).then_some(m as i64)
}

fn write_delta(w: &mut BitWriter, d: i64) {
    let z = ((d << 1) ^ (d >> 63)) as u64;
    if z == 0 {
        w.write_bits(0, 1);
    } else if z < 1 << 6 {
        w.write_bits(0b10, 2);
        w.write_bits(z, 6);
    } else if z < 1 << 13 {
        w.write_bits(0b110, 3);
        w.write_bits(z, 13);
    } else if z < 1 << 20 {
        w.write_bits(0b1110, 4);
        w.write_bits(z, 20);
    } else if z < 1 << 32 {
        w.write_bits(0b11110, 5);
        w.write_bits(z, 32);
    } else {
        w.write_bits(0b11111, 5);
        w.write_bits(z, 64);
    }
}

fn read_delta<D: AsRef<[u8]>>(r: &mut BitReader<D>) -> Result<i64, TsdbError> {
    let mut ones = 0;
    while ones < 5 && r.read_bit()? {
        ones += 1;
    }
    let z = match ones {
        0 => 0,
        1 => r.read_bits(6)?,
        2 => r.read_bits(13)?,
        3 => r.read_bits(20)?,
        4 => r.read_bits(32)?,
        _ => r.read_bits(64)?,
    };
    Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
}

/// Encodes samples (timestamps strictly increasing) as a decimal chunk, or
/// `None` if some value is not a short decimal (NaN, infinities, -0, too
/// many digits).
pub fn encode(samples: &[(i64, f64)]) -> Option<Vec<u8>> {
    if samples.is_empty() || samples.len() > super::xor::MAX_SAMPLES {
        return None;
    }
    let mut k = 0;
    for &(_, v) in samples {
        k = k.max(scale_of(v)?);
    }
    let mut w = BitWriter::with_capacity(samples.len() + 16);
    w.write_bits(samples.len() as u64, 16);
    w.write_bits(k as u64, 8);
    let (mut pt, mut pd, mut pm) = (0i64, 0i64, 0i64);
    for (i, &(t, v)) in samples.iter().enumerate() {
        let m = to_int(v, k)?;
        match i {
            0 => {
                write_varint(&mut w, t);
                write_varint(&mut w, m);
            }
            1 => {
                pd = t.wrapping_sub(pt);
                write_uvarint(&mut w, pd as u64);
                write_delta(&mut w, m.wrapping_sub(pm));
            }
            _ => {
                let d = t.wrapping_sub(pt);
                write_dod(&mut w, d.wrapping_sub(pd));
                pd = d;
                write_delta(&mut w, m.wrapping_sub(pm));
            }
        }
        pt = t;
        pm = m;
    }
    Some(w.finish())
}

/// Decodes a decimal chunk.
#[derive(Debug, Clone)]
pub struct DecIter<D> {
    r: BitReader<D>,
    total: u16,
    read: u16,
    scale: f64,
    t: i64,
    td: i64,
    m: i64,
}

impl<D: AsRef<[u8]>> DecIter<D> {
    /// Starts decoding `chunk`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for a short header or an invalid scale.
    pub fn new(chunk: D) -> Result<Self, TsdbError> {
        let mut r = BitReader::new(chunk);
        let total = r.read_bits(16)? as u16;
        let k = r.read_bits(8)? as usize;
        let Some(&scale) = POW10.get(k) else {
            return Err(TsdbError::Chunk {
                bit: 16,
                reason: "decimal chunk scale out of range",
            });
        };
        Ok(DecIter {
            r,
            total,
            read: 0,
            scale,
            t: 0,
            td: 0,
            m: 0,
        })
    }

    /// The next sample.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for truncated or malformed data.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(i64, f64)>, TsdbError> {
        if self.read >= self.total {
            return Ok(None);
        }
        match self.read {
            0 => {
                self.t = read_varint(&mut self.r)?;
                self.m = read_varint(&mut self.r)?;
            }
            1 => {
                self.td = read_uvarint(&mut self.r)? as i64;
                self.t = self.t.wrapping_add(self.td);
                self.m = self.m.wrapping_add(read_delta(&mut self.r)?);
            }
            _ => {
                self.td = self.td.wrapping_add(read_dod(&mut self.r)?);
                self.t = self.t.wrapping_add(self.td);
                self.m = self.m.wrapping_add(read_delta(&mut self.r)?);
            }
        }
        self.read += 1;
        Ok(Some((self.t, self.m as f64 / self.scale)))
    }
}
