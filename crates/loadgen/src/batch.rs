//! Remote write 1.0 bodies, encoded straight into protobuf bytes.
//!
//! A sender on the same two cores as the server must be cheap, so this
//! does not build `prompb` structs per sample: every series' labels are
//! encoded once, and a sample costs a copy of those bytes plus 13 to 20
//! bytes of value and timestamp. The layout is exactly what
//! `telltale_prompb::WriteRequest` encodes (checked by a test):
//!
//! ```text
//! WriteRequest  = { 1: TimeSeries }*
//! TimeSeries    = { 1: Label }* { 2: Sample }
//! Label         = { 1: name (string) } { 2: value (string) }
//! Sample        = { 1: value (double, fixed64) } { 2: timestamp (int64 varint) }
//! ```
//!
//! Series are spread over shards (series index modulo the shard count),
//! like Prometheus's remote write shards: each shard's bodies are sent in
//! order, so every series stays in time order at any concurrency.

use telltale_model::Labels;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, tag: u8, b: &[u8]) {
    out.push(tag);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The protobuf bytes of a series' `Label` fields (field 1 of TimeSeries).
pub fn encode_labels(labels: &Labels) -> Vec<u8> {
    let mut out = Vec::new();
    let mut one = Vec::new();
    for l in labels {
        one.clear();
        put_bytes(&mut one, 0x0a, l.name.as_bytes());
        put_bytes(&mut one, 0x12, l.value.as_bytes());
        put_bytes(&mut out, 0x0a, &one);
    }
    out
}

/// Appends one TimeSeries with one sample to a WriteRequest buffer.
pub fn push_series(out: &mut Vec<u8>, label_bytes: &[u8], ts: i64, value: f64) {
    let mut sample = [0u8; 20];
    sample[0] = 0x09;
    sample[1..9].copy_from_slice(&value.to_le_bytes());
    sample[9] = 0x10;
    let mut n = 10;
    let mut v = ts as u64;
    while v >= 0x80 {
        sample[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    sample[n] = v as u8;
    n += 1;
    // TimeSeries length: labels + tag, len and the sample.
    let ts_len = label_bytes.len() + 2 + n;
    out.push(0x0a);
    put_varint(out, ts_len as u64);
    out.extend_from_slice(label_bytes);
    out.push(0x12);
    out.push(n as u8);
    out.extend_from_slice(&sample[..n]);
}

/// One remote write body ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The shard that must send it (bodies of a shard go in order).
    pub shard: usize,
    /// Samples in it.
    pub samples: usize,
    /// The snappy-compressed (block format) protobuf.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Shard {
    buf: Vec<u8>,
    samples: usize,
}

/// Accumulates samples into per-shard bodies of at most `batch` samples.
#[derive(Debug)]
pub struct Batcher {
    labels: Vec<Vec<u8>>,
    shards: Vec<Shard>,
    batch: usize,
    snappy: snap::raw::Encoder,
}

impl Batcher {
    /// A batcher for these series, `shards` ways, `batch` samples per body
    /// (both at least 1).
    pub fn new(labels: &[Labels], shards: usize, batch: usize) -> Self {
        Batcher {
            labels: labels.iter().map(encode_labels).collect(),
            shards: (0..shards.max(1)).map(|_| Shard::default()).collect(),
            batch: batch.max(1),
            snappy: snap::raw::Encoder::new(),
        }
    }

    /// The shard of series `i`.
    pub fn shard_of(&self, series: usize) -> usize {
        series % self.shards.len()
    }

    /// Adds a sample of series `series` (an index into the labels given to
    /// [`Batcher::new`]; others are ignored); returns a body when its shard
    /// is full.
    pub fn push(&mut self, series: usize, ts: i64, value: f64) -> Option<Body> {
        let shard = self.shard_of(series);
        let labels = self.labels.get(series)?;
        let s = &mut self.shards[shard];
        push_series(&mut s.buf, labels, ts, value);
        s.samples += 1;
        if s.samples >= self.batch {
            return Some(self.take(shard));
        }
        None
    }

    fn take(&mut self, shard: usize) -> Body {
        let s = &mut self.shards[shard];
        let samples = std::mem::take(&mut s.samples);
        let bytes = self
            .snappy
            .compress_vec(&s.buf)
            .unwrap_or_else(|_| telltale_prompb::compress(&s.buf));
        s.buf.clear();
        Body {
            shard,
            samples,
            bytes,
        }
    }

    /// The partly filled bodies that remain, one per non-empty shard.
    pub fn finish(&mut self) -> Vec<Body> {
        (0..self.shards.len())
            .filter(|&i| self.shards[i].samples > 0)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|i| self.take(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_prompb::{
        Sample, TimeSeries, WriteRequest, decode_write_request, encode_write_request,
        labels_to_proto,
    };

    fn series() -> Vec<Labels> {
        vec![
            Labels::from_pairs(&[("__name__", "up"), ("job", "node")]),
            Labels::from_pairs(&[("__name__", "x"), ("instance", "h:9100"), ("é", "ü\"")]),
            Labels::from_pairs(&[("__name__", "y")]),
        ]
    }

    #[test]
    fn encodes_what_prompb_encodes() {
        let ls = series();
        let mut b = Batcher::new(&ls, 1, 1000);
        let pts = [
            (0usize, 1_700_000_000_000i64, 1.5f64),
            (1, 1_700_000_000_001, -0.0),
            (2, -5, f64::MAX),
            (0, 0, 0.0),
            (1, i64::MAX, 1e-300),
        ];
        for &(i, t, v) in &pts {
            assert!(b.push(i, t, v).is_none());
        }
        let bodies = b.finish();
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0].samples, pts.len());
        let want = WriteRequest {
            timeseries: pts
                .iter()
                .map(|&(i, t, v)| TimeSeries {
                    labels: labels_to_proto(&ls[i]),
                    samples: vec![Sample {
                        value: v,
                        timestamp: t,
                    }],
                    ..Default::default()
                })
                .collect(),
            metadata: vec![],
        };
        let got = decode_write_request(&bodies[0].bytes, 1 << 20).unwrap();
        assert_eq!(got, want);
        // And the same after a round trip through prompb's own encoder.
        let again = decode_write_request(&encode_write_request(&want), 1 << 20).unwrap();
        assert_eq!(got, again);
    }

    #[test]
    fn shards_fill_and_keep_series_apart() {
        let ls = series();
        let mut b = Batcher::new(&ls, 2, 2);
        // Series 0 and 2 go to shard 0, series 1 to shard 1.
        assert!(b.push(0, 1, 1.0).is_none());
        assert!(b.push(1, 1, 1.0).is_none());
        let full = b.push(2, 1, 1.0).unwrap();
        assert_eq!((full.shard, full.samples), (0, 2));
        let req = decode_write_request(&full.bytes, 1 << 20).unwrap();
        assert_eq!(req.timeseries.len(), 2);
        let rest = b.finish();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].shard, rest[0].samples), (1, 1));
        assert!(b.finish().is_empty());
        assert!(b.push(99, 1, 1.0).is_none());
    }
}
