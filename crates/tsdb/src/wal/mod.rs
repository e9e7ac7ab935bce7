//! The write-ahead log, in three layers as in Prometheus: [`segment`] knows
//! only CRC-checked records in numbered files, [`record`] knows what a
//! record holds, and the head's replay (`head::replay`) applies them.
//!
//! ```text
//! wal/
//!   checkpoint.00000007/00000000   series and head chunks as of segment 7
//!   00000008                       segments after the checkpoint
//!   00000009
//! ```

pub mod record;
pub mod segment;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Result, TsdbError};
use crate::options::FsyncPolicy;
use segment::{SegmentEnd, SegmentWriter, list_segments, read_segment, sync_dir};

const CHECKPOINT_PREFIX: &str = "checkpoint.";

/// What opening the WAL found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayStats {
    /// Records read (checkpoint included).
    pub records: u64,
    /// Segments read.
    pub segments: u64,
    /// The checkpoint replayed, if any.
    pub checkpoint: Option<u64>,
    /// Bytes cut from a damaged tail (and later segments removed).
    pub bytes_cut: u64,
}

/// The log being appended to.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    seg: SegmentWriter,
    policy: FsyncPolicy,
    segment_size: u64,
    buf: Vec<u8>,
    dirty: bool,
}

fn list_checkpoints(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| TsdbError::io("read dir", dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| TsdbError::io("read dir", dir, e))?;
        let name = ent.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(num) = name.strip_prefix(CHECKPOINT_PREFIX) {
            if num.ends_with(".tmp") {
                let p = ent.path();
                tracing::info!(path = %p.display(), "removing unfinished WAL checkpoint");
                fs::remove_dir_all(&p).map_err(|e| TsdbError::io("remove", &p, e))?;
            } else if let Ok(n) = num.parse::<u64>() {
                out.push((n, ent.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn file_len(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

impl Wal {
    /// Opens the WAL in `dir` (created if missing): replays the newest
    /// checkpoint and the segments after it through `f` (file, offset,
    /// payload), cuts a damaged tail (logging the file, the offset and how
    /// much was cut, and removing any later segment), and returns the log
    /// ready for appending.
    ///
    /// # Errors
    ///
    /// I/O errors, a damaged checkpoint, and errors from `f`.
    pub fn open(
        dir: &Path,
        policy: FsyncPolicy,
        segment_size: u64,
        mut f: impl FnMut(&Path, u64, &[u8]) -> Result<()>,
    ) -> Result<(Wal, ReplayStats)> {
        fs::create_dir_all(dir).map_err(|e| TsdbError::io("create dir", dir, e))?;
        let mut stats = ReplayStats::default();
        let checkpoints = list_checkpoints(dir)?;
        let mut first_segment = 0;
        if let Some((n, cp)) = checkpoints.last() {
            for (_, p) in list_segments(cp)? {
                let end = read_segment(&p, |off, rec| {
                    stats.records += 1;
                    f(&p, off, rec)
                })?;
                if let SegmentEnd::Damaged { offset, reason } = end {
                    return Err(TsdbError::corruption(&p, offset, reason));
                }
            }
            stats.checkpoint = Some(*n);
            first_segment = n + 1;
        }
        let segments: Vec<_> = list_segments(dir)?
            .into_iter()
            .filter(|(n, _)| *n >= first_segment)
            .collect();
        let mut last: Option<u64> = None;
        let mut damaged_at: Option<usize> = None;
        for (i, (n, p)) in segments.iter().enumerate() {
            stats.segments += 1;
            let end = read_segment(p, |off, rec| {
                stats.records += 1;
                f(p, off, rec)
            })?;
            last = Some(*n);
            if let SegmentEnd::Damaged { offset, reason } = end {
                let len = file_len(p);
                let offset = if offset == 0 { 0 } else { offset };
                tracing::warn!(
                    file = %p.display(),
                    offset,
                    cut_bytes = len.saturating_sub(offset),
                    %reason,
                    "WAL: damaged tail cut"
                );
                stats.bytes_cut += len.saturating_sub(offset);
                if offset < segment::SEGMENT_HEADER_LEN as u64 {
                    fs::remove_file(p).map_err(|e| TsdbError::io("remove", p, e))?;
                    last = n.checked_sub(1).filter(|_| i > 0);
                } else {
                    segment::truncate_segment(p, offset)?;
                }
                damaged_at = Some(i);
                break;
            }
        }
        if let Some(i) = damaged_at {
            for (_, p) in &segments[i + 1..] {
                let len = file_len(p);
                tracing::warn!(file = %p.display(), bytes = len, "WAL: removing segment after damaged tail");
                stats.bytes_cut += len;
                fs::remove_file(p).map_err(|e| TsdbError::io("remove", p, e))?;
            }
            sync_dir(dir)?;
        }
        let seg = match last {
            Some(n) if file_len(&dir.join(segment::segment_name(n))) < segment_size => {
                SegmentWriter::open_append(dir, n)?
            }
            Some(n) => SegmentWriter::create(dir, n + 1)?,
            None => SegmentWriter::create(dir, first_segment.max(1))?,
        };
        sync_dir(dir)?;
        Ok((
            Wal {
                dir: dir.to_path_buf(),
                seg,
                policy,
                segment_size,
                buf: Vec::with_capacity(64 * 1024),
                dirty: false,
            },
            stats,
        ))
    }

    /// Appends records (payloads from [`record`]) in one write; syncs when
    /// the policy is [`FsyncPolicy::Always`]. Starts a new segment first if
    /// the current one would grow past the segment size.
    ///
    /// # Errors
    ///
    /// I/O errors: the records may or may not be in the log.
    pub fn log(&mut self, payloads: &[&[u8]]) -> Result<()> {
        self.buf.clear();
        for p in payloads {
            if !p.is_empty() {
                segment::frame(&mut self.buf, p);
            }
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.seg.size + self.buf.len() as u64 > self.segment_size
            && self.seg.size > segment::SEGMENT_HEADER_LEN as u64
        {
            self.rotate()?;
        }
        self.seg.write(&self.buf)?;
        self.dirty = true;
        if self.buf.capacity() > 16 << 20 {
            self.buf = Vec::with_capacity(64 * 1024);
        }
        if self.policy == FsyncPolicy::Always {
            self.sync()?;
        }
        Ok(())
    }

    /// Syncs the current segment if anything was written since the last sync.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn sync(&mut self) -> Result<()> {
        if self.dirty {
            self.seg.sync()?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Closes the current segment (synced) and starts the next one. Returns
    /// the number of the new segment: every record logged before this call
    /// is in a lower-numbered segment.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn rotate(&mut self) -> Result<u64> {
        self.seg.sync()?;
        self.dirty = false;
        let next = self.seg.number + 1;
        self.seg = SegmentWriter::create(&self.dir, next)?;
        sync_dir(&self.dir)?;
        Ok(next)
    }

    /// The current segment number.
    pub fn current_segment(&self) -> u64 {
        self.seg.number
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The total size in bytes of the WAL directory (segments and checkpoints).
pub fn dir_size(dir: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        let Ok(rd) = fs::read_dir(p) else { return 0 };
        rd.flatten()
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path()),
                _ => e.metadata().map(|m| m.len()).unwrap_or(0),
            })
            .sum()
    }
    walk(dir)
}

/// Writes checkpoint `upto` (the records that stand for every segment up to
/// and including `upto`) atomically, then removes those segments and older
/// checkpoints.
///
/// # Errors
///
/// I/O errors; on error the old checkpoint and segments stay.
pub fn write_checkpoint(dir: &Path, upto: u64, payloads: &[Vec<u8>]) -> Result<()> {
    let name = format!("{CHECKPOINT_PREFIX}{upto:08}");
    let tmp = dir.join(format!("{name}.tmp"));
    let fin = dir.join(&name);
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| TsdbError::io("remove", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| TsdbError::io("create dir", &tmp, e))?;
    let mut w = SegmentWriter::create(&tmp, 0)?;
    let mut buf = Vec::new();
    for p in payloads {
        buf.clear();
        segment::frame(&mut buf, p);
        w.write(&buf)?;
    }
    w.sync()?;
    drop(w);
    sync_dir(&tmp)?;
    if fin.exists() {
        fs::remove_dir_all(&fin).map_err(|e| TsdbError::io("remove", &fin, e))?;
    }
    fs::rename(&tmp, &fin).map_err(|e| TsdbError::io("rename", &tmp, e))?;
    sync_dir(dir)?;
    for (n, p) in list_segments(dir)? {
        if n <= upto {
            fs::remove_file(&p).map_err(|e| TsdbError::io("remove", &p, e))?;
        }
    }
    for (n, p) in list_checkpoints(dir)? {
        if n < upto {
            fs::remove_dir_all(&p).map_err(|e| TsdbError::io("remove", &p, e))?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn open_collect(dir: &Path) -> (Wal, Vec<Vec<u8>>, ReplayStats) {
        let mut recs = Vec::new();
        let (w, st) = Wal::open(dir, FsyncPolicy::Always, 1 << 20, |_, _, r| {
            recs.push(r.to_vec());
            Ok(())
        })
        .unwrap();
        (w, recs, st)
    }

    #[test]
    fn replays_what_was_logged_across_segments() {
        let d = tempfile::tempdir().unwrap();
        let (mut w, recs, _) = open_collect(d.path());
        assert!(recs.is_empty());
        for i in 0..100u32 {
            w.log(&[&i.to_le_bytes()]).unwrap();
            if i == 50 {
                w.rotate().unwrap();
            }
        }
        drop(w);
        let (_, recs, st) = open_collect(d.path());
        assert_eq!(recs.len(), 100);
        assert_eq!(recs[99], 99u32.to_le_bytes().to_vec());
        assert_eq!(st.segments, 2);
    }

    #[test]
    fn replay_truncates_torn_tail() {
        let d = tempfile::tempdir().unwrap();
        let (mut w, _, _) = open_collect(d.path());
        w.log(&[b"one"]).unwrap();
        w.log(&[b"two"]).unwrap();
        let seg = d.path().join(segment::segment_name(w.current_segment()));
        drop(w);
        let len = fs::metadata(&seg).unwrap().len();
        // A torn write: half of a third record.
        let mut f = fs::OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let (mut w, recs, st) = open_collect(d.path());
        assert_eq!(recs, vec![b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(st.bytes_cut, 6);
        assert_eq!(fs::metadata(&seg).unwrap().len(), len);
        w.log(&[b"three"]).unwrap();
        drop(w);
        let (_, recs, _) = open_collect(d.path());
        assert_eq!(recs.len(), 3);
    }

    #[test]
    fn flipped_bit_cuts_from_the_damaged_record() {
        let d = tempfile::tempdir().unwrap();
        let (mut w, _, _) = open_collect(d.path());
        for r in [b"aaaa", b"bbbb", b"cccc"] {
            w.log(&[r]).unwrap();
        }
        let n = w.current_segment();
        w.rotate().unwrap();
        w.log(&[b"dddd"]).unwrap();
        drop(w);
        let seg = d.path().join(segment::segment_name(n));
        let mut data = fs::read(&seg).unwrap();
        let second = segment::SEGMENT_HEADER_LEN + segment::FRAME_LEN + 4 + segment::FRAME_LEN;
        data[second] ^= 0x10;
        fs::write(&seg, &data).unwrap();
        let (_, recs, st) = open_collect(d.path());
        assert_eq!(recs, vec![b"aaaa".to_vec()]);
        assert!(st.bytes_cut > 0);
        assert!(!d.path().join(segment::segment_name(n + 1)).exists());
    }

    #[test]
    fn checkpoint_replaces_older_segments() {
        let d = tempfile::tempdir().unwrap();
        let (mut w, _, _) = open_collect(d.path());
        w.log(&[b"old"]).unwrap();
        let next = w.rotate().unwrap();
        w.log(&[b"new"]).unwrap();
        write_checkpoint(d.path(), next - 1, &[b"summary".to_vec()]).unwrap();
        drop(w);
        let (_, recs, st) = open_collect(d.path());
        assert_eq!(recs, vec![b"summary".to_vec(), b"new".to_vec()]);
        assert_eq!(st.checkpoint, Some(next - 1));
    }
}
