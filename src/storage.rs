//! Storage as the server sees it before and after the WAL replay.
//!
//! The HTTP server starts at once (so `/-/healthy` answers and `/-/ready`
//! can say "not yet"); queries and writes get a clear "unavailable" error
//! until the database is open.

use std::sync::{Arc, OnceLock};

use telltale_model::{Appendable, Appender, Labels, Querier, Queryable, SeriesRef, StorageError};
use telltale_tsdb::Db;

/// The database, once it is open.
#[derive(Clone, Default)]
pub struct Storage {
    db: Arc<OnceLock<Db>>,
}

impl Storage {
    /// Storage that is not open yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the opened database (once).
    pub fn set(&self, db: Db) {
        let _ = self.db.set(db);
    }

    /// The database, if open.
    pub fn get(&self) -> Option<&Db> {
        self.db.get()
    }
}

fn not_ready() -> StorageError {
    StorageError::Unavailable("the write-ahead log is still being replayed".into())
}

impl Queryable for Storage {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        match self.db.get() {
            Some(db) => db.querier(mint, maxt),
            None => Err(not_ready()),
        }
    }
}

impl Appendable for Storage {
    fn appender(&self) -> Box<dyn Appender> {
        match self.db.get() {
            Some(db) => db.appender(),
            None => Box::new(Refusing),
        }
    }
}

/// An appender that refuses everything while the database is not open.
struct Refusing;

impl Appender for Refusing {
    fn append(
        &mut self,
        _: SeriesRef,
        _: &Labels,
        _: i64,
        _: f64,
    ) -> Result<SeriesRef, StorageError> {
        Err(not_ready())
    }
    fn commit(self: Box<Self>) -> Result<(), StorageError> {
        Err(not_ready())
    }
    fn rollback(self: Box<Self>) {}
}

/// `status/tsdb` and the admin API over the database.
pub struct Admin {
    /// The storage.
    pub storage: Storage,
}

impl telltale_server::TsdbAdmin for Admin {
    fn status(&self, limit: usize) -> Result<telltale_server::TsdbStatus, String> {
        let db = self.storage.get().ok_or("storage is not open yet")?;
        let s = db.stats(limit);
        let conv = |v: &[telltale_tsdb::NameCount]| -> Vec<(String, u64)> {
            v.iter().map(|n| (n.name.clone(), n.value)).collect()
        };
        Ok(telltale_server::TsdbStatus {
            num_series: s.head_series,
            num_label_pairs: s.head_label_pairs,
            chunk_count: s.head_chunks,
            min_time: s.head_min_time,
            max_time: s.head_max_time,
            series_count_by_metric_name: conv(&s.series_count_by_metric_name),
            label_value_count_by_label_name: conv(&s.label_value_count_by_label_name),
            memory_in_bytes_by_label_name: conv(&s.memory_in_bytes_by_label_name),
            series_count_by_label_value_pair: conv(&s.series_count_by_label_value_pair),
        })
    }

    fn delete_series(
        &self,
        matchers: &[telltale_model::Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<(), String> {
        let db = self.storage.get().ok_or("storage is not open yet")?;
        db.delete(matchers, mint, maxt).map_err(|e| e.to_string())
    }

    fn clean_tombstones(&self) -> Result<(), String> {
        let db = self.storage.get().ok_or("storage is not open yet")?;
        db.clean_tombstones().map_err(|e| e.to_string())
    }

    fn snapshot(&self, skip_head: bool) -> Result<String, String> {
        let db = self.storage.get().ok_or("storage is not open yet")?;
        let name = format!(
            "{}-{:016x}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
            rand_u64()
        );
        let dir = db.dir().join("snapshots").join(&name);
        // The snapshot always includes the head: it persists it first, so
        // `skip_head` changes nothing but is accepted like Prometheus does.
        let _ = skip_head;
        db.snapshot(&dir).map_err(|e| e.to_string())?;
        Ok(name)
    }
}

/// A random number from the standard library's per-process random keys.
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
