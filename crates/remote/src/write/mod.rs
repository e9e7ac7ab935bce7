//! Remote write out: `remote_write` entries, a sender per entry that tails
//! the TSDB's WAL, and its counters.
//!
//! - `config`: [`RemoteWriteConfig`] and [`QueueConfig`].
//! - `records`: decoding series and sample records.
//! - `tail`: [`Tailer`], reading the WAL as it grows, with [`Position`].
//! - `sender`: [`RemoteWriter`], batching, sharding, retries.
//! - `manager`: [`RemoteWriters`], all destinations of a configuration.
//! - `stats`: [`SenderStats`] and [`families`] for `/metrics`.

pub mod config;
pub mod manager;
pub mod records;
pub mod sender;
pub mod stats;
pub mod tail;

pub use config::{QueueConfig, RemoteWriteConfig};
pub use manager::RemoteWriters;
pub use sender::{RemoteWriter, SenderOptions, load_position, save_position};
pub use stats::{SenderStats, StatsSnapshot, families};
pub use tail::{Item, Position, TailStats, Tailer};
