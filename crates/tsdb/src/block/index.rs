//! The block index: symbols, series, postings and the postings table.
//! The byte layout is in `docs/format/index.md`; in short:
//!
//! ```text
//! "TTIX" | version u8 = 1 | 3 zero bytes
//! symbols  : count uvarint | (len uvarint | bytes)*            | crc32c u32le
//! series*  : len uvarint | labels and chunk metas (len bytes)  | crc32c u32le
//! postings*: len uvarint | count uvarint | id deltas uvarint*  | crc32c u32le
//! table    : count uvarint | (name sym | value sym | offset)*  | crc32c u32le
//! TOC      : symbols, series, all-postings, postings, table offsets (u64le each) | crc32c
//! ```
//!
//! A series id is the offset of its entry; series are written in label
//! order, so sorted ids are series sorted by labels.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use telltale_model::{Label, Labels};

use super::mmap::map_file;
use crate::encoding::{Dec, Enc};
use crate::error::{Result, TsdbError};

/// Magic bytes of an index file.
pub const INDEX_MAGIC: &[u8; 4] = b"TTIX";
/// Index format version.
pub const INDEX_VERSION: u8 = 1;
const HEADER_LEN: usize = 8;
const TOC_LEN: usize = 5 * 8 + 4;

/// Where a chunk of a series is and what time it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkMeta {
    pub mint: i64,
    pub maxt: i64,
    pub r: u64,
}

/// Writes an index file; series must be added in label order.
pub(crate) struct IndexWriter {
    path: PathBuf,
    w: BufWriter<File>,
    pos: u64,
    sym_idx: HashMap<String, u32>,
    postings: BTreeMap<(u32, u32), Vec<u64>>,
    all: Vec<u64>,
    series_off: u64,
    last: Option<Labels>,
    buf: Vec<u8>,
}

impl IndexWriter {
    /// Creates the file and writes the header and the symbols (sorted,
    /// unique).
    pub fn new(path: &Path, symbols: &[String]) -> Result<Self> {
        let f = File::create(path).map_err(|e| TsdbError::io("create", path, e))?;
        let mut iw = IndexWriter {
            path: path.to_path_buf(),
            w: BufWriter::with_capacity(1 << 20, f),
            pos: 0,
            sym_idx: HashMap::with_capacity(symbols.len()),
            postings: BTreeMap::new(),
            all: Vec::new(),
            series_off: 0,
            last: None,
            buf: Vec::new(),
        };
        let mut hdr = [0u8; HEADER_LEN];
        hdr[..4].copy_from_slice(INDEX_MAGIC);
        hdr[4] = INDEX_VERSION;
        iw.write(&hdr)?;
        let mut b = Vec::new();
        b.put_uvarint(symbols.len() as u64);
        for (i, s) in symbols.iter().enumerate() {
            b.put_str(s);
            iw.sym_idx.insert(s.clone(), i as u32);
        }
        let crc = crc32c::crc32c(&b);
        b.put_u32(crc);
        iw.write(&b)?;
        iw.series_off = iw.pos;
        Ok(iw)
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.w
            .write_all(b)
            .map_err(|e| TsdbError::io("write", &self.path, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn sym(&self, s: &str) -> Result<u32> {
        self.sym_idx
            .get(s)
            .copied()
            .ok_or_else(|| TsdbError::InvalidOption {
                name: "index symbols",
                reason: format!("symbol {s:?} missing from the symbol table"),
            })
    }

    /// Adds a series; returns its id.
    pub fn add_series(&mut self, labels: &Labels, metas: &[ChunkMeta]) -> Result<u64> {
        if let Some(last) = &self.last
            && last >= labels
        {
            return Err(TsdbError::InvalidOption {
                name: "index series order",
                reason: format!("series {labels} added after {last}"),
            });
        }
        let id = self.pos;
        let mut body = std::mem::take(&mut self.buf);
        body.clear();
        body.put_uvarint(labels.len() as u64);
        for l in labels {
            let (n, v) = (self.sym(&l.name)?, self.sym(&l.value)?);
            body.put_uvarint(u64::from(n));
            body.put_uvarint(u64::from(v));
            self.postings.entry((n, v)).or_default().push(id);
        }
        body.put_uvarint(metas.len() as u64);
        let (mut prev_t, mut prev_r) = (0i64, 0i64);
        for (i, m) in metas.iter().enumerate() {
            if i == 0 {
                body.put_varint(m.mint);
            } else {
                body.put_varint(m.mint.wrapping_sub(prev_t));
            }
            body.put_uvarint(m.maxt.wrapping_sub(m.mint) as u64);
            body.put_varint((m.r as i64).wrapping_sub(prev_r));
            prev_t = m.maxt;
            prev_r = m.r as i64;
        }
        let mut entry = Vec::with_capacity(body.len() + 10);
        entry.put_uvarint(body.len() as u64);
        entry.extend_from_slice(&body);
        entry.put_u32(crc32c::crc32c(&body));
        self.write(&entry)?;
        self.buf = body;
        self.all.push(id);
        self.last = Some(labels.clone());
        Ok(id)
    }

    fn write_postings(&mut self, ids: &[u64]) -> Result<u64> {
        let off = self.pos;
        let mut body = Vec::with_capacity(ids.len() * 3 + 8);
        body.put_uvarint(ids.len() as u64);
        let mut prev = 0u64;
        for &id in ids {
            body.put_uvarint(id - prev);
            prev = id;
        }
        let mut e = Vec::with_capacity(body.len() + 10);
        e.put_uvarint(body.len() as u64);
        e.extend_from_slice(&body);
        e.put_u32(crc32c::crc32c(&body));
        self.write(&e)?;
        Ok(off)
    }

    /// Writes postings, the table and the TOC, and syncs the file.
    pub fn finish(mut self) -> Result<()> {
        let all = std::mem::take(&mut self.all);
        let all_off = self.write_postings(&all)?;
        let postings_off = self.pos;
        let postings = std::mem::take(&mut self.postings);
        let mut table = Vec::with_capacity(postings.len());
        for ((n, v), ids) in &postings {
            let off = self.write_postings(ids)?;
            table.push((*n, *v, off));
        }
        let table_off = self.pos;
        let mut b = Vec::new();
        b.put_uvarint(table.len() as u64);
        for (n, v, off) in table {
            b.put_uvarint(u64::from(n));
            b.put_uvarint(u64::from(v));
            b.put_uvarint(off);
        }
        let crc = crc32c::crc32c(&b);
        b.put_u32(crc);
        self.write(&b)?;
        let mut toc = Vec::with_capacity(TOC_LEN);
        for o in [
            HEADER_LEN as u64,
            self.series_off,
            all_off,
            postings_off,
            table_off,
        ] {
            toc.put_u64(o);
        }
        let crc = crc32c::crc32c(&toc);
        toc.put_u32(crc);
        self.write(&toc)?;
        let f = self
            .w
            .into_inner()
            .map_err(|e| TsdbError::io("write", &self.path, e.into_error()))?;
        f.sync_all()
            .map_err(|e| TsdbError::io("fsync", &self.path, e))
    }
}

/// Reads a mapped index file.
pub(crate) struct IndexReader {
    path: PathBuf,
    map: Mmap,
    /// Offsets and lengths of the symbols in the map.
    symbols: Vec<(u32, u32)>,
    /// Label name symbol to (value symbol, postings offset), values sorted.
    table: BTreeMap<u32, Vec<(u32, u64)>>,
    all_off: u64,
}

impl IndexReader {
    pub fn open(path: &Path) -> Result<Self> {
        let map = map_file(path)?;
        let bad =
            |off: usize, reason: &str| TsdbError::corruption(path, off as u64, reason.to_string());
        if map.len() < HEADER_LEN + TOC_LEN || &map[..4] != INDEX_MAGIC {
            return Err(bad(0, "not an index file (bad magic or too short)"));
        }
        if map[4] != INDEX_VERSION {
            return Err(bad(4, &format!("unsupported index version {}", map[4])));
        }
        let toc_at = map.len() - TOC_LEN;
        let toc = &map[toc_at..];
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&toc[40..44]);
        if crc32c::crc32c(&toc[..40]) != u32::from_le_bytes(crc) {
            return Err(bad(toc_at, "index TOC checksum mismatch"));
        }
        let mut d = Dec::new(&toc[..40]);
        let mut offs = [0u64; 5];
        for o in offs.iter_mut() {
            *o = d.u64("toc").map_err(|_| bad(toc_at, "truncated TOC"))?;
            if *o as usize >= toc_at {
                return Err(bad(toc_at, "TOC offset beyond the file"));
            }
        }
        let [sym_off, series_off, all_off, _postings_off, table_off] = offs;
        // Symbols.
        let (sym_body, _) = Self::section_counted(&map, sym_off as usize, series_off as usize)
            .map_err(|(o, r)| bad(o, r))?;
        let mut symbols = Vec::new();
        {
            let base = sym_off as usize;
            let mut d = Dec::new(sym_body);
            let n = d
                .len("symbol count")
                .map_err(|e| bad(base + e.offset, "bad symbol count"))?;
            symbols.reserve(n);
            for _ in 0..n {
                let s = d
                    .str("symbol")
                    .map_err(|e| bad(base + e.offset, "bad symbol"))?;
                let start = base + d.pos() - s.len();
                symbols.push((start as u32, s.len() as u32));
            }
        }
        // Postings table.
        let (table_body, _) =
            Self::section_counted(&map, table_off as usize, toc_at).map_err(|(o, r)| bad(o, r))?;
        let mut table: BTreeMap<u32, Vec<(u32, u64)>> = BTreeMap::new();
        {
            let base = table_off as usize;
            let mut d = Dec::new(table_body);
            let err = |e: crate::encoding::DecodeError| bad(base + e.offset, "bad postings table");
            let n = d.len("table count").map_err(err)?;
            for _ in 0..n {
                let name = d.uvarint("name").map_err(err)? as u32;
                let value = d.uvarint("value").map_err(err)? as u32;
                let off = d.uvarint("offset").map_err(err)?;
                if name as usize >= symbols.len() || value as usize >= symbols.len() {
                    return Err(bad(base + d.pos(), "postings table names a missing symbol"));
                }
                table.entry(name).or_default().push((value, off));
            }
        }
        Ok(IndexReader {
            path: path.to_path_buf(),
            map,
            symbols,
            table,
            all_off,
        })
    }

    /// The body of a section `count.. | crc` that starts at `off`: the
    /// section has no length prefix, so it ends 4 bytes before `end`.
    fn section_counted(
        map: &[u8],
        off: usize,
        end: usize,
    ) -> Result<(&[u8], usize), (usize, &'static str)> {
        if off + 4 > end || end > map.len() {
            return Err((off, "section bounds out of range"));
        }
        let body = &map[off..end - 4];
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&map[end - 4..end]);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc) {
            return Err((off, "section checksum mismatch"));
        }
        Ok((body, end))
    }

    /// A length-prefixed, checksummed entry at `off`.
    fn entry(&self, off: u64) -> Result<&[u8]> {
        let bad = |reason: &str| TsdbError::corruption(&self.path, off, reason.to_string());
        let off = off as usize;
        if off >= self.map.len() {
            return Err(bad("entry offset beyond the file"));
        }
        let mut d = Dec::new(&self.map[off..]);
        let len = d
            .uvarint("entry length")
            .map_err(|_| bad("bad entry length"))? as usize;
        let start = off + d.pos();
        let end = start
            .checked_add(len)
            .filter(|e| e + 4 <= self.map.len())
            .ok_or_else(|| bad("entry extends beyond the file"))?;
        let body = &self.map[start..end];
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&self.map[end..end + 4]);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc) {
            return Err(bad("entry checksum mismatch"));
        }
        Ok(body)
    }

    pub fn symbol(&self, i: u32) -> Result<&str> {
        let &(off, len) = self.symbols.get(i as usize).ok_or_else(|| {
            TsdbError::corruption(&self.path, 0, format!("reference to missing symbol {i}"))
        })?;
        let b = &self.map[off as usize..(off + len) as usize];
        std::str::from_utf8(b)
            .map_err(|_| TsdbError::corruption(&self.path, u64::from(off), "symbol is not UTF-8"))
    }

    fn find_symbol(&self, s: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0usize, self.symbols.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.symbol(mid as u32).ok()?.cmp(s) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    fn read_postings(&self, off: u64) -> Result<Vec<u64>> {
        let body = self.entry(off)?;
        let bad = |_| TsdbError::corruption(&self.path, off, "bad postings list");
        let mut d = Dec::new(body);
        let n = d.len("postings count").map_err(bad)?;
        let mut out = Vec::with_capacity(n);
        let mut prev = 0u64;
        for _ in 0..n {
            prev = prev.wrapping_add(d.uvarint("posting").map_err(bad)?);
            out.push(prev);
        }
        Ok(out)
    }

    pub fn all_postings(&self) -> Result<Vec<u64>> {
        self.read_postings(self.all_off)
    }

    pub fn postings(&self, name: &str, value: &str) -> Result<Vec<u64>> {
        let (Some(n), Some(v)) = (self.find_symbol(name), self.find_symbol(value)) else {
            return Ok(Vec::new());
        };
        let Some(list) = self.table.get(&n) else {
            return Ok(Vec::new());
        };
        match list.binary_search_by_key(&v, |e| e.0) {
            Ok(i) => self.read_postings(list[i].1),
            Err(_) => Ok(Vec::new()),
        }
    }

    pub fn union_where(&self, name: &str, f: &dyn Fn(&str) -> bool) -> Result<Vec<u64>> {
        let Some(n) = self.find_symbol(name) else {
            return Ok(Vec::new());
        };
        let Some(list) = self.table.get(&n) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for &(v, off) in list {
            if f(self.symbol(v)?) {
                out.extend(self.read_postings(off)?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    pub fn label_names(&self) -> Result<Vec<String>> {
        self.table
            .keys()
            .map(|n| self.symbol(*n).map(str::to_string))
            .collect()
    }

    pub fn label_values(&self, name: &str) -> Result<Vec<String>> {
        let Some(n) = self.find_symbol(name) else {
            return Ok(Vec::new());
        };
        let Some(list) = self.table.get(&n) else {
            return Ok(Vec::new());
        };
        list.iter()
            .map(|(v, _)| self.symbol(*v).map(str::to_string))
            .collect()
    }

    /// All symbols, sorted.
    pub fn symbols(&self) -> Result<Vec<String>> {
        (0..self.symbols.len() as u32)
            .map(|i| self.symbol(i).map(str::to_string))
            .collect()
    }

    /// The labels and chunk metas of series `id`.
    pub fn series(&self, id: u64) -> Result<(Labels, Vec<ChunkMeta>)> {
        let body = self.entry(id)?;
        let bad = |_| TsdbError::corruption(&self.path, id, "bad series entry");
        let mut d = Dec::new(body);
        let nl = d.len("label count").map_err(bad)?;
        let mut labels = Vec::with_capacity(nl);
        for _ in 0..nl {
            let n = d.uvarint("name").map_err(bad)? as u32;
            let v = d.uvarint("value").map_err(bad)? as u32;
            labels.push(Label::new(self.symbol(n)?, self.symbol(v)?));
        }
        let nc = d.len("chunk count").map_err(bad)?;
        let mut metas = Vec::with_capacity(nc);
        let (mut prev_t, mut prev_r) = (0i64, 0i64);
        for i in 0..nc {
            let t = d.varint("mint").map_err(bad)?;
            let mint = if i == 0 { t } else { prev_t.wrapping_add(t) };
            let maxt = mint.wrapping_add(d.uvarint("maxt").map_err(bad)? as i64);
            let r = prev_r.wrapping_add(d.varint("ref").map_err(bad)?);
            metas.push(ChunkMeta {
                mint,
                maxt,
                r: r as u64,
            });
            prev_t = maxt;
            prev_r = r;
        }
        Ok((Labels::new(labels), metas))
    }

    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }
}
