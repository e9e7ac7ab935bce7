//! A bit stream, most significant bit first, with a 64-bit accumulator on
//! both sides so that most writes and reads touch memory once per 8 bytes.

use crate::error::TsdbError;

#[inline]
fn shl(x: u64, s: u32) -> u64 {
    if s >= 64 { 0 } else { x << s }
}

#[inline]
fn low_mask(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// Writes bits into a byte vector, most significant bit first.
///
/// Up to 63 bits are kept in an accumulator; [`BitWriter::bytes`] and
/// [`BitWriter::finish`] give the stream with the pending bits padded by zero
/// bits to a whole byte.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    buf: Vec<u8>,
    /// Pending bits, right-aligned.
    acc: u64,
    /// How many bits `acc` holds (0..64).
    n: u32,
}

impl BitWriter {
    /// An empty stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty stream with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            buf: Vec::with_capacity(bytes),
            acc: 0,
            n: 0,
        }
    }

    /// Appends the low `nbits` bits of `v` (`nbits <= 64`).
    #[inline]
    pub fn write_bits(&mut self, v: u64, nbits: u32) {
        debug_assert!(nbits <= 64);
        if nbits == 0 {
            return;
        }
        let v = v & low_mask(nbits);
        let free = 64 - self.n;
        if nbits < free {
            self.acc = (self.acc << nbits) | v;
            self.n += nbits;
        } else {
            let rest = nbits - free;
            let word = shl(self.acc, free) | (v >> rest);
            // Grow in small steps: head chunks live long, and doubling
            // would leave a quarter of their memory unused on average.
            if self.buf.capacity() - self.buf.len() < 8 {
                self.buf.reserve_exact(32);
            }
            self.buf.extend_from_slice(&word.to_be_bytes());
            self.acc = v & low_mask(rest);
            self.n = rest;
        }
    }

    /// Appends one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.write_bits(u64::from(bit), 1);
    }

    /// Appends a whole byte (not necessarily at a byte boundary).
    #[inline]
    pub fn write_byte(&mut self, b: u8) {
        self.write_bits(u64::from(b), 8);
    }

    /// The number of bits written.
    pub fn bit_len(&self) -> usize {
        self.buf.len() * 8 + self.n as usize
    }

    /// The number of bytes the stream takes when padded to a byte.
    pub fn byte_len(&self) -> usize {
        self.buf.len() + self.n.div_ceil(8) as usize
    }

    /// Overwrites a byte already flushed from the accumulator or still in it.
    /// Used for the sample count in a chunk header.
    pub fn set_byte(&mut self, pos: usize, b: u8) {
        if pos < self.buf.len() {
            self.buf[pos] = b;
            return;
        }
        // The byte is still in the accumulator.
        let bit_from_end = (self.bit_len() - pos * 8) as u32; // > 0
        if bit_from_end >= 8 {
            let shift = bit_from_end - 8;
            self.acc = (self.acc & !(0xffu64 << shift)) | (u64::from(b) << shift);
        }
    }

    fn pending(&self) -> ([u8; 8], usize) {
        let nbytes = self.n.div_ceil(8) as usize;
        let aligned = shl(self.acc, 64 - self.n);
        (aligned.to_be_bytes(), nbytes)
    }

    /// Appends the stream, padded to a byte, to `out`.
    pub fn copy_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.buf);
        let (p, n) = self.pending();
        out.extend_from_slice(&p[..n]);
    }

    /// The stream so far, padded to a byte.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.byte_len());
        self.copy_to(&mut out);
        out
    }

    /// Consumes the writer and returns the stream padded to a byte.
    pub fn finish(mut self) -> Vec<u8> {
        let (p, n) = self.pending();
        self.buf.extend_from_slice(&p[..n]);
        self.buf.shrink_to_fit();
        self.buf
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }
}

/// Reads bits from a byte slice, most significant bit first.
#[derive(Debug, Clone)]
pub struct BitReader<D> {
    data: D,
    /// The next byte of `data` to load.
    pos: usize,
    /// Loaded bits, left-aligned.
    buf: u64,
    /// How many bits of `buf` are valid.
    valid: u32,
}

impl<D: AsRef<[u8]>> BitReader<D> {
    /// Reads `data` from its first bit.
    pub fn new(data: D) -> Self {
        BitReader {
            data,
            pos: 0,
            buf: 0,
            valid: 0,
        }
    }

    /// The number of bits consumed so far.
    pub fn bit_pos(&self) -> u64 {
        (self.pos as u64) * 8 - u64::from(self.valid)
    }

    #[inline]
    fn refill(&mut self) {
        let take = ((64 - self.valid) / 8) as usize;
        if take == 0 {
            return;
        }
        let data = self.data.as_ref();
        if self.pos + 8 <= data.len() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&data[self.pos..self.pos + 8]);
            let w = u64::from_be_bytes(w);
            let new_valid = self.valid + take as u32 * 8;
            let mut add = if self.valid == 0 { w } else { w >> self.valid };
            if new_valid < 64 {
                add &= !(u64::MAX >> new_valid);
            }
            self.buf |= add;
            self.valid = new_valid;
            self.pos += take;
        } else {
            while self.valid <= 56 && self.pos < data.len() {
                self.buf |= u64::from(data[self.pos]) << (56 - self.valid);
                self.valid += 8;
                self.pos += 1;
            }
        }
    }

    fn eof(&self) -> TsdbError {
        TsdbError::Chunk {
            bit: self.bit_pos(),
            reason: "unexpected end of chunk data",
        }
    }

    /// Reads `nbits` bits (`nbits <= 64`) as the low bits of the result.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] at the end of the data.
    #[inline]
    pub fn read_bits(&mut self, nbits: u32) -> Result<u64, TsdbError> {
        if nbits == 0 {
            return Ok(0);
        }
        if self.valid < nbits {
            self.refill();
            if self.valid < nbits {
                return self.read_bits_slow(nbits);
            }
        }
        let v = self.buf >> (64 - nbits);
        self.buf = shl(self.buf, nbits);
        self.valid -= nbits;
        Ok(v)
    }

    fn read_bits_slow(&mut self, nbits: u32) -> Result<u64, TsdbError> {
        // Only reached when the accumulator cannot hold `nbits` at once
        // (more than 56 bits asked while unaligned) or at the end.
        let first = self.valid;
        if first == 0 {
            return Err(self.eof());
        }
        let hi = self.buf >> (64 - first);
        self.buf = 0;
        self.valid = 0;
        let rest = nbits - first;
        self.refill();
        if self.valid < rest {
            return Err(self.eof());
        }
        let lo = self.buf >> (64 - rest);
        self.buf = shl(self.buf, rest);
        self.valid -= rest;
        Ok((hi << rest) | lo)
    }

    /// Reads one bit.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] at the end of the data.
    #[inline]
    pub fn read_bit(&mut self) -> Result<bool, TsdbError> {
        Ok(self.read_bits(1)? == 1)
    }

    /// Reads 8 bits.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] at the end of the data.
    #[inline]
    pub fn read_byte(&mut self) -> Result<u8, TsdbError> {
        Ok(self.read_bits(8)? as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_mixed_widths() {
        let mut w = BitWriter::new();
        let items: Vec<(u64, u32)> = (0..1000u64)
            .map(|i| {
                let n = (i % 64) as u32 + 1;
                (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & low_mask(n), n)
            })
            .collect();
        for &(v, n) in &items {
            w.write_bits(v, n);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes[..]);
        for &(v, n) in &items {
            assert_eq!(r.read_bits(n).unwrap(), v, "width {n}");
        }
    }

    #[test]
    fn reading_past_end_is_an_error() {
        let mut r = BitReader::new(&[0xffu8][..]);
        assert_eq!(r.read_bits(8).unwrap(), 0xff);
        assert!(r.read_bit().is_err());
    }

    #[test]
    fn set_byte_patches_flushed_and_pending_bytes() {
        let mut w = BitWriter::new();
        w.write_bits(0, 16);
        w.write_bits(0xabc, 12);
        w.set_byte(0, 0x12);
        w.set_byte(1, 0x34);
        assert_eq!(w.bytes(), vec![0x12, 0x34, 0xab, 0xc0]);
        for _ in 0..10 {
            w.write_bits(0xff, 8);
        }
        w.set_byte(1, 0x56);
        assert_eq!(&w.bytes()[..3], &[0x12, 0x56, 0xab]);
    }
}
