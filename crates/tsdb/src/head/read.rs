//! What queries read from the head: series selected by matchers, label
//! names and values.

use std::collections::BTreeSet;
use std::sync::Arc;

use telltale_model::Matcher;

use super::Head;
use super::index::resolve_matchers;
use super::series::MemSeries;

impl Head {
    /// The series selected by `matchers` (all series when empty), in no
    /// particular order.
    pub fn select_series(&self, matchers: &[Matcher]) -> Vec<Arc<MemSeries>> {
        let refs = {
            let Ok(p) = self.postings.read() else {
                return Vec::new();
            };
            resolve_matchers(
                matchers,
                |n, v| p.get(n, v).to_vec(),
                |n, f| p.union_where(n, f),
                || self.all_refs(),
            )
        };
        refs.into_iter()
            .filter_map(|r| self.get_by_ref(r))
            .filter(|s| {
                self.symbols
                    .read()
                    .is_ok_and(|syms| matchers.iter().all(|m| m.matches(s.get(&syms, &m.name))))
            })
            .collect()
    }

    fn series_in_range(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Vec<Arc<MemSeries>> {
        self.select_series(matchers)
            .into_iter()
            .filter(|s| s.data.lock().is_ok_and(|d| d.overlaps(mint, maxt)))
            .collect()
    }

    /// Label names of the series selected by `matchers` with samples in
    /// `[mint, maxt]`.
    pub fn label_names(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for s in self.series_in_range(matchers, mint, maxt) {
            let Ok(syms) = self.symbols.read() else { break };
            for (n, _) in s.labels.iter() {
                let n = syms.get(*n);
                if !out.contains(n) {
                    out.insert(n.to_string());
                }
            }
        }
        out
    }

    /// Values of label `name` among the series selected by `matchers` with
    /// samples in `[mint, maxt]`.
    pub fn label_values(
        &self,
        name: &str,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut ms: Vec<Matcher> = matchers.to_vec();
        ms.push(Matcher::not_equal(name, ""));
        for s in self.series_in_range(&ms, mint, maxt) {
            let Ok(syms) = self.symbols.read() else { break };
            let v = s.get(&syms, name);
            if !out.contains(v) {
                out.insert(v.to_string());
            }
        }
        out
    }
}
