//! The XOR chunk: delta-of-delta timestamps and Gorilla XOR values, laid out
//! bit for bit like Prometheus's `chunkenc.XORChunk` (encoding 1), so remote
//! read can stream our chunks unchanged. The layout is in
//! `docs/format/chunks.md`.

use super::bstream::{BitReader, BitWriter};
use crate::error::TsdbError;

/// The most samples one chunk can hold (the count is a 16-bit header).
pub const MAX_SAMPLES: usize = u16::MAX as usize;

#[inline]
fn bit_range(x: i64, nbits: u32) -> bool {
    -((1i64 << (nbits - 1)) - 1) <= x && x <= (1i64 << (nbits - 1))
}

pub(crate) fn write_uvarint(w: &mut BitWriter, mut x: u64) {
    while x >= 0x80 {
        w.write_byte((x as u8) | 0x80);
        x >>= 7;
    }
    w.write_byte(x as u8);
}

pub(crate) fn write_varint(w: &mut BitWriter, x: i64) {
    write_uvarint(w, ((x << 1) ^ (x >> 63)) as u64);
}

pub(crate) fn read_uvarint<D: AsRef<[u8]>>(r: &mut BitReader<D>) -> Result<u64, TsdbError> {
    let mut x = 0u64;
    let mut s = 0u32;
    for _ in 0..10 {
        let b = r.read_byte()?;
        if b < 0x80 {
            return Ok(x | (u64::from(b) << s));
        }
        x |= u64::from(b & 0x7f) << s;
        s += 7;
    }
    Err(TsdbError::Chunk {
        bit: r.bit_pos(),
        reason: "varint overflows 64 bits",
    })
}

pub(crate) fn read_varint<D: AsRef<[u8]>>(r: &mut BitReader<D>) -> Result<i64, TsdbError> {
    let u = read_uvarint(r)?;
    Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
}

/// Writes a timestamp delta-of-delta with Prometheus's buckets.
#[inline]
pub(crate) fn write_dod(w: &mut BitWriter, dod: i64) {
    if dod == 0 {
        w.write_bits(0, 1);
    } else if bit_range(dod, 14) {
        w.write_bits(0b10, 2);
        w.write_bits(dod as u64, 14);
    } else if bit_range(dod, 17) {
        w.write_bits(0b110, 3);
        w.write_bits(dod as u64, 17);
    } else if bit_range(dod, 20) {
        w.write_bits(0b1110, 4);
        w.write_bits(dod as u64, 20);
    } else {
        w.write_bits(0b1111, 4);
        w.write_bits(dod as u64, 64);
    }
}

/// Reads a timestamp delta-of-delta written by [`write_dod`].
#[inline]
pub(crate) fn read_dod<D: AsRef<[u8]>>(r: &mut BitReader<D>) -> Result<i64, TsdbError> {
    let mut prefix = 0u32;
    while prefix < 4 {
        if !r.read_bit()? {
            break;
        }
        prefix += 1;
    }
    let sz = match prefix {
        0 => 0,
        1 => 14,
        2 => 17,
        3 => 20,
        _ => 64,
    };
    let mut bits = r.read_bits(sz)?;
    if sz != 0 && sz != 64 && bits > (1u64 << (sz - 1)) {
        bits = bits.wrapping_sub(1u64 << sz);
    }
    Ok(bits as i64)
}

/// Builds one XOR chunk sample by sample.
///
/// Timestamps must increase strictly; the caller (the head) guarantees it.
#[derive(Debug, Clone)]
pub struct XorAppender {
    w: BitWriter,
    num: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
    mint: i64,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    /// A new, empty chunk.
    pub fn new() -> Self {
        let mut w = BitWriter::with_capacity(32);
        w.write_bits(0, 16);
        XorAppender {
            w,
            num: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0xff,
            trailing: 0,
            mint: 0,
        }
    }

    /// The number of samples.
    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// The first timestamp (meaningless while empty).
    pub fn min_time(&self) -> i64 {
        self.mint
    }

    /// The last timestamp (meaningless while empty).
    pub fn max_time(&self) -> i64 {
        self.t
    }

    /// The size of the chunk in bytes.
    pub fn byte_len(&self) -> usize {
        self.w.byte_len()
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.w.heap_size()
    }

    /// Appends a sample. Returns false (and appends nothing) if the chunk
    /// is full.
    #[inline]
    pub fn append(&mut self, t: i64, v: f64) -> bool {
        if usize::from(self.num) >= MAX_SAMPLES {
            return false;
        }
        let vb = v.to_bits();
        match self.num {
            0 => {
                write_varint(&mut self.w, t);
                self.w.write_bits(vb, 64);
                self.mint = t;
            }
            1 => {
                let td = t.wrapping_sub(self.t) as u64;
                write_uvarint(&mut self.w, td);
                self.write_value(vb);
                self.t_delta = td;
            }
            _ => {
                let td = t.wrapping_sub(self.t) as u64;
                let dod = (td as i64).wrapping_sub(self.t_delta as i64);
                write_dod(&mut self.w, dod);
                self.write_value(vb);
                self.t_delta = td;
            }
        }
        self.t = t;
        self.v = vb;
        self.num += 1;
        let [hi, lo] = self.num.to_be_bytes();
        self.w.set_byte(0, hi);
        self.w.set_byte(1, lo);
        true
    }

    #[inline]
    fn write_value(&mut self, vb: u64) {
        let delta = vb ^ self.v;
        let w = &mut self.w;
        if delta == 0 {
            w.write_bits(0, 1);
            return;
        }
        let mut lead = delta.leading_zeros() as u8;
        let trail = delta.trailing_zeros() as u8;
        if lead >= 32 {
            lead = 31;
        }
        if self.leading != 0xff && lead >= self.leading && trail >= self.trailing {
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            w.write_bits(0b10, 2);
            w.write_bits(delta >> self.trailing, sig);
            return;
        }
        self.leading = lead;
        self.trailing = trail;
        let sig = 64 - u32::from(lead) - u32::from(trail);
        // '11', 5 bits leading zeros, 6 bits significant bits (64 as 0).
        w.write_bits(
            (0b11 << 11) | (u64::from(lead) << 6) | u64::from(sig & 63),
            13,
        );
        w.write_bits(delta >> trail, sig);
    }

    /// The chunk bytes so far (a copy).
    pub fn bytes(&self) -> Vec<u8> {
        self.w.bytes()
    }

    /// Appends the chunk bytes to `out`.
    pub fn copy_to(&self, out: &mut Vec<u8>) {
        self.w.copy_to(out);
    }

    /// Consumes the appender and returns the chunk bytes.
    pub fn finish(self) -> Vec<u8> {
        self.w.finish()
    }
}

/// Decodes an XOR chunk; `D` is anything that derefs to the chunk bytes.
#[derive(Debug, Clone)]
pub struct XorIter<D> {
    r: BitReader<D>,
    total: u16,
    read: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

/// The number of samples an XOR chunk says it holds.
pub fn num_samples(chunk: &[u8]) -> usize {
    match chunk {
        [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
        _ => 0,
    }
}

impl<D: AsRef<[u8]>> XorIter<D> {
    /// Starts decoding `chunk`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] if the chunk is shorter than its header.
    pub fn new(chunk: D) -> Result<Self, TsdbError> {
        let mut r = BitReader::new(chunk);
        let total = r.read_bits(16)? as u16;
        Ok(XorIter {
            r,
            total,
            read: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
        })
    }

    /// The next sample as `(timestamp, value)`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for truncated or malformed data.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(i64, f64)>, TsdbError> {
        if self.read >= self.total {
            return Ok(None);
        }
        match self.read {
            0 => {
                self.t = read_varint(&mut self.r)?;
                self.v = self.r.read_bits(64)?;
            }
            1 => {
                self.t_delta = read_uvarint(&mut self.r)?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                let dod = read_dod(&mut self.r)?;
                self.t_delta = (self.t_delta as i64).wrapping_add(dod) as u64;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        self.read += 1;
        Ok(Some((self.t, f64::from_bits(self.v))))
    }

    #[inline]
    fn read_value(&mut self) -> Result<(), TsdbError> {
        if !self.r.read_bit()? {
            return Ok(());
        }
        if self.r.read_bit()? {
            let hdr = self.r.read_bits(11)?;
            self.leading = (hdr >> 6) as u8;
            let mut sig = (hdr & 63) as u8;
            if sig == 0 {
                sig = 64;
            }
            if u32::from(self.leading) + u32::from(sig) > 64 {
                return Err(TsdbError::Chunk {
                    bit: self.r.bit_pos(),
                    reason: "value header claims more than 64 bits",
                });
            }
            self.trailing = 64 - self.leading - sig;
        }
        let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
        let bits = self.r.read_bits(sig)?;
        self.v ^= if self.trailing >= 64 {
            0
        } else {
            bits << self.trailing
        };
        Ok(())
    }
}

/// Decodes a whole chunk.
///
/// # Errors
///
/// [`TsdbError::Chunk`] for truncated or malformed data.
pub fn decode_all(chunk: &[u8]) -> Result<Vec<(i64, f64)>, TsdbError> {
    let mut it = XorIter::new(chunk)?;
    let mut out = Vec::with_capacity(num_samples(chunk));
    while let Some(s) = it.next()? {
        out.push(s);
    }
    Ok(out)
}

/// Encodes samples (timestamps strictly increasing) into one chunk.
pub fn encode(samples: &[(i64, f64)]) -> Vec<u8> {
    let mut a = XorAppender::new();
    for &(t, v) in samples {
        a.append(t, v);
    }
    a.finish()
}
