//! [`Db`]: opening, the background threads, and the seams.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use telltale_model::{Appendable, Appender, Querier, Queryable, StorageError};

use crate::block::Block;
use crate::block::meta::BlockMeta;
use crate::error::{Result, TsdbError, poisoned};
use crate::head::replay::Replayer;
use crate::head::{Head, HeadAppender};
use crate::options::{FsyncPolicy, Options};
use crate::querier::DbQuerier;
use crate::wal::Wal;

/// The directory of the WAL inside the data directory.
pub const WAL_DIR: &str = "wal";

/// Stops the background threads.
#[derive(Default)]
pub(crate) struct Signal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    /// Waits up to `d`; returns true if stopped.
    fn wait(&self, d: Duration) -> bool {
        let Ok(g) = self.stopped.lock() else {
            return true;
        };
        if *g {
            return true;
        }
        match self.cv.wait_timeout(g, d) {
            Ok((g, _)) => *g,
            Err(_) => true,
        }
    }

    fn stop(&self) {
        if let Ok(mut g) = self.stopped.lock() {
            *g = true;
        }
        self.cv.notify_all();
    }
}

pub(crate) struct DbInner {
    pub dir: PathBuf,
    pub opts: Options,
    pub head: Arc<Head>,
    pub wal: Arc<Mutex<Wal>>,
    pub blocks: Arc<RwLock<Vec<Arc<Block>>>>,
    /// Serializes persisting, compaction, retention and deletes.
    pub maintenance: Mutex<()>,
    signal: Arc<Signal>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    closed: AtomicBool,
    /// The number of WAL segments when the last checkpoint was written.
    pub last_checkpoint_segment: Mutex<u64>,
    /// The open `lock` file, exclusively locked while the database is open
    /// so a second process cannot open the same directory.
    _lock: fs::File,
}

impl Drop for DbInner {
    fn drop(&mut self) {
        self.signal.stop();
        if let Ok(mut w) = self.wal.lock()
            && let Err(e) = w.sync()
        {
            tracing::error!(error = %e, "syncing the WAL on close failed");
        }
    }
}

/// The time-series database: a WAL, an in-memory head and on-disk blocks.
///
/// Cheap to clone (clones share the database); `Send + Sync`. Dropping the
/// last clone syncs the WAL and stops the background threads; call
/// [`Db::close`] to also wait for them.
#[derive(Clone)]
pub struct Db {
    pub(crate) inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("dir", &self.inner.dir).finish()
    }
}

fn remove_tmp_dirs(dir: &Path) -> Result<()> {
    let rd = fs::read_dir(dir).map_err(|e| TsdbError::io("read dir", dir, e))?;
    for ent in rd.flatten() {
        let p = ent.path();
        if p.is_dir() && p.extension().is_some_and(|e| e == "tmp") {
            tracing::info!(path = %p.display(), "removing unfinished block directory");
            fs::remove_dir_all(&p).map_err(|e| TsdbError::io("remove", &p, e))?;
        }
    }
    Ok(())
}

fn open_blocks(dir: &Path) -> Result<Vec<Arc<Block>>> {
    let mut dirs = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| TsdbError::io("read dir", dir, e))?;
    for ent in rd.flatten() {
        let p = ent.path();
        if p.is_dir() && p.join(crate::block::meta::META_FILE).exists() {
            dirs.push(p);
        }
    }
    // Blocks replaced by a finished compaction are deleted (a crash can
    // leave them behind between the rename and the delete).
    let mut metas = Vec::new();
    for p in &dirs {
        metas.push((p.clone(), BlockMeta::read(p)?));
    }
    let replaced: std::collections::HashSet<String> = metas
        .iter()
        .flat_map(|(_, m)| m.compaction.parents.iter().cloned())
        .collect();
    let mut blocks = Vec::new();
    for (p, m) in metas {
        if replaced.contains(&m.ulid) {
            tracing::info!(block = %m.ulid, "removing block replaced by a compaction");
            fs::remove_dir_all(&p).map_err(|e| TsdbError::io("remove", &p, e))?;
            continue;
        }
        blocks.push(Arc::new(Block::open(&p)?));
    }
    blocks.sort_by(|a, b| (a.meta.min_time, a.id()).cmp(&(b.meta.min_time, b.id())));
    Ok(blocks)
}

/// The name of the lock file in the data directory.
pub const LOCK_FILE: &str = "lock";

/// Opens `dir/lock` and takes an exclusive lock on it, held as long as the
/// returned file is open (the kernel drops it if the process dies, so a
/// crash never leaves a stale lock).
fn lock_dir(dir: &Path) -> Result<fs::File> {
    let path = dir.join(LOCK_FILE);
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| TsdbError::io("open", &path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(fs::TryLockError::WouldBlock) => Err(TsdbError::Locked {
            dir: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(TsdbError::io("lock", &path, e)),
    }
}

impl Db {
    /// Opens (or creates) the database in `dir`: removes unfinished
    /// temporary directories, opens the blocks, replays the WAL (cutting a
    /// damaged tail, with a warning naming the file and offset) and starts
    /// the background threads (unless [`Options::background`] is false).
    ///
    /// # Errors
    ///
    /// Invalid options, I/O errors, damaged blocks or checkpoints
    /// ([`TsdbError::Corruption`] names the file and offset), and
    /// [`TsdbError::Locked`] when another process has `dir` open.
    pub fn open(dir: &Path, opts: Options) -> Result<Db> {
        opts.validate()?;
        fs::create_dir_all(dir).map_err(|e| TsdbError::io("create dir", dir, e))?;
        let lock = lock_dir(dir)?;
        remove_tmp_dirs(dir)?;
        let blocks = open_blocks(dir)?;
        let head = Arc::new(Head::new(&opts));
        let started = std::time::Instant::now();
        let mut rp = Replayer::new(&head);
        let (wal, stats) = Wal::open(
            &dir.join(WAL_DIR),
            opts.wal_fsync,
            opts.wal_segment_size,
            |file, off, rec| rp.apply(file, off, rec),
        )?;
        let counters = rp.counters.clone();
        tracing::info!(
            records = stats.records,
            segments = stats.segments,
            checkpoint = ?stats.checkpoint,
            series = head.num_series(),
            samples = counters.samples,
            unknown_refs = counters.unknown_refs,
            elapsed_ms = started.elapsed().as_millis() as u64,
            blocks = blocks.len(),
            "WAL replayed"
        );
        let inner = Arc::new(DbInner {
            dir: dir.to_path_buf(),
            head,
            last_checkpoint_segment: Mutex::new(wal.current_segment()),
            wal: Arc::new(Mutex::new(wal)),
            blocks: Arc::new(RwLock::new(blocks)),
            maintenance: Mutex::new(()),
            signal: Arc::new(Signal::default()),
            threads: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            opts,
            _lock: lock,
        });
        let db = Db { inner };
        if db.inner.opts.background {
            db.spawn_background()?;
        }
        Ok(db)
    }

    fn spawn_background(&self) -> Result<()> {
        let mut threads = self.inner.threads.lock().map_err(|_| poisoned())?;
        let weak: Weak<DbInner> = Arc::downgrade(&self.inner);
        let signal = self.inner.signal.clone();
        let every = self.inner.opts.maintenance_interval;
        let h = std::thread::Builder::new()
            .name("tsdb-maintenance".into())
            .spawn(move || {
                while !signal.wait(every) {
                    let Some(inner) = weak.upgrade() else { break };
                    let db = Db { inner };
                    if let Err(e) = db.run_maintenance() {
                        tracing::error!(error = %e, "TSDB maintenance failed");
                    }
                }
            })
            .map_err(|e| TsdbError::io("spawn thread", &self.inner.dir, e))?;
        threads.push(h);
        if let FsyncPolicy::Interval(every) = self.inner.opts.wal_fsync {
            let weak: Weak<DbInner> = Arc::downgrade(&self.inner);
            let signal = self.inner.signal.clone();
            let h = std::thread::Builder::new()
                .name("tsdb-wal-sync".into())
                .spawn(move || {
                    while !signal.wait(every) {
                        let Some(inner) = weak.upgrade() else { break };
                        let res = inner
                            .wal
                            .lock()
                            .map_err(|_| poisoned())
                            .and_then(|mut w| w.sync());
                        if let Err(e) = res {
                            tracing::error!(error = %e, "WAL sync failed");
                        }
                    }
                })
                .map_err(|e| TsdbError::io("spawn thread", &self.inner.dir, e))?;
            threads.push(h);
        }
        Ok(())
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.opts
    }

    /// Syncs the WAL to disk now.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn sync_wal(&self) -> Result<()> {
        self.inner.wal.lock().map_err(|_| poisoned())?.sync()
    }

    /// Syncs the WAL, stops the background threads and waits for them.
    ///
    /// # Errors
    ///
    /// I/O errors syncing the WAL.
    pub fn close(self) -> Result<()> {
        self.inner.closed.store(true, Ordering::Relaxed);
        self.inner.signal.stop();
        let threads = std::mem::take(&mut *self.inner.threads.lock().map_err(|_| poisoned())?);
        for t in threads {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
        self.sync_wal()
    }

    pub(crate) fn blocks(&self) -> Vec<Arc<Block>> {
        self.inner
            .blocks
            .read()
            .map(|b| b.clone())
            .unwrap_or_default()
    }
}

impl Appendable for Db {
    fn appender(&self) -> Box<dyn Appender> {
        Box::new(HeadAppender::new(
            self.inner.head.clone(),
            self.inner.wal.clone(),
        ))
    }
}

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        if self.inner.closed.load(Ordering::Relaxed) {
            return Err(StorageError::Unavailable("database is closed".into()));
        }
        Ok(Box::new(DbQuerier::new(
            self.inner.head.clone(),
            self.inner.blocks.clone(),
            mint,
            maxt,
        )))
    }
}
