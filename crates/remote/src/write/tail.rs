//! Tailing the TSDB's WAL directory: reading series and sample records as
//! they are written, without ever blocking the writer (the files are only
//! read, with their own handles).
//!
//! The segment layout (`docs/format/wal.md`) is read incrementally: the
//! tailer keeps an open handle on the segment it is in, reads what was
//! appended since the last poll (at most 8 MiB at a time), and decodes only
//! whole records; a record still being written is left for the next poll.
//! It moves to the next segment once one exists and the current one has
//! been read to its end a last time (the writer starts a new segment only
//! after finishing the old one, so nothing is missed).
//!
//! Series references are resolved with the series records read so far and
//! with the newest checkpoint's series records (segments before a
//! checkpoint are deleted). Series only seen before the newest checkpoint
//! and not in it are forgotten, which bounds the map by the head's series.
//!
//! A restart resumes at a saved [`Position`]: the tailer reads the
//! checkpoint and every segment again for their series records but hands
//! out only samples at or after the position. If the position's segment no
//! longer exists (the sender was so far behind that a checkpoint removed
//! it), reading starts at the first segment left and the gap is counted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use telltale_model::{Label, Labels};
use telltale_scrape::relabel::{RelabelConfig, relabel};
use telltale_tsdb::wal::segment::{
    FRAME_LEN, MAX_RECORD_LEN, SEGMENT_HEADER_LEN, SEGMENT_MAGIC, list_segments, read_segment,
    segment_name,
};

use super::records::{WalRecord, decode};
use crate::error::Error;

/// The most bytes read from a segment in one go.
const READ_CHUNK: usize = 8 << 20;

/// A place in the WAL: the next record to read is in segment `segment` at
/// byte `offset` (0 = before the segment header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Position {
    /// The segment number.
    pub segment: u64,
    /// The byte offset of the next record.
    pub offset: u64,
}

/// A sample ready to send.
#[derive(Debug, Clone)]
pub struct Item {
    /// The series after external labels and `write_relabel_configs`.
    pub labels: Arc<Labels>,
    /// Milliseconds.
    pub t: i64,
    /// The value (stale markers included).
    pub v: f64,
}

/// What the tailer skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TailStats {
    /// Samples of series dropped by `write_relabel_configs`.
    pub relabel_dropped: u64,
    /// Samples whose series record was never seen.
    pub unknown_series: u64,
    /// Times reading jumped over missing segments.
    pub gaps: u64,
    /// Damaged records or segment tails skipped.
    pub damaged: u64,
    /// Records read.
    pub records: u64,
}

struct Entry {
    labels: Option<Arc<Labels>>,
    /// The segment the series record was read in (the checkpoint number
    /// for checkpoint series).
    seen_in: u64,
}

/// Reads a WAL directory as it grows.
pub struct Tailer {
    dir: PathBuf,
    pos: Position,
    file: Option<File>,
    buf: Vec<u8>,
    /// Whether the current segment's data after `buf` is unusable.
    damaged: bool,
    resume: Option<Position>,
    series: HashMap<u64, Entry>,
    checkpoint: Option<u64>,
    relabel: Vec<RelabelConfig>,
    external: Vec<Label>,
    started: bool,
    /// What was skipped so far.
    pub stats: TailStats,
}

impl Tailer {
    /// A tailer over `dir` (`<data>/wal`) that hands out samples at or after
    /// `resume` (all samples when `None`), with external labels added (when
    /// a series lacks them) and then `relabel` applied.
    pub fn new(
        dir: &Path,
        resume: Option<Position>,
        relabel: Vec<RelabelConfig>,
        external: Vec<Label>,
    ) -> Self {
        Tailer {
            dir: dir.to_path_buf(),
            pos: Position::default(),
            file: None,
            buf: Vec::new(),
            damaged: false,
            resume,
            series: HashMap::new(),
            checkpoint: None,
            relabel,
            external,
            started: false,
            stats: TailStats::default(),
        }
    }

    /// The position after the last record handed out or skipped: saving it
    /// once everything handed out is sent makes a restart resume exactly.
    pub fn position(&self) -> Position {
        match self.resume {
            Some(r) if r > self.pos => r,
            _ => self.pos,
        }
    }

    /// The number of series references known.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    fn series_labels(&self, raw: Labels) -> Option<Arc<Labels>> {
        let mut l = raw;
        if !self.external.is_empty() {
            let mut b = l.builder();
            for e in &self.external {
                if !l.has(&e.name) {
                    b.set(&e.name, &e.value);
                }
            }
            l = b.build();
        }
        if !self.relabel.is_empty() {
            l = relabel(&l, &self.relabel)?;
        }
        Some(Arc::new(l))
    }

    /// Reads the newest checkpoint if it is newer than the one known.
    fn load_checkpoint(&mut self) -> Result<(), Error> {
        let mut newest: Option<(u64, PathBuf)> = None;
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("read dir", &self.dir, &e)),
        };
        for ent in rd.flatten() {
            let name = ent.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|s| s.strip_prefix("checkpoint."))
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            if newest.as_ref().is_none_or(|(m, _)| n > *m) {
                newest = Some((n, ent.path()));
            }
        }
        let Some((n, path)) = newest else {
            return Ok(());
        };
        if self.checkpoint.is_some_and(|c| c >= n) {
            return Ok(());
        }
        let mut found: Vec<(u64, Labels)> = Vec::new();
        let segs = list_segments(&path).map_err(|e| Error::Io {
            context: "list checkpoint",
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        for (_, p) in segs {
            let r = read_segment(&p, |_, payload| {
                if let Ok(WalRecord::Series(s)) = decode(payload) {
                    found.extend(s);
                }
                Ok(())
            });
            if let Err(e) = r {
                // The checkpoint may have been replaced while we read it;
                // the next one will be read on the next segment change.
                tracing::debug!(checkpoint = %p.display(), error = %e, "reading WAL checkpoint failed");
                return Ok(());
            }
        }
        let mut next: HashMap<u64, Entry> = HashMap::with_capacity(found.len());
        for (r, l) in found {
            let labels = match self.series.get(&r) {
                Some(e) => e.labels.clone(),
                None => self.series_labels(l),
            };
            next.insert(r, Entry { labels, seen_in: n });
        }
        for (r, e) in self.series.drain() {
            if e.seen_in > n {
                next.entry(r).or_insert(e);
            }
        }
        self.series = next;
        self.checkpoint = Some(n);
        Ok(())
    }

    fn segments(&self) -> Result<Vec<u64>, Error> {
        list_segments(&self.dir)
            .map(|v| v.into_iter().map(|(n, _)| n).collect())
            .map_err(|e| Error::Io {
                context: "list WAL segments",
                path: self.dir.display().to_string(),
                message: e.to_string(),
            })
    }

    fn start(&mut self) -> Result<bool, Error> {
        self.load_checkpoint()?;
        let segs = self.segments()?;
        let after_cp = self.checkpoint.map_or(0, |c| c + 1);
        let Some(&first) = segs.iter().find(|&&n| n >= after_cp) else {
            return Ok(false);
        };
        if let Some(r) = self.resume
            && r.segment < first
            && r != Position::default()
        {
            self.stats.gaps += 1;
            tracing::warn!(
                dir = %self.dir.display(),
                resume_segment = r.segment,
                first_segment = first,
                "remote write position is in a WAL segment that was removed; samples in between were not sent"
            );
        }
        self.pos = Position {
            segment: first,
            offset: 0,
        };
        self.started = true;
        Ok(true)
    }

    /// Moves to the segment after the current one if one exists.
    fn next_segment(&self) -> Result<Option<u64>, Error> {
        Ok(self.segments()?.into_iter().find(|&n| n > self.pos.segment))
    }

    fn switch_to(&mut self, n: u64) -> Result<(), Error> {
        if n != self.pos.segment + 1 {
            self.stats.gaps += 1;
            tracing::warn!(
                from = self.pos.segment,
                to = n,
                "WAL segments missing; skipped"
            );
        }
        if !self.buf.is_empty() || self.damaged {
            self.stats.damaged += 1;
            tracing::warn!(
                segment = self.pos.segment,
                offset = self.pos.offset,
                bytes = self.buf.len(),
                "WAL segment ends with a damaged or torn record; the rest is skipped"
            );
        }
        self.pos = Position {
            segment: n,
            offset: 0,
        };
        self.file = None;
        self.buf.clear();
        self.damaged = false;
        self.load_checkpoint()
    }

    /// Reads what was appended to the open segment; returns the bytes read.
    fn read_more(&mut self) -> Result<usize, Error> {
        let Some(f) = self.file.as_mut() else {
            return Ok(0);
        };
        let path = self.dir.join(segment_name(self.pos.segment));
        let before = self.buf.len();
        f.take(READ_CHUNK as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::io("read WAL segment", &path, &e))?;
        Ok(self.buf.len() - before)
    }

    /// Decodes the whole records in `buf` into `out`, up to `cap` items;
    /// returns whether anything was consumed.
    fn parse(&mut self, cap: usize, out: &mut Vec<Item>) -> bool {
        let mut at = 0usize;
        if self.pos.offset == 0 {
            if self.buf.len() < SEGMENT_HEADER_LEN {
                return false;
            }
            if &self.buf[..4] != SEGMENT_MAGIC {
                self.damaged = true;
                return false;
            }
            at = SEGMENT_HEADER_LEN;
            self.pos.offset = SEGMENT_HEADER_LEN as u64;
        }
        while !self.damaged && out.len() < cap {
            let rest = &self.buf[at..];
            if rest.len() < FRAME_LEN {
                break;
            }
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
            if len == 0 || len > MAX_RECORD_LEN {
                self.damaged = true;
                break;
            }
            if rest.len() < FRAME_LEN + len {
                break;
            }
            let payload = &rest[FRAME_LEN..FRAME_LEN + len];
            if crc32c::crc32c(payload) != crc {
                self.damaged = true;
                break;
            }
            let here = self.pos;
            match decode(payload) {
                Ok(rec) => {
                    self.stats.records += 1;
                    self.apply(here, rec, out);
                }
                Err(reason) => {
                    self.stats.damaged += 1;
                    tracing::warn!(
                        segment = here.segment,
                        offset = here.offset,
                        reason,
                        "undecodable WAL record skipped"
                    );
                }
            }
            at += FRAME_LEN + len;
            self.pos.offset += (FRAME_LEN + len) as u64;
        }
        self.buf.drain(..at);
        at > 0
    }

    fn apply(&mut self, here: Position, rec: WalRecord, out: &mut Vec<Item>) {
        match rec {
            WalRecord::Series(s) => {
                for (r, l) in s {
                    let labels = self.series_labels(l);
                    self.series.insert(
                        r,
                        Entry {
                            labels,
                            seen_in: here.segment,
                        },
                    );
                }
            }
            WalRecord::Samples(s) => {
                if self.resume.is_some_and(|r| here < r) {
                    return;
                }
                for (r, t, v) in s {
                    match self.series.get(&r) {
                        Some(Entry {
                            labels: Some(l), ..
                        }) => out.push(Item {
                            labels: Arc::clone(l),
                            t,
                            v,
                        }),
                        Some(Entry { labels: None, .. }) => self.stats.relabel_dropped += 1,
                        None => self.stats.unknown_series += 1,
                    }
                }
            }
            WalRecord::Other => {}
        }
    }

    /// Reads new records, appending at most about `cap` samples to `out`
    /// (a record is never split, so a little more is possible). Returns
    /// when `cap` is reached or nothing more is written yet.
    ///
    /// # Errors
    ///
    /// I/O errors other than a missing segment.
    pub fn poll(&mut self, cap: usize, out: &mut Vec<Item>) -> Result<(), Error> {
        if !self.started && !self.start()? {
            return Ok(());
        }
        loop {
            if self.file.is_none() {
                let path = self.dir.join(segment_name(self.pos.segment));
                match File::open(&path) {
                    Ok(mut f) => {
                        f.seek(SeekFrom::Start(self.pos.offset))
                            .map_err(|e| Error::io("seek WAL segment", &path, &e))?;
                        self.file = Some(f);
                        self.buf.clear();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        match self.next_segment()? {
                            Some(n) => {
                                self.switch_to(n)?;
                                continue;
                            }
                            None => return Ok(()),
                        }
                    }
                    Err(e) => return Err(Error::io("open WAL segment", &path, &e)),
                }
            }
            let got = self.read_more()?;
            let progressed = self.parse(cap, out);
            if out.len() >= cap {
                return Ok(());
            }
            if got > 0 || progressed {
                continue;
            }
            let Some(n) = self.next_segment()? else {
                return Ok(());
            };
            // A later segment exists, so this one is finished: read its end
            // once more in case the last record landed just before rotation.
            if self.read_more()? > 0 {
                continue;
            }
            self.switch_to(n)?;
        }
    }
}

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
