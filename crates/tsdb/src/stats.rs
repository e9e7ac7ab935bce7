//! [`TsdbStats`]: what the TSDB status page shows.

use std::sync::atomic::Ordering;

use serde::Serialize;

use crate::db::{Db, WAL_DIR};

/// One block in [`TsdbStats::blocks`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockInfo {
    /// The block id.
    pub ulid: String,
    /// Oldest timestamp.
    pub min_time: i64,
    /// Newest timestamp (inclusive).
    pub max_time: i64,
    /// Samples.
    pub num_samples: u64,
    /// Series.
    pub num_series: u64,
    /// Chunks.
    pub num_chunks: u64,
    /// Compaction level (1 = written from the head).
    pub level: u32,
    /// Bytes on disk (index and chunks).
    pub size_bytes: u64,
    /// Whether deletes are pending in the block.
    pub has_tombstones: bool,
}

/// A name or a label pair with a count, for the top-N lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameCount {
    /// The metric name, label name or `name=value` pair.
    pub name: String,
    /// The count (series, values or bytes).
    pub value: u64,
}

/// Counters of the ingest path since start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestCounters {
    /// Samples appended.
    pub samples_appended: u64,
    /// Out-of-order samples accepted inside the window.
    pub out_of_order_accepted: u64,
    /// Samples rejected as older than the window.
    pub out_of_order_rejected: u64,
    /// Samples rejected as duplicates with another value.
    pub duplicates_rejected: u64,
    /// New series rejected by the series limit.
    pub series_limit_rejected: u64,
    /// Series created.
    pub series_created: u64,
    /// Series removed (no data left in the head).
    pub series_removed: u64,
}

/// What the database holds, in the shape of Prometheus's
/// `/api/v1/status/tsdb` plus the block list and WAL size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TsdbStats {
    /// Series in the head.
    pub head_series: u64,
    /// Distinct label pairs in the head.
    pub head_label_pairs: u64,
    /// Chunks in the head.
    pub head_chunks: u64,
    /// Oldest timestamp in the head (`i64::MAX` when empty).
    pub head_min_time: i64,
    /// Newest timestamp in the head (`i64::MIN` when empty).
    pub head_max_time: i64,
    /// Bytes of chunk data in the head.
    pub head_chunk_bytes: u64,
    /// Interned label strings and their bytes.
    pub symbols: u64,
    /// Bytes of interned label strings.
    pub symbol_bytes: u64,
    /// Blocks, oldest first.
    pub blocks: Vec<BlockInfo>,
    /// Bytes of the WAL directory.
    pub wal_size_bytes: u64,
    /// Top metric names by series count.
    pub series_count_by_metric_name: Vec<NameCount>,
    /// Top label names by number of values.
    pub label_value_count_by_label_name: Vec<NameCount>,
    /// Top label names by bytes of their values.
    pub memory_in_bytes_by_label_name: Vec<NameCount>,
    /// Top `name=value` pairs by series count.
    pub series_count_by_label_value_pair: Vec<NameCount>,
    /// Ingest counters.
    pub counters: IngestCounters,
}

fn top(mut v: Vec<NameCount>, n: usize) -> Vec<NameCount> {
    v.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    v.truncate(n);
    v
}

impl Db {
    /// Statistics with the `top_n` largest entries of each top list.
    pub fn stats(&self, top_n: usize) -> TsdbStats {
        let head = &self.inner.head;
        let (mut by_name, mut values, mut bytes, mut pairs) = (vec![], vec![], vec![], vec![]);
        let mut label_pairs = 0u64;
        if let Ok(p) = head.postings.read() {
            for (n, vals) in &p.map {
                label_pairs += vals.len() as u64;
                values.push(NameCount {
                    name: n.to_string(),
                    value: vals.len() as u64,
                });
                bytes.push(NameCount {
                    name: n.to_string(),
                    value: vals.iter().map(|(v, l)| (v.len() * l.len()) as u64).sum(),
                });
                for (v, list) in vals {
                    if &**n == telltale_model::METRIC_NAME {
                        by_name.push(NameCount {
                            name: v.to_string(),
                            value: list.len() as u64,
                        });
                    }
                    pairs.push(NameCount {
                        name: format!("{n}={v}"),
                        value: list.len() as u64,
                    });
                }
            }
        }
        let (mut chunks, mut chunk_bytes) = (0u64, 0u64);
        for s in head.all_series() {
            if let Ok(d) = s.data.lock() {
                chunks += d.num_chunks() as u64;
                chunk_bytes += d.heap_size() as u64;
            }
        }
        let (symbols, symbol_bytes) = head.symbols_stats();
        let c = &head.counters;
        let ld = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        TsdbStats {
            head_series: head.num_series() as u64,
            head_label_pairs: label_pairs,
            head_chunks: chunks,
            head_min_time: head.min_time.load(Ordering::Relaxed),
            head_max_time: head.max_time.load(Ordering::Relaxed),
            head_chunk_bytes: chunk_bytes,
            symbols: symbols as u64,
            symbol_bytes: symbol_bytes as u64,
            blocks: self
                .blocks()
                .iter()
                .map(|b| BlockInfo {
                    ulid: b.id().to_string(),
                    min_time: b.meta.min_time,
                    max_time: b.meta.max_time,
                    num_samples: b.meta.stats.num_samples,
                    num_series: b.meta.stats.num_series,
                    num_chunks: b.meta.stats.num_chunks,
                    level: b.meta.compaction.level,
                    size_bytes: b.size(),
                    has_tombstones: b.has_tombstones(),
                })
                .collect(),
            wal_size_bytes: crate::wal::dir_size(&self.inner.dir.join(WAL_DIR)),
            series_count_by_metric_name: top(by_name, top_n),
            label_value_count_by_label_name: top(values, top_n),
            memory_in_bytes_by_label_name: top(bytes, top_n),
            series_count_by_label_value_pair: top(pairs, top_n),
            counters: IngestCounters {
                samples_appended: ld(&c.samples),
                out_of_order_accepted: ld(&c.out_of_order_accepted),
                out_of_order_rejected: ld(&c.out_of_order_rejected),
                duplicates_rejected: ld(&c.duplicates_rejected),
                series_limit_rejected: ld(&c.series_limit_rejected),
                series_created: ld(&c.series_created),
                series_removed: ld(&c.series_removed),
            },
        }
    }
}
