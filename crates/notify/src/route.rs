//! The routing tree: which receivers an alert goes to, with which grouping
//! and timing, and the route keys Alertmanager forms group keys from.

use std::collections::BTreeMap;
use std::time::Duration;

use telltale_model::{Label, Labels, MatchOp, Matcher};

use crate::config::matchers::{
    is_legacy_label_name, labelset_string, matchers_string, parse_matchers, sort_matchers,
};
use crate::config::types::RouteConfig;

/// Default `group_wait`.
pub const DEFAULT_GROUP_WAIT: Duration = Duration::from_secs(30);
/// Default `group_interval`.
pub const DEFAULT_GROUP_INTERVAL: Duration = Duration::from_secs(300);
/// Default `repeat_interval`.
pub const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);

/// One node of the routing tree, with inherited options resolved.
#[derive(Debug, Clone)]
pub struct Route {
    /// Receiver for alerts that stop here.
    pub receiver: String,
    /// This node's matchers, sorted as Alertmanager sorts them.
    pub matchers: Vec<Matcher>,
    /// Labels to group by, sorted (empty with `group_by_all`).
    pub group_by: Vec<String>,
    /// `group_by: [...]`: group by every label.
    pub group_by_all: bool,
    /// Wait before the first notification of a new group.
    pub group_wait: Duration,
    /// Wait between notifications about a changed group.
    pub group_interval: Duration,
    /// Wait before repeating an unchanged notification.
    pub repeat_interval: Duration,
    /// Whether matching goes on with the next sibling after this one.
    pub continue_matching: bool,
    /// Names of intervals during which notifications are muted.
    pub mute_time_intervals: Vec<String>,
    /// Names of intervals outside of which notifications are muted.
    pub active_time_intervals: Vec<String>,
    /// Labels of this route, merged from the root down.
    pub route_labels: BTreeMap<String, String>,
    /// Child routes, in order.
    pub routes: Vec<Route>,
    /// `{}/{a="b"}/...`: the matcher sets from the root.
    pub key: String,
    /// `0/2/1`: the child indices from the root; unique even when two
    /// siblings have the same matchers.
    pub id: String,
}

fn parse_route_matchers(cfg: &RouteConfig) -> Result<Vec<Matcher>, String> {
    let mut out = Vec::new();
    for (k, v) in cfg.match_eq.iter().flatten() {
        if !is_legacy_label_name(k) {
            return Err(format!("invalid label name {k:?}"));
        }
        out.push(Matcher::equal(k, v));
    }
    for (k, v) in cfg.match_re.iter().flatten() {
        if !is_legacy_label_name(k) {
            return Err(format!("invalid label name {k:?}"));
        }
        let v = v
            .as_ref()
            .ok_or_else(|| format!("invalid_regex: empty match_re value for label {k:?}"))?;
        let anchored = format!("^(?:{v})$");
        out.push(Matcher::new(MatchOp::Regex, k, &anchored).map_err(|e| e.to_string())?);
    }
    for s in cfg.matchers.iter().flatten() {
        out.extend(parse_matchers(s)?);
    }
    sort_matchers(&mut out);
    Ok(out)
}

/// Checks one route node the way Alertmanager does while decoding it.
pub(crate) fn check_route_node(cfg: &RouteConfig) -> Result<(), String> {
    parse_route_matchers(cfg)?;
    if let Some(gb) = &cfg.group_by {
        let mut seen = std::collections::HashSet::new();
        for l in gb {
            if l == "..." {
                if gb.len() > 1 {
                    return Err(
                        "cannot have wildcard group_by (`...`) and other labels at the same time"
                            .into(),
                    );
                }
                continue;
            }
            if !is_legacy_label_name(l) {
                return Err(format!("invalid label name {l:?} in group_by list"));
            }
            if !seen.insert(l) {
                return Err(format!("duplicated label {l:?} in group_by"));
            }
        }
    }
    if cfg.group_interval.is_some_and(|d| d.0.is_zero()) {
        return Err("group_interval cannot be zero".into());
    }
    if cfg.repeat_interval.is_some_and(|d| d.0.is_zero()) {
        return Err("repeat_interval cannot be zero".into());
    }
    for k in cfg.labels.iter().flatten().map(|(k, _)| k) {
        if !is_legacy_label_name(k) {
            return Err(format!("invalid label name {k:?} in route labels"));
        }
    }
    for child in cfg.routes.iter().flatten() {
        check_route_node(child)?;
    }
    Ok(())
}

impl Route {
    /// Builds the tree from its configuration (already checked), children
    /// inheriting what they do not set.
    ///
    /// # Errors
    ///
    /// A message when a matcher does not parse.
    pub fn build(cfg: &RouteConfig, parent: Option<&Route>) -> Result<Route, String> {
        let id = match parent {
            Some(p) => format!("{}/{}", p.id, p.routes.len()),
            None => "0".to_string(),
        };
        Self::build_with_id(cfg, parent, id)
    }

    fn build_with_id(
        cfg: &RouteConfig,
        parent: Option<&Route>,
        id: String,
    ) -> Result<Route, String> {
        let matchers = parse_route_matchers(cfg)?;
        let (mut group_by, mut group_by_all) = match parent {
            Some(p) => (p.group_by.clone(), p.group_by_all),
            None => (Vec::new(), false),
        };
        if let Some(gb) = &cfg.group_by {
            group_by_all = gb.iter().any(|l| l == "...");
            group_by = if group_by_all { Vec::new() } else { gb.clone() };
            group_by.sort();
        }
        let mut route_labels = parent.map(|p| p.route_labels.clone()).unwrap_or_default();
        for (k, v) in cfg.labels.iter().flatten() {
            route_labels.insert(k.clone(), v.clone());
        }
        let key = match parent {
            Some(p) => format!("{}/{}", p.key, matchers_string(&matchers)),
            None => matchers_string(&matchers),
        };
        let mut route = Route {
            receiver: cfg
                .receiver
                .clone()
                .filter(|r| !r.is_empty())
                .or_else(|| parent.map(|p| p.receiver.clone()))
                .unwrap_or_default(),
            matchers,
            group_by,
            group_by_all,
            group_wait: cfg
                .group_wait
                .map(|d| d.0)
                .or(parent.map(|p| p.group_wait))
                .unwrap_or(DEFAULT_GROUP_WAIT),
            group_interval: cfg
                .group_interval
                .map(|d| d.0)
                .or(parent.map(|p| p.group_interval))
                .unwrap_or(DEFAULT_GROUP_INTERVAL),
            repeat_interval: cfg
                .repeat_interval
                .map(|d| d.0)
                .or(parent.map(|p| p.repeat_interval))
                .unwrap_or(DEFAULT_REPEAT_INTERVAL),
            continue_matching: cfg.continue_matching,
            mute_time_intervals: cfg.mute_time_intervals.clone().unwrap_or_default(),
            active_time_intervals: cfg.active_time_intervals.clone().unwrap_or_default(),
            route_labels,
            routes: Vec::new(),
            key,
            id,
        };
        let mut children = Vec::new();
        for (i, c) in cfg.routes.iter().flatten().enumerate() {
            let child_id = format!("{}/{i}", route.id);
            children.push(Route::build_with_id(c, Some(&route), child_id)?);
        }
        route.routes = children;
        Ok(route)
    }

    /// The routes an alert with these labels stops at: depth first, the
    /// first matching child wins unless it has `continue: true`; a node whose
    /// children all miss matches itself.
    pub fn match_labels(&self, labels: &Labels) -> Vec<&Route> {
        if !self.matchers.iter().all(|m| m.matches_labels(labels)) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let matches = child.match_labels(labels);
            let matched = !matches.is_empty();
            all.extend(matches);
            if matched && !child.continue_matching {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    /// The labels an alert is grouped by under this route.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        if self.group_by_all {
            return labels.clone();
        }
        Labels::new(
            labels
                .iter()
                .filter(|l| self.group_by.contains(&l.name))
                .cloned()
                .collect::<Vec<Label>>(),
        )
    }

    /// The group key Alertmanager forms: `<route key>:<group labels>`.
    pub fn group_key(&self, group_labels: &Labels) -> String {
        format!("{}:{}", self.key, labelset_string(group_labels))
    }

    /// Visits every node, depth first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Route)) {
        f(self);
        for c in &self.routes {
            c.walk(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(y: &str) -> Route {
        let cfg: RouteConfig = serde_saphyr::from_str(y).unwrap();
        check_route_node(&cfg).unwrap();
        Route::build(&cfg, None).unwrap()
    }

    #[test]
    fn continue_lets_later_siblings_match() {
        let r = tree(
            "receiver: def\nroutes:\n- match: {a: '1'}\n  receiver: x\n  continue: true\n- match: {a: '1'}\n  receiver: y\n- match: {a: '1'}\n  receiver: z\n",
        );
        let got: Vec<_> = r
            .match_labels(&Labels::from_pairs(&[("a", "1")]))
            .iter()
            .map(|r| r.receiver.as_str())
            .collect();
        assert_eq!(got, ["x", "y"]);
        let got = r.match_labels(&Labels::from_pairs(&[("a", "2")]));
        assert_eq!(got[0].receiver, "def");
        assert_eq!(got[0].key, "{}");
    }

    #[test]
    fn group_key_uses_group_labels() {
        let r = tree("receiver: def\ngroup_by: [alertname, job]\n");
        let l = Labels::from_pairs(&[("alertname", "X"), ("job", "y"), ("instance", "i")]);
        let g = r.group_labels(&l);
        assert_eq!(r.group_key(&g), r#"{}:{alertname="X", job="y"}"#);
    }
}
