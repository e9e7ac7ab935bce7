//! The packed chunk (Telltale encoding 0x82): frame-of-reference bit
//! packing of timestamp deltas and of decimal value deltas.
//!
//! Scrapes come at nearly fixed intervals and counters grow by similar
//! steps, so within one chunk the deltas lie in a narrow range. Storing
//! `delta - min(delta)` in just enough bits for the chunk's range costs 0
//! bits for exact intervals and constant series, and `log2(range)` bits
//! otherwise. Values must be decimals as in [`super::dec`].
//!
//! ```text
//! num samples u16 BE | t0 varint | m0 varint | k u8
//! | dt_base varint | dt_width u8 | dm_base varint | dm_width u8
//! | (dt_i - dt_base) in dt_width bits, i = 1..n
//! | (dm_i - dm_base) in dm_width bits, i = 1..n   (padded to a byte)
//! ```

use super::bstream::{BitReader, BitWriter};
use super::dec::{POW10, scale_of, to_int};
use super::xor::{read_varint, write_varint};
use crate::error::TsdbError;

fn width(range: u64) -> u32 {
    64 - range.leading_zeros()
}

/// Encodes samples (timestamps strictly increasing) as a packed chunk, or
/// `None` if some value is not a short decimal.
pub fn encode(samples: &[(i64, f64)]) -> Option<Vec<u8>> {
    if samples.is_empty() || samples.len() > super::xor::MAX_SAMPLES {
        return None;
    }
    let mut k = 0;
    for &(_, v) in samples {
        k = k.max(scale_of(v)?);
    }
    let ms: Vec<i64> = samples
        .iter()
        .map(|&(_, v)| to_int(v, k))
        .collect::<Option<_>>()?;
    let dts: Vec<i64> = samples
        .windows(2)
        .map(|w| w[1].0.wrapping_sub(w[0].0))
        .collect();
    let dms: Vec<i64> = ms.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    let frame = |ds: &[i64]| -> (i64, u32) {
        let (Some(&lo), Some(&hi)) = (ds.iter().min(), ds.iter().max()) else {
            return (0, 0);
        };
        (lo, width(hi.wrapping_sub(lo) as u64))
    };
    let (tb, tw) = frame(&dts);
    let (mb, mw) = frame(&dms);
    let bits = 64 + dts.len() * (tw + mw) as usize;
    let mut w = BitWriter::with_capacity(bits / 8 + 8);
    w.write_bits(samples.len() as u64, 16);
    write_varint(&mut w, samples[0].0);
    write_varint(&mut w, ms[0]);
    w.write_bits(k as u64, 8);
    write_varint(&mut w, tb);
    w.write_bits(u64::from(tw), 8);
    write_varint(&mut w, mb);
    w.write_bits(u64::from(mw), 8);
    for d in &dts {
        w.write_bits(d.wrapping_sub(tb) as u64, tw);
    }
    for d in &dms {
        w.write_bits(d.wrapping_sub(mb) as u64, mw);
    }
    Some(w.finish())
}

/// Decodes a packed chunk. Timestamps and values are read from two
/// positions of the same stream, so it keeps two readers.
#[derive(Debug, Clone)]
pub struct PackedIter<D> {
    tr: BitReader<D>,
    vr: BitReader<D>,
    total: u16,
    read: u16,
    scale: f64,
    t: i64,
    m: i64,
    tb: i64,
    tw: u32,
    mb: i64,
    mw: u32,
}

impl<D: AsRef<[u8]> + Clone> PackedIter<D> {
    /// Starts decoding `chunk`.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for a malformed header.
    pub fn new(chunk: D) -> Result<Self, TsdbError> {
        let mut r = BitReader::new(chunk);
        let total = r.read_bits(16)? as u16;
        let t = read_varint(&mut r)?;
        let m = read_varint(&mut r)?;
        let k = r.read_bits(8)? as usize;
        let tb = read_varint(&mut r)?;
        let tw = r.read_bits(8)? as u32;
        let mb = read_varint(&mut r)?;
        let mw = r.read_bits(8)? as u32;
        let bad = |reason| TsdbError::Chunk { bit: 0, reason };
        let Some(&scale) = POW10.get(k) else {
            return Err(bad("packed chunk scale out of range"));
        };
        if tw > 64 || mw > 64 {
            return Err(bad("packed chunk width over 64 bits"));
        }
        // The value stream starts after all timestamp deltas.
        let mut vr = r.clone();
        let n = u32::from(total.saturating_sub(1));
        let mut skip = u64::from(n) * u64::from(tw);
        while skip > 0 {
            let step = skip.min(64) as u32;
            vr.read_bits(step)?;
            skip -= u64::from(step);
        }
        Ok(PackedIter {
            tr: r,
            vr,
            total,
            read: 0,
            scale,
            t,
            m,
            tb,
            tw,
            mb,
            mw,
        })
    }

    /// The next sample.
    ///
    /// # Errors
    ///
    /// [`TsdbError::Chunk`] for truncated data.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(i64, f64)>, TsdbError> {
        if self.read >= self.total {
            return Ok(None);
        }
        if self.read > 0 {
            let dt = (self.tr.read_bits(self.tw)? as i64).wrapping_add(self.tb);
            let dm = (self.vr.read_bits(self.mw)? as i64).wrapping_add(self.mb);
            self.t = self.t.wrapping_add(dt);
            self.m = self.m.wrapping_add(dm);
        }
        self.read += 1;
        Ok(Some((self.t, self.m as f64 / self.scale)))
    }
}
