//! The head's series index: series by reference and by label hash,
//! postings per label pair, and the symbol table that interns label strings
//! (and frees them when the last series using them goes away).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::series::{MemSeries, Sym};

/// A hasher for integer keys (series references, label hashes): one
/// folded multiplication.
#[derive(Default, Clone, Copy)]
pub(crate) struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        // Folded multiply: every input bit reaches the low bits (the table
        // index) and the high bits (the tag). Plain multiplication would
        // keep the low bits of the key, which are the shard number.
        let m = u128::from(x ^ self.0) * 0x9e37_79b9_7f4a_7c15u128;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

pub(crate) type U64Map<V> = HashMap<u64, V, BuildHasherDefault<U64Hasher>>;

/// One shard of the series maps.
#[derive(Default)]
pub(crate) struct Shard {
    pub by_ref: U64Map<Arc<MemSeries>>,
    /// One series per label hash: 16 bytes per entry.
    by_hash: U64Map<Arc<MemSeries>>,
    /// Further series whose labels have a hash already in `by_hash`
    /// (64-bit collisions: practically never).
    collisions: U64Map<Vec<Arc<MemSeries>>>,
}

impl Shard {
    pub fn find(
        &self,
        hash: u64,
        l: &telltale_model::Labels,
        syms: &Symbols,
    ) -> Option<&Arc<MemSeries>> {
        let first = self.by_hash.get(&hash)?;
        if first.labels_eq(syms, l) {
            return Some(first);
        }
        self.collisions
            .get(&hash)?
            .iter()
            .find(|s| s.labels_eq(syms, l))
    }

    /// Adds `s` under its label hash.
    pub fn insert_hash(&mut self, hash: u64, s: Arc<MemSeries>) {
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collisions.entry(hash).or_default().push(s);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(s);
            }
        }
    }

    /// Removes series `r` from under `hash`.
    pub fn remove_hash(&mut self, hash: u64, r: u64) {
        if self.by_hash.get(&hash).is_some_and(|s| s.r == r) {
            self.by_hash.remove(&hash);
            if let Some(list) = self.collisions.get_mut(&hash) {
                if let Some(next) = list.pop() {
                    self.by_hash.insert(hash, next);
                }
                if list.is_empty() {
                    self.collisions.remove(&hash);
                }
            }
        } else if let Some(list) = self.collisions.get_mut(&hash) {
            list.retain(|x| x.r != r);
            if list.is_empty() {
                self.collisions.remove(&hash);
            }
        }
    }
}

/// Interned strings with reference counts: a series holds ids, and a
/// string is freed when the last series using it is removed.
#[derive(Default)]
pub(crate) struct Symbols {
    ids: HashMap<Sym, u32>,
    strs: Vec<(Option<Sym>, u32)>,
    free: Vec<u32>,
}

impl Symbols {
    /// The id of `s`, added if new; counts one more user.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            if let Some(e) = self.strs.get_mut(id as usize) {
                e.1 += 1;
            }
            return id;
        }
        let a: Sym = Arc::from(s);
        let id = match self.free.pop() {
            Some(id) => {
                self.strs[id as usize] = (Some(a.clone()), 1);
                id
            }
            None => {
                self.strs.push((Some(a.clone()), 1));
                (self.strs.len() - 1) as u32
            }
        };
        self.ids.insert(a, id);
        id
    }

    /// Counts one user less; frees the string when none is left.
    pub fn release(&mut self, id: u32) {
        let Some(e) = self.strs.get_mut(id as usize) else {
            return;
        };
        e.1 = e.1.saturating_sub(1);
        if e.1 == 0
            && let Some(a) = e.0.take()
        {
            self.ids.remove(&a);
            self.free.push(id);
        }
    }

    /// The string of `id` (`""` for an unknown id).
    pub fn get(&self, id: u32) -> &str {
        self.strs
            .get(id as usize)
            .and_then(|e| e.0.as_deref())
            .unwrap_or("")
    }

    /// The shared string of `id`.
    pub fn arc(&self, id: u32) -> Sym {
        self.strs
            .get(id as usize)
            .and_then(|e| e.0.clone())
            .unwrap_or_else(|| Arc::from(""))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn bytes(&self) -> usize {
        self.ids.keys().map(|s| s.len()).sum()
    }
}

/// Postings: for each label name and value, the sorted references of the
/// series that have it.
#[derive(Default)]
pub(crate) struct Postings {
    pub map: HashMap<Sym, HashMap<Sym, Vec<u64>>>,
}

impl Postings {
    /// Adds series `r` with its label strings.
    pub fn add(&mut self, r: u64, labels: &[(Sym, Sym)]) {
        for (n, v) in labels {
            let list = self
                .map
                .entry(n.clone())
                .or_default()
                .entry(v.clone())
                .or_default();
            // References grow, so pushing keeps the list sorted; a replayed
            // series may come out of order.
            match list.last() {
                Some(&last) if last > r => {
                    let i = list.partition_point(|&x| x < r);
                    list.insert(i, r);
                }
                _ => list.push(r),
            }
        }
    }

    /// Removes series `r`.
    pub fn remove(&mut self, r: u64, labels: &[(Sym, Sym)]) {
        for (n, v) in labels {
            let Some(values) = self.map.get_mut(&**n) else {
                continue;
            };
            if let Some(list) = values.get_mut(&**v) {
                if let Ok(i) = list.binary_search(&r) {
                    list.remove(i);
                }
                if list.is_empty() {
                    values.remove(&**v);
                }
            }
            if values.is_empty() {
                self.map.remove(&**n);
            }
        }
    }

    pub fn get(&self, name: &str, value: &str) -> &[u64] {
        self.map
            .get(name)
            .and_then(|m| m.get(value))
            .map_or(&[], |v| v.as_slice())
    }

    /// The union of the lists of the values of `name` accepted by `f`.
    pub fn union_where(&self, name: &str, f: impl Fn(&str) -> bool) -> Vec<u64> {
        let Some(values) = self.map.get(name) else {
            return Vec::new();
        };
        let mut out: Vec<u64> = Vec::new();
        for (v, list) in values {
            if f(v) {
                out.extend_from_slice(list);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Intersects sorted lists.
pub(crate) fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// `a` without the elements of `b` (both sorted).
pub(crate) fn subtract(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j < b.len() && b[j] == x {
            continue;
        }
        out.push(x);
    }
    out
}

/// Resolves matchers to a sorted list of ids over any postings source:
/// `get(name, value)` gives one list, `union(name, f)` the union of the lists
/// of values accepted by `f`, `all()` every id.
pub(crate) fn resolve_matchers(
    matchers: &[telltale_model::Matcher],
    get: impl Fn(&str, &str) -> Vec<u64>,
    union: impl Fn(&str, &dyn Fn(&str) -> bool) -> Vec<u64>,
    all: impl Fn() -> Vec<u64>,
) -> Vec<u64> {
    use telltale_model::MatchOp;
    let mut acc: Option<Vec<u64>> = None;
    let mut subtracts: Vec<Vec<u64>> = Vec::new();
    // Positive matchers (not matching the empty value) first: they narrow.
    for m in matchers {
        if m.matches_empty() {
            // Selects series without the label too: remove the series whose
            // value does not match instead.
            let bad = union(&m.name, &|v| !m.matches(v));
            subtracts.push(bad);
            continue;
        }
        let list = match (m.op, m.set_values()) {
            (MatchOp::Equal, _) => get(&m.name, &m.value),
            (_, Some(vals)) => {
                let mut out: Vec<u64> = Vec::new();
                for v in vals {
                    out.extend(get(&m.name, v));
                }
                out.sort_unstable();
                out.dedup();
                out
            }
            _ => union(&m.name, &|v| m.matches(v)),
        };
        acc = Some(match acc {
            None => list,
            Some(a) => intersect(&a, &list),
        });
        if acc.as_ref().is_some_and(|a| a.is_empty()) {
            return Vec::new();
        }
    }
    let mut out = acc.unwrap_or_else(all);
    for s in subtracts {
        out = subtract(&out, &s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 7]), vec![3, 7]);
        assert_eq!(subtract(&[1, 3, 5, 7], &[3, 4, 7]), vec![1, 5]);
    }

    #[test]
    fn hash_collisions_keep_every_series_findable() {
        use telltale_model::Labels;
        let mut syms = Symbols::default();
        let mk = |syms: &mut Symbols, r: u64, v: &str| {
            let ids = vec![(syms.intern("__name__"), syms.intern(v))].into_boxed_slice();
            Arc::new(MemSeries::new(r, 7, ids))
        };
        let (a, b, c) = (
            mk(&mut syms, 1, "a"),
            mk(&mut syms, 2, "b"),
            mk(&mut syms, 3, "c"),
        );
        let mut sh = Shard::default();
        for s in [&a, &b, &c] {
            sh.insert_hash(7, s.clone());
        }
        let la = Labels::from_pairs(&[("__name__", "a")]);
        let lb = Labels::from_pairs(&[("__name__", "b")]);
        let lc = Labels::from_pairs(&[("__name__", "c")]);
        assert_eq!(sh.find(7, &lb, &syms).map(|s| s.r), Some(2));
        sh.remove_hash(7, 1);
        assert!(sh.find(7, &la, &syms).is_none());
        assert_eq!(sh.find(7, &lb, &syms).map(|s| s.r), Some(2));
        assert_eq!(sh.find(7, &lc, &syms).map(|s| s.r), Some(3));
        sh.remove_hash(7, 3);
        sh.remove_hash(7, 2);
        assert!(sh.find(7, &lb, &syms).is_none());
        assert!(sh.collisions.is_empty() && sh.by_hash.is_empty());
    }

    #[test]
    fn symbols_are_freed_when_unused() {
        let mut s = Symbols::default();
        let a = s.intern("a");
        let b = s.intern("b");
        assert_eq!(s.intern("a"), a);
        assert_eq!(s.len(), 2);
        s.release(a);
        assert_eq!(s.get(a), "a");
        s.release(a);
        assert_eq!(s.len(), 1);
        assert_eq!(s.get(a), "");
        // The freed id is reused.
        assert_eq!(s.intern("c"), a);
        assert_eq!(s.get(b), "b");
    }
}
