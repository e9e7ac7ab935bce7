//! Silences: matchers that mute alerts between a start and an end, with a
//! creator and a comment; persisted to a file and restored on start.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use telltale_model::{Labels, MatchOp, Matcher};

use crate::error::{NotifyError, Result};
use crate::persist;

/// How long expired silences are kept (Alertmanager's default retention).
pub const SILENCE_RETENTION: SignedDuration = SignedDuration::from_hours(120);
/// Upper bound on stored silences.
pub const MAX_SILENCES: usize = 10_000;
/// File name under the data directory.
pub const SILENCES_FILE: &str = "silences.json";

/// One matcher of a silence, in the API's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceMatcher {
    /// Label name.
    pub name: String,
    /// Value or pattern.
    pub value: String,
    /// Whether `value` is a regex.
    #[serde(rename = "isRegex")]
    pub is_regex: bool,
    /// `=`/`=~` when true, `!=`/`!~` when false.
    #[serde(rename = "isEqual", default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl SilenceMatcher {
    /// The matcher this stands for.
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidSilence`] for a bad regex.
    pub fn to_matcher(&self) -> Result<Matcher> {
        let op = match (self.is_regex, self.is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regex,
            (true, false) => MatchOp::NotRegex,
        };
        Matcher::new(op, &self.name, &self.value)
            .map_err(|e| NotifyError::InvalidSilence(e.to_string()))
    }
}

/// A silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// UUID.
    pub id: String,
    /// Alerts matching all of these are muted.
    pub matchers: Vec<SilenceMatcher>,
    /// Start.
    #[serde(with = "persist::ts")]
    pub starts_at: Timestamp,
    /// End.
    #[serde(with = "persist::ts")]
    pub ends_at: Timestamp,
    /// Last change.
    #[serde(with = "persist::ts")]
    pub updated_at: Timestamp,
    /// Who made it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// Where a silence is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    /// Starts in the future.
    Pending,
    /// Muting now.
    Active,
    /// Over.
    Expired,
}

impl SilenceState {
    /// The API's name for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

impl Silence {
    /// The state at `now`.
    pub fn state(&self, now: Timestamp) -> SilenceState {
        if now >= self.ends_at {
            SilenceState::Expired
        } else if now < self.starts_at {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }

    /// Whether the silence's matchers all select these labels.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| {
            m.to_matcher()
                .map(|m| m.matches_labels(labels))
                .unwrap_or(false)
        })
    }

    fn validate(&self) -> Result<()> {
        if self.matchers.is_empty() {
            return Err(NotifyError::InvalidSilence(
                "at least one matcher required".into(),
            ));
        }
        let mut all_empty = true;
        for m in &self.matchers {
            if m.name.is_empty() {
                return Err(NotifyError::InvalidSilence(
                    "invalid label name \"\"".into(),
                ));
            }
            if !m.to_matcher()?.matches_empty() {
                all_empty = false;
            }
        }
        if all_empty {
            return Err(NotifyError::InvalidSilence(
                "at least one matcher must not match the empty string".into(),
            ));
        }
        if self.ends_at < self.starts_at {
            return Err(NotifyError::InvalidSilence(
                "end time must not be before start time".into(),
            ));
        }
        if self.created_by.is_empty() {
            return Err(NotifyError::InvalidSilence("missing creator".into()));
        }
        if self.comment.is_empty() {
            return Err(NotifyError::InvalidSilence("missing comment".into()));
        }
        Ok(())
    }
}

/// The silence store.
#[derive(Debug)]
pub struct Silences {
    path: Option<PathBuf>,
    inner: Mutex<BTreeMap<String, Silence>>,
    /// Compiled matchers by silence id, tagged with the silence's
    /// `updated_at` so an edit recompiles them.
    compiled: Mutex<HashMap<String, (Timestamp, Vec<Matcher>)>>,
}

impl Silences {
    /// Opens the store, restoring `<dir>/silences.json` if present; `None`
    /// keeps silences in memory only.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read or decoded.
    pub fn open(dir: Option<PathBuf>) -> Result<Silences> {
        let path = dir.map(|d| d.join(SILENCES_FILE));
        let list: Vec<Silence> = match &path {
            Some(p) => persist::read_json(p)?.unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(Silences {
            path,
            inner: Mutex::new(list.into_iter().map(|s| (s.id.clone(), s)).collect()),
            compiled: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Silence>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save(&self, map: &BTreeMap<String, Silence>) -> Result<()> {
        match &self.path {
            Some(p) => persist::write_json(p, &map.values().collect::<Vec<_>>()),
            None => Ok(()),
        }
    }

    /// Creates or updates a silence and returns its id. An update of an
    /// expired silence, or of one whose matchers change while it is active,
    /// expires the old one and creates a new one, as Alertmanager does.
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidSilence`], [`NotifyError::SilenceNotFound`] or
    /// a persistence error.
    pub fn set(&self, mut s: Silence, now: Timestamp) -> Result<String> {
        s.validate()?;
        let mut map = self.lock();
        s.updated_at = now;
        let mut fresh = true;
        if !s.id.is_empty() {
            let old = map
                .get(&s.id)
                .cloned()
                .ok_or_else(|| NotifyError::SilenceNotFound(s.id.clone()))?;
            let state = old.state(now);
            let in_place = state == SilenceState::Pending
                || (state == SilenceState::Active
                    && old.matchers == s.matchers
                    && old.starts_at == s.starts_at);
            if in_place {
                if state == SilenceState::Active {
                    s.starts_at = old.starts_at;
                }
                fresh = false;
            } else if state != SilenceState::Expired
                && let Some(o) = map.get_mut(&s.id)
            {
                o.ends_at = now;
                o.updated_at = now;
            }
        }
        if fresh {
            if s.ends_at <= now {
                return Err(NotifyError::InvalidSilence(
                    "end time can't be in the past".into(),
                ));
            }
            if s.starts_at < now {
                s.starts_at = now;
            }
            if map.len() >= MAX_SILENCES {
                return Err(NotifyError::InvalidSilence(format!(
                    "too many silences (limit {MAX_SILENCES})"
                )));
            }
            s.id = uuid::Uuid::new_v4().to_string();
        }
        let id = s.id.clone();
        map.insert(id.clone(), s);
        self.save(&map)?;
        Ok(id)
    }

    /// Expires a silence now.
    ///
    /// # Errors
    ///
    /// [`NotifyError::SilenceNotFound`], or
    /// [`NotifyError::InvalidSilence`] when it already expired.
    pub fn expire(&self, id: &str, now: Timestamp) -> Result<()> {
        let mut map = self.lock();
        let s = map
            .get_mut(id)
            .ok_or_else(|| NotifyError::SilenceNotFound(id.to_string()))?;
        match s.state(now) {
            SilenceState::Expired => {
                return Err(NotifyError::InvalidSilence(format!(
                    "silence {id} already expired"
                )));
            }
            SilenceState::Pending => {
                s.starts_at = now;
                s.ends_at = now;
            }
            SilenceState::Active => s.ends_at = now,
        }
        s.updated_at = now;
        self.save(&map)
    }

    /// One silence.
    pub fn get(&self, id: &str) -> Option<Silence> {
        self.lock().get(id).cloned()
    }

    /// All silences.
    pub fn list(&self) -> Vec<Silence> {
        self.lock().values().cloned().collect()
    }

    /// Ids of active silences muting these labels.
    pub fn silenced_by(&self, labels: &Labels, now: Timestamp) -> Vec<String> {
        let active: Vec<Silence> = self
            .lock()
            .values()
            .filter(|s| s.state(now) == SilenceState::Active)
            .cloned()
            .collect();
        if active.is_empty() {
            return Vec::new();
        }
        let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for s in active {
            let fresh = cache.get(&s.id).is_some_and(|(t, _)| *t == s.updated_at);
            if !fresh {
                let ms: Vec<Matcher> = s
                    .matchers
                    .iter()
                    .filter_map(|m| m.to_matcher().ok())
                    .collect();
                if ms.len() != s.matchers.len() {
                    continue;
                }
                cache.insert(s.id.clone(), (s.updated_at, ms));
            }
            if let Some((_, ms)) = cache.get(&s.id)
                && ms.iter().all(|m| m.matches_labels(labels))
            {
                out.push(s.id);
            }
        }
        out
    }

    /// Drops silences expired longer than the retention ago.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn gc(&self, now: Timestamp) -> Result<usize> {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, s| persist::add_sat(s.ends_at, SILENCE_RETENTION) > now);
        let removed = before - map.len();
        self.compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| map.contains_key(id));
        if removed > 0 {
            self.save(&map)?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn silence(start: &str, end: &str) -> Silence {
        Silence {
            id: String::new(),
            matchers: vec![SilenceMatcher {
                name: "alertname".into(),
                value: "X".into(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: t(start),
            ends_at: t(end),
            updated_at: t(start),
            created_by: "me".into(),
            comment: "maintenance".into(),
        }
    }

    #[test]
    fn states_follow_the_clock_and_survive_restart() {
        let dir = tempfile::tempdir().unwrap();
        let s = Silences::open(Some(dir.path().into())).unwrap();
        let now = t("2024-01-01T00:00:00Z");
        let id = s
            .set(silence("2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"), now)
            .unwrap();
        let got = s.get(&id).unwrap();
        assert_eq!(got.state(now), SilenceState::Pending);
        assert_eq!(got.state(t("2024-01-01T01:30:00Z")), SilenceState::Active);
        assert_eq!(got.state(t("2024-01-01T02:00:00Z")), SilenceState::Expired);
        let l = Labels::from_pairs(&[("alertname", "X")]);
        assert!(s.silenced_by(&l, now).is_empty());
        assert_eq!(
            s.silenced_by(&l, t("2024-01-01T01:30:00Z")),
            vec![id.clone()]
        );
        drop(s);
        let s = Silences::open(Some(dir.path().into())).unwrap();
        assert_eq!(s.get(&id).unwrap().comment, "maintenance");
        s.expire(&id, t("2024-01-01T01:30:00Z")).unwrap();
        assert!(s.expire(&id, t("2024-01-01T01:31:00Z")).is_err());
        assert_eq!(s.gc(t("2024-01-10T00:00:00Z")).unwrap(), 1);
    }

    #[test]
    fn rejects_invalid_silences() {
        let s = Silences::open(None).unwrap();
        let now = t("2024-01-01T00:00:00Z");
        let mut bad = silence("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z");
        bad.matchers[0].value = String::new();
        assert!(s.set(bad, now).is_err());
        let past = silence("2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z");
        assert!(s.set(past, now).is_err());
        let mut unknown = silence("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z");
        unknown.id = "nope".into();
        assert!(matches!(
            s.set(unknown, now),
            Err(NotifyError::SilenceNotFound(_))
        ));
    }
}
