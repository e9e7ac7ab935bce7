//! Relabelling: Prometheus's `relabel_configs` and `metric_relabel_configs`.
//!
//! Every action behaves as in Prometheus: the values of `source_labels` are
//! joined with `separator` (default `;`), `regex` (default `(.*)`) is
//! anchored at both ends with `.` matching newlines (`^(?s:regex)$`), and
//! `replacement` (default `$1`) expands `$1`, `${1}`, `$name` and `${name}`
//! like Go's `Regexp.Expand`. `hashmod` takes the MD5 of the joined value and
//! reduces its last eight bytes, read big-endian, modulo `modulus`, so targets
//! shard exactly as a Prometheus with the same config would shard them.

use std::fmt;

use md5::{Digest, Md5};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use telltale_model::{Labels, LabelsBuilder};

use crate::error::ScrapeError;

mod expand;

use expand::{expand_caps, expand_whole};

/// The largest compiled relabelling regex, in bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// What a relabelling step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Action {
    /// Sets `target_label` to the expanded `replacement` when `regex`
    /// matches the joined source values (deletes it if the result is empty).
    #[default]
    Replace,
    /// Drops the series or target unless `regex` matches.
    Keep,
    /// Drops the series or target when `regex` matches.
    Drop,
    /// Keeps it only if the joined source values equal `target_label`'s value.
    KeepEqual,
    /// Drops it if the joined source values equal `target_label`'s value.
    DropEqual,
    /// Sets `target_label` to MD5(joined values) modulo `modulus`.
    HashMod,
    /// Copies every label whose name matches `regex` to the name given by
    /// `replacement`.
    LabelMap,
    /// Deletes every label whose name matches `regex`.
    LabelDrop,
    /// Deletes every label whose name does not match `regex`.
    LabelKeep,
    /// Sets `target_label` to the joined values in lower case.
    Lowercase,
    /// Sets `target_label` to the joined values in upper case.
    Uppercase,
}

impl Action {
    /// The name as written in a config.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }

    /// Parses an action name, ignoring case as Prometheus does.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s.to_ascii_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Action::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown relabel action {s:?}")))
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A relabelling regex: the pattern as written and its anchored compiled
/// form. Two regexes are equal when their patterns are.
#[derive(Clone)]
pub struct RelabelRegex {
    pattern: String,
    re: Regex,
}

impl RelabelRegex {
    /// Compiles `pattern` anchored as `^(?s:pattern)$`.
    ///
    /// # Errors
    ///
    /// The regex crate's message for a pattern that does not compile or is
    /// too large.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let re = regex::RegexBuilder::new(&format!("^(?s:{pattern})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| format!("invalid regex {pattern:?}: {e}"))?;
        Ok(RelabelRegex {
            pattern: pattern.to_string(),
            re,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the whole of `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    /// The compiled (anchored) regex.
    pub fn regex(&self) -> &Regex {
        &self.re
    }
}

impl Default for RelabelRegex {
    fn default() -> Self {
        // The default pattern always compiles.
        match RelabelRegex::new("(.*)") {
            Ok(r) => r,
            Err(e) => unreachable!("default relabel regex: {e}"),
        }
    }
}

impl PartialEq for RelabelRegex {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl fmt::Debug for RelabelRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.pattern)
    }
}

impl<'de> Deserialize<'de> for RelabelRegex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RelabelRegex::new(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for RelabelRegex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.pattern)
    }
}

fn default_separator() -> String {
    ";".into()
}

fn default_replacement() -> String {
    "$1".into()
}

/// One relabelling step, as written in `relabel_configs`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    /// The labels whose values are joined into the value the step works on.
    #[serde(default)]
    pub source_labels: Vec<String>,
    /// The string between joined values (default `;`).
    #[serde(default = "default_separator")]
    pub separator: String,
    /// The regex, anchored (default `(.*)`).
    #[serde(default)]
    pub regex: RelabelRegex,
    /// The divisor of `hashmod`.
    #[serde(default)]
    pub modulus: u64,
    /// The label written by `replace`, `hashmod`, `lowercase`, `uppercase`;
    /// compared by `keepequal` and `dropequal`.
    #[serde(default)]
    pub target_label: String,
    /// The template written by `replace` and `labelmap` (default `$1`).
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// The action (default `replace`).
    #[serde(default)]
    pub action: Action,
}

impl Default for RelabelConfig {
    fn default() -> Self {
        RelabelConfig {
            source_labels: Vec::new(),
            separator: default_separator(),
            regex: RelabelRegex::default(),
            modulus: 0,
            target_label: String::new(),
            replacement: default_replacement(),
            action: Action::Replace,
        }
    }
}

/// Whether `s` is a legal label name in the legacy (ASCII) charset.
pub(crate) fn is_legacy_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn has_template_var(s: &str) -> bool {
    s.contains('$')
}

impl RelabelConfig {
    /// Checks the step as Prometheus does when loading a config.
    ///
    /// # Errors
    ///
    /// [`ScrapeError::InvalidConfig`] naming `job` when a required field is
    /// missing or a field is not allowed with the action.
    pub fn validate(&self, job: &str) -> Result<(), ScrapeError> {
        let a = self.action.as_str();
        let needs_target = matches!(
            self.action,
            Action::Replace
                | Action::HashMod
                | Action::Lowercase
                | Action::Uppercase
                | Action::KeepEqual
                | Action::DropEqual
        );
        if needs_target && self.target_label.is_empty() {
            return Err(ScrapeError::invalid(
                job,
                format!("relabel configuration for {a} action requires 'target_label' value"),
            ));
        }
        if matches!(
            self.action,
            Action::Lowercase | Action::Uppercase | Action::KeepEqual | Action::DropEqual
        ) && !is_legacy_label_name(&self.target_label)
        {
            return Err(ScrapeError::invalid(
                job,
                format!(
                    "{:?} is invalid 'target_label' for {a} action",
                    self.target_label
                ),
            ));
        }
        if self.action == Action::Replace
            && !has_template_var(&self.target_label)
            && self.target_label.is_empty()
        {
            return Err(ScrapeError::invalid(
                job,
                "replace action requires a target_label",
            ));
        }
        if self.action == Action::HashMod && self.modulus == 0 {
            return Err(ScrapeError::invalid(
                job,
                "relabel configuration for hashmod requires non-zero modulus",
            ));
        }
        if matches!(self.action, Action::LabelDrop | Action::LabelKeep)
            && (!self.source_labels.is_empty()
                || !self.target_label.is_empty()
                || self.modulus != 0
                || self.separator != default_separator()
                || self.replacement != default_replacement())
        {
            return Err(ScrapeError::invalid(
                job,
                format!("{a} action requires only 'regex', and no other fields"),
            ));
        }
        if matches!(self.action, Action::KeepEqual | Action::DropEqual)
            && (self.regex != RelabelRegex::default()
                || self.modulus != 0
                || self.separator != default_separator()
                || self.replacement != default_replacement())
        {
            return Err(ScrapeError::invalid(
                job,
                format!(
                    "{a} action requires only 'source_labels' and `target_label`, and no other fields"
                ),
            ));
        }
        Ok(())
    }
}

/// Applies `steps` in order to `labels`. Returns `None` when a step drops
/// the series (or target), otherwise the new label set.
pub fn relabel(labels: &Labels, steps: &[RelabelConfig]) -> Option<Labels> {
    if steps.is_empty() {
        return Some(labels.clone());
    }
    let mut b = labels.builder();
    if relabel_builder(&mut b, steps) {
        Some(b.build())
    } else {
        None
    }
}

/// Applies `steps` to a builder in place. Returns false when a step drops
/// the series.
pub fn relabel_builder(b: &mut LabelsBuilder, steps: &[RelabelConfig]) -> bool {
    let mut val = String::new();
    for step in steps {
        val.clear();
        for (i, name) in step.source_labels.iter().enumerate() {
            if i > 0 {
                val.push_str(&step.separator);
            }
            val.push_str(b.get(name));
        }
        if !apply(b, step, &val) {
            return false;
        }
    }
    true
}

fn apply(b: &mut LabelsBuilder, c: &RelabelConfig, val: &str) -> bool {
    match c.action {
        Action::Drop => {
            if c.regex.is_match(val) {
                return false;
            }
        }
        Action::Keep => {
            if !c.regex.is_match(val) {
                return false;
            }
        }
        Action::DropEqual => {
            if b.get(&c.target_label) == val {
                return false;
            }
        }
        Action::KeepEqual => {
            if b.get(&c.target_label) != val {
                return false;
            }
        }
        Action::Replace => replace(b, c, val),
        Action::Lowercase => {
            b.set(&c.target_label, &val.to_lowercase());
        }
        Action::Uppercase => {
            b.set(&c.target_label, &val.to_uppercase());
        }
        Action::HashMod => {
            let m = hashmod(val, c.modulus);
            b.set(&c.target_label, &m.to_string());
        }
        Action::LabelMap => {
            let mut add: Vec<(String, String)> = Vec::new();
            for l in b.labels() {
                if !c.regex.is_match(&l.name) {
                    continue;
                }
                if let Some(caps) = c.regex.regex().captures(&l.name) {
                    add.push((expand_caps(&c.replacement, &caps), l.value.clone()));
                }
            }
            for (n, v) in add {
                b.set(&n, &v);
            }
        }
        Action::LabelDrop => {
            b.retain(|l| !c.regex.is_match(&l.name));
        }
        Action::LabelKeep => {
            b.retain(|l| c.regex.is_match(&l.name));
        }
    }
    true
}

fn replace(b: &mut LabelsBuilder, c: &RelabelConfig, val: &str) {
    // Fast path, as in Prometheus: an empty value with the default regex and
    // no variables sets (or with an empty replacement deletes) the label.
    if val.is_empty()
        && c.regex.as_str() == "(.*)"
        && !has_template_var(&c.target_label)
        && !has_template_var(&c.replacement)
    {
        b.set(&c.target_label, &c.replacement);
        return;
    }
    let (target, res) = if !has_template_var(&c.target_label) && !has_template_var(&c.replacement) {
        // Nothing to expand: only whether the regex matches counts.
        if !c.regex.is_match(val) {
            return;
        }
        (c.target_label.clone(), c.replacement.clone())
    } else if c.regex.as_str() == "(.*)" {
        // The default regex always matches, with groups 0 and 1 the value.
        (
            expand_whole(&c.target_label, val),
            expand_whole(&c.replacement, val),
        )
    } else {
        let Some(caps) = c.regex.regex().captures(val) else {
            return;
        };
        (
            expand_caps(&c.target_label, &caps),
            expand_caps(&c.replacement, &caps),
        )
    };
    if !is_valid_label_name(&target) {
        return;
    }
    if res.is_empty() {
        b.del(&target);
    } else {
        b.set(&target, &res);
    }
}

/// Prometheus 3 accepts any non-empty UTF-8 label name.
fn is_valid_label_name(s: &str) -> bool {
    !s.is_empty()
}

/// MD5 of `val`, last eight bytes big-endian, modulo `modulus`: the shard
/// Prometheus's `hashmod` gives.
pub fn hashmod(val: &str, modulus: u64) -> u64 {
    if modulus == 0 {
        return 0;
    }
    let sum = Md5::digest(val.as_bytes());
    let mut last = [0u8; 8];
    last.copy_from_slice(&sum[8..16]);
    u64::from_be_bytes(last) % modulus
}

#[cfg(test)]
mod tests;
