//! Decoding the WAL records the sender needs (series and samples), from
//! the layout in `docs/format/wal.md`. Tombstones and checkpoint chunk
//! records are recognised and skipped. The decoder never allocates more
//! than the record's own size: every count is checked against the bytes
//! left.

use telltale_model::{Label, Labels};

/// Record type: series.
pub const TYPE_SERIES: u8 = 1;
/// Record type: samples.
pub const TYPE_SAMPLES: u8 = 2;

/// What a record held, as far as the sender cares.
#[derive(Debug, Clone, PartialEq)]
pub enum WalRecord {
    /// Series created: (reference, labels).
    Series(Vec<(u64, Labels)>),
    /// Samples: (reference, timestamp ms, value).
    Samples(Vec<(u64, i64, f64)>),
    /// Any other record type.
    Other,
}

struct Dec<'a> {
    b: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, String>;

impl<'a> Dec<'a> {
    fn u8(&mut self, what: &str) -> R<u8> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or_else(|| format!("{what}: end of record at byte {}", self.pos))?;
        self.pos += 1;
        Ok(v)
    }
    fn uvarint(&mut self, what: &str) -> R<u64> {
        let mut x = 0u64;
        let mut s = 0u32;
        for _ in 0..10 {
            let b = self.u8(what)?;
            if b < 0x80 {
                return Ok(x | (u64::from(b) << s));
            }
            x |= u64::from(b & 0x7f) << s;
            s += 7;
        }
        Err(format!("{what}: varint too long at byte {}", self.pos))
    }
    fn varint(&mut self, what: &str) -> R<i64> {
        let u = self.uvarint(what)?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    /// A count of items each at least `min_size` bytes long.
    fn count(&mut self, what: &str, min_size: usize) -> R<usize> {
        let n = self.uvarint(what)?;
        let left = (self.b.len() - self.pos) as u64;
        if n.saturating_mul(min_size as u64) > left {
            return Err(format!("{what}: {n} does not fit in the {left} bytes left"));
        }
        Ok(n as usize)
    }
    fn str(&mut self, what: &str) -> R<String> {
        let n = self.count(what, 1)?;
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        String::from_utf8(s.to_vec()).map_err(|_| format!("{what}: not UTF-8"))
    }
    fn u64_le(&mut self, what: &str) -> R<u64> {
        let s = self
            .b
            .get(self.pos..self.pos + 8)
            .ok_or_else(|| format!("{what}: end of record at byte {}", self.pos))?;
        self.pos += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// Decodes one record payload.
///
/// # Errors
///
/// A message with the field and the byte offset inside the payload.
pub fn decode(payload: &[u8]) -> Result<WalRecord, String> {
    let mut d = Dec { b: payload, pos: 0 };
    match d.u8("record type")? {
        TYPE_SERIES => {
            let n = d.count("series count", 2)?;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let r = d.uvarint("series ref")?;
                let nl = d.count("label count", 2)?;
                let mut labels = Vec::with_capacity(nl);
                for _ in 0..nl {
                    let name = d.str("label name")?;
                    let value = d.str("label value")?;
                    labels.push(Label::new(name, value));
                }
                out.push((r, Labels::new(labels)));
            }
            Ok(WalRecord::Series(out))
        }
        TYPE_SAMPLES => {
            let n = d.count("sample count", 10)?;
            let mut out = Vec::with_capacity(n);
            if n == 0 {
                return Ok(WalRecord::Samples(out));
            }
            let base_r = d.uvarint("sample base ref")? as i64;
            let base_t = d.varint("sample base time")?;
            for _ in 0..n {
                let r = base_r.wrapping_add(d.varint("sample ref")?) as u64;
                let t = base_t.wrapping_add(d.varint("sample time")?);
                let v = f64::from_bits(d.u64_le("sample value")?);
                out.push((r, t, v));
            }
            Ok(WalRecord::Samples(out))
        }
        _ => Ok(WalRecord::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_tsdb::wal::record::{RefSample, encode_samples, encode_series};

    #[test]
    fn decodes_what_the_tsdb_encodes() {
        let a = Labels::from_pairs(&[("__name__", "up"), ("job", "x")]);
        let b = Labels::from_pairs(&[("__name__", "down")]);
        let mut buf = Vec::new();
        encode_series(&mut buf, [(7u64, &a), (9u64, &b)].into_iter());
        assert_eq!(
            decode(&buf).unwrap(),
            WalRecord::Series(vec![(7, a), (9, b)])
        );
        let samples = [
            RefSample {
                r: 9,
                t: 1000,
                v: 1.5,
            },
            RefSample {
                r: 7,
                t: 900,
                v: f64::from_bits(telltale_model::STALE_NAN_BITS),
            },
        ];
        let mut buf = Vec::new();
        encode_samples(&mut buf, &samples);
        let WalRecord::Samples(got) = decode(&buf).unwrap() else {
            panic!("not samples")
        };
        assert_eq!(got[0], (9, 1000, 1.5));
        assert_eq!((got[1].0, got[1].1), (7, 900));
        assert!(telltale_model::is_stale_nan(got[1].2));
    }

    #[test]
    fn truncated_and_lying_records_are_errors() {
        let a = Labels::from_pairs(&[("__name__", "up")]);
        let mut buf = Vec::new();
        encode_series(&mut buf, [(1u64, &a)].into_iter());
        for cut in 1..buf.len() {
            assert!(decode(&buf[..cut]).is_err(), "cut {cut}");
        }
        // A count of 2^60 samples in a 12-byte record.
        let lie = [
            TYPE_SAMPLES,
            0x80,
            0x80,
            0x80,
            0x80,
            0x80,
            0x80,
            0x80,
            0x80,
            0x10,
        ];
        assert!(decode(&lie).unwrap_err().contains("does not fit"));
        assert_eq!(decode(&[3, 0]).unwrap(), WalRecord::Other);
    }
}
