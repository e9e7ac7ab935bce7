//! What WAL records hold: series, samples, tombstones and (in checkpoints)
//! whole head chunks. Layouts are in `docs/format/wal.md`.

use telltale_model::{Label, Labels};

use crate::encoding::{Dec, DecResult, DecodeError, Enc};

/// Record type: new series with their references.
pub const TYPE_SERIES: u8 = 1;
/// Record type: samples of known series.
pub const TYPE_SAMPLES: u8 = 2;
/// Record type: deleted time ranges of series.
pub const TYPE_TOMBSTONES: u8 = 3;
/// Record type: encoded chunks of series (checkpoints only).
pub const TYPE_CHUNKS: u8 = 4;

/// A sample of the series with reference `r`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefSample {
    /// The series reference.
    pub r: u64,
    /// The timestamp in milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A deleted interval `[mint, maxt]` of series `r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefTombstone {
    /// The series reference.
    pub r: u64,
    /// The first deleted timestamp.
    pub mint: i64,
    /// The last deleted timestamp.
    pub maxt: i64,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Series created, with their references.
    Series(Vec<(u64, Labels)>),
    /// Samples appended.
    Samples(Vec<RefSample>),
    /// Intervals deleted.
    Tombstones(Vec<RefTombstone>),
    /// Head state of series (checkpoints only).
    Chunks(Vec<CheckpointSeries>),
}

/// What a chunk in a checkpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    /// A closed in-order chunk.
    Closed = 0,
    /// The chunk that was being appended to.
    Open = 1,
    /// Out-of-order samples not yet in a block.
    OutOfOrder = 2,
    /// A closed chunk in the decimal encoding.
    ClosedDecimal = 3,
    /// A closed chunk in the packed encoding.
    ClosedPacked = 4,
}

/// One chunk of a [`CheckpointSeries`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointChunk {
    /// What the chunk is.
    pub kind: ChunkKind,
    /// Its first timestamp.
    pub mint: i64,
    /// Its last timestamp.
    pub maxt: i64,
    /// The XOR chunk bytes.
    pub data: Vec<u8>,
}

/// The head state of one series in a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointSeries {
    /// The series reference.
    pub r: u64,
    /// The newest in-order timestamp ever accepted.
    pub maxt: i64,
    /// The value bits at `maxt`.
    pub last_v: u64,
    /// The chunks.
    pub chunks: Vec<CheckpointChunk>,
}

/// Encodes a series record.
pub fn encode_series<'a>(
    out: &mut Vec<u8>,
    series: impl ExactSizeIterator<Item = (u64, &'a Labels)>,
) {
    out.put_u8(TYPE_SERIES);
    out.put_uvarint(series.len() as u64);
    for (r, l) in series {
        out.put_uvarint(r);
        out.put_uvarint(l.len() as u64);
        for x in l {
            out.put_str(&x.name);
            out.put_str(&x.value);
        }
    }
}

/// Encodes a samples record: the first reference and timestamp in full,
/// the rest as zig-zag deltas to them, values as 8 raw bytes.
pub fn encode_samples(out: &mut Vec<u8>, samples: &[RefSample]) {
    out.put_u8(TYPE_SAMPLES);
    out.put_uvarint(samples.len() as u64);
    let Some(first) = samples.first() else { return };
    out.put_uvarint(first.r);
    out.put_varint(first.t);
    for s in samples {
        out.put_varint((s.r as i64).wrapping_sub(first.r as i64));
        out.put_varint(s.t.wrapping_sub(first.t));
        out.put_u64(s.v.to_bits());
    }
}

/// Encodes a tombstones record.
pub fn encode_tombstones(out: &mut Vec<u8>, ts: &[RefTombstone]) {
    out.put_u8(TYPE_TOMBSTONES);
    out.put_uvarint(ts.len() as u64);
    for t in ts {
        out.put_uvarint(t.r);
        out.put_varint(t.mint);
        out.put_varint(t.maxt);
    }
}

/// Encodes a chunks record.
pub fn encode_chunks(out: &mut Vec<u8>, series: &[CheckpointSeries]) {
    out.put_u8(TYPE_CHUNKS);
    out.put_uvarint(series.len() as u64);
    for s in series {
        out.put_uvarint(s.r);
        out.put_varint(s.maxt);
        out.put_u64(s.last_v);
        out.put_uvarint(s.chunks.len() as u64);
        for c in &s.chunks {
            out.put_u8(c.kind as u8);
            out.put_varint(c.mint);
            out.put_varint(c.maxt);
            out.put_uvarint(c.data.len() as u64);
            out.extend_from_slice(&c.data);
        }
    }
}

/// Decodes a record payload.
///
/// # Errors
///
/// [`DecodeError`] with the offset inside the payload.
pub(crate) fn decode(payload: &[u8]) -> DecResult<Record> {
    let mut d = Dec::new(payload);
    let typ = d.u8("record type")?;
    match typ {
        TYPE_SERIES => {
            let n = d.len("series count")?;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let r = d.uvarint("series ref")?;
                let nl = d.len("label count")?;
                let mut labels = Vec::with_capacity(nl);
                for _ in 0..nl {
                    let name = d.str("label name")?;
                    let value = d.str("label value")?;
                    labels.push(Label::new(name, value));
                }
                out.push((r, Labels::new(labels)));
            }
            Ok(Record::Series(out))
        }
        TYPE_SAMPLES => {
            let mut out = Vec::new();
            decode_samples_into(&mut d, &mut out)?;
            Ok(Record::Samples(out))
        }
        TYPE_TOMBSTONES => {
            let n = d.len("tombstone count")?;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(RefTombstone {
                    r: d.uvarint("tombstone ref")?,
                    mint: d.varint("tombstone mint")?,
                    maxt: d.varint("tombstone maxt")?,
                });
            }
            Ok(Record::Tombstones(out))
        }
        TYPE_CHUNKS => {
            let n = d.len("chunk series count")?;
            let mut out = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                let r = d.uvarint("chunk series ref")?;
                let maxt = d.varint("series maxt")?;
                let last_v = d.u64("series last value")?;
                let nc = d.len("chunk count")?;
                let mut chunks = Vec::with_capacity(nc);
                for _ in 0..nc {
                    let kind = match d.u8("chunk kind")? {
                        0 => ChunkKind::Closed,
                        1 => ChunkKind::Open,
                        2 => ChunkKind::OutOfOrder,
                        3 => ChunkKind::ClosedDecimal,
                        4 => ChunkKind::ClosedPacked,
                        _ => {
                            return Err(DecodeError {
                                offset: d.pos() - 1,
                                what: "known chunk kind",
                            });
                        }
                    };
                    let mint = d.varint("chunk mint")?;
                    let maxt = d.varint("chunk maxt")?;
                    let len = d.len("chunk length")?;
                    let data = d.bytes(len, "chunk bytes")?.to_vec();
                    chunks.push(CheckpointChunk {
                        kind,
                        mint,
                        maxt,
                        data,
                    });
                }
                out.push(CheckpointSeries {
                    r,
                    maxt,
                    last_v,
                    chunks,
                });
            }
            Ok(Record::Chunks(out))
        }
        _ => Err(DecodeError {
            offset: 0,
            what: "known record type",
        }),
    }
}

pub(crate) fn decode_samples_into(d: &mut Dec<'_>, out: &mut Vec<RefSample>) -> DecResult<()> {
    let n = d.len("sample count")?;
    if n == 0 {
        return Ok(());
    }
    let base_r = d.uvarint("sample base ref")? as i64;
    let base_t = d.varint("sample base time")?;
    out.reserve(n);
    for _ in 0..n {
        let r = base_r.wrapping_add(d.varint("sample ref")?) as u64;
        let t = base_t.wrapping_add(d.varint("sample time")?);
        let v = f64::from_bits(d.u64("sample value")?);
        out.push(RefSample { r, t, v });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let l = Labels::from_pairs(&[("__name__", "up"), ("job", "x")]);
        let mut b = Vec::new();
        encode_series(&mut b, [(7u64, &l)].into_iter());
        assert_eq!(decode(&b).unwrap(), Record::Series(vec![(7, l)]));

        let s = vec![
            RefSample {
                r: 9,
                t: 1000,
                v: 1.5,
            },
            RefSample {
                r: 3,
                t: 990,
                v: f64::from_bits(telltale_model::STALE_NAN_BITS),
            },
        ];
        let mut b = Vec::new();
        encode_samples(&mut b, &s);
        match decode(&b).unwrap() {
            Record::Samples(got) => {
                assert_eq!(got.len(), 2);
                assert_eq!(got[1].v.to_bits(), telltale_model::STALE_NAN_BITS);
                assert_eq!((got[1].r, got[1].t), (3, 990));
            }
            other => panic!("{other:?}"),
        }

        let ts = vec![RefTombstone {
            r: 1,
            mint: -5,
            maxt: 10,
        }];
        let mut b = Vec::new();
        encode_tombstones(&mut b, &ts);
        assert_eq!(decode(&b).unwrap(), Record::Tombstones(ts));

        let cs = vec![CheckpointSeries {
            r: 4,
            maxt: 10,
            last_v: 7,
            chunks: vec![CheckpointChunk {
                kind: ChunkKind::Open,
                mint: 1,
                maxt: 10,
                data: vec![1, 2, 3],
            }],
        }];
        let mut b = Vec::new();
        encode_chunks(&mut b, &cs);
        assert_eq!(decode(&b).unwrap(), Record::Chunks(cs));
    }

    #[test]
    fn truncated_records_fail_cleanly() {
        let l = Labels::from_pairs(&[("__name__", "up")]);
        let mut b = Vec::new();
        encode_series(&mut b, [(1u64, &l)].into_iter());
        for cut in 0..b.len() {
            assert!(decode(&b[..cut]).is_err());
        }
    }
}
