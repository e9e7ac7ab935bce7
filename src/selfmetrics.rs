//! Telltale's own metrics on `/metrics`, named like Prometheus's where the
//! meaning is the same (`prometheus_tsdb_head_series` becomes
//! `telltale_tsdb_head_series`).

use telltale_model::{MetricFamily, MetricMetadata, MetricType};

use crate::storage::Storage;

fn family(name: &str, t: MetricType, help: &str, v: f64) -> MetricFamily {
    let mut f = MetricFamily::new(
        name,
        MetricMetadata {
            metric_type: t,
            help: help.into(),
            unit: String::new(),
        },
    );
    f.push(&[], v);
    f
}

/// Storage figures as metric families (empty before the storage is open).
pub fn tsdb_families(storage: &Storage) -> Vec<MetricFamily> {
    let Some(db) = storage.get() else {
        return Vec::new();
    };
    let s = db.stats(0);
    let g = MetricType::Gauge;
    let c = MetricType::Counter;
    vec![
        family(
            "telltale_tsdb_head_series",
            g,
            "Active series in the head.",
            s.head_series as f64,
        ),
        family(
            "telltale_tsdb_head_chunks",
            g,
            "Chunks in the head.",
            s.head_chunks as f64,
        ),
        family(
            "telltale_tsdb_head_min_time",
            g,
            "Oldest timestamp in the head (ms).",
            s.head_min_time as f64,
        ),
        family(
            "telltale_tsdb_head_max_time",
            g,
            "Newest timestamp in the head (ms).",
            s.head_max_time as f64,
        ),
        family(
            "telltale_tsdb_blocks_loaded",
            g,
            "Persisted blocks.",
            s.blocks.len() as f64,
        ),
        family(
            "telltale_tsdb_wal_size_bytes",
            g,
            "Size of the write-ahead log.",
            s.wal_size_bytes as f64,
        ),
        family(
            "telltale_tsdb_symbol_table_size_bytes",
            g,
            "Bytes of interned label strings.",
            s.symbol_bytes as f64,
        ),
        family(
            "telltale_tsdb_head_samples_appended_total",
            c,
            "Samples appended to the head.",
            s.counters.samples_appended as f64,
        ),
        family(
            "telltale_tsdb_out_of_order_samples_rejected_total",
            c,
            "Samples rejected as too old or out of order.",
            s.counters.out_of_order_rejected as f64,
        ),
        family(
            "telltale_tsdb_out_of_order_samples_appended_total",
            c,
            "Out-of-order samples accepted inside the window.",
            s.counters.out_of_order_accepted as f64,
        ),
        family(
            "telltale_tsdb_duplicate_samples_rejected_total",
            c,
            "Samples rejected as duplicates with another value.",
            s.counters.duplicates_rejected as f64,
        ),
        family(
            "telltale_tsdb_series_limit_rejected_total",
            c,
            "New series rejected by the series limit.",
            s.counters.series_limit_rejected as f64,
        ),
        family(
            "telltale_tsdb_head_series_created_total",
            c,
            "Series created in the head.",
            s.counters.series_created as f64,
        ),
        family(
            "telltale_tsdb_head_series_removed_total",
            c,
            "Series removed from the head.",
            s.counters.series_removed as f64,
        ),
    ]
}
