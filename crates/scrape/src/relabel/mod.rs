//! Relabeling as Prometheus 2.42 does it (`model/relabel`): a [`RelabelConfig`]
//! is one validated, compiled step; [`process`] runs a list of steps over a
//! label set and says whether it survives. Used for target relabeling,
//! `metric_relabel_configs`, alert relabeling and `write_relabel_configs`.
//!
//! Defaults are Prometheus': separator `;`, regex `(.*)` (always fully
//! anchored), replacement `$1`, action `replace`. Replacements expand `$1`,
//! `${1}` and `$name` with Go's rules: the longest name wins (`$1x` is group
//! `1x`, hence empty), `$$` is a dollar, and a malformed reference stays
//! literal. The `regex` crate's `Captures::expand` follows the same rules.

mod md5;
mod regex;

use std::fmt;
use std::sync::LazyLock;

use argus_model::{Labels, LabelsBuilder, is_valid_label_name};

use crate::config::raw;
pub use regex::RelabelRegex;

/// A relabeling action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Set `target_label` to the expanded `replacement` if `regex` matches.
    Replace,
    /// Drop the label set unless `regex` matches the joined source values.
    Keep,
    /// Drop the label set if `regex` matches the joined source values.
    Drop,
    /// Drop the label set unless the joined source values equal `target_label`'s value.
    KeepEqual,
    /// Drop the label set if the joined source values equal `target_label`'s value.
    DropEqual,
    /// Set `target_label` to the MD5 of the joined source values modulo `modulus`.
    HashMod,
    /// Copy labels whose name matches `regex` to the expanded `replacement` name.
    LabelMap,
    /// Remove labels whose name matches `regex`.
    LabelDrop,
    /// Remove labels whose name does not match `regex`.
    LabelKeep,
    /// Set `target_label` to the lower-cased joined source values.
    Lowercase,
    /// Set `target_label` to the upper-cased joined source values.
    Uppercase,
}

impl Action {
    /// Parses an action name case-insensitively, as Prometheus does.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s.to_lowercase().as_str() {
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

    /// The lower-case name Prometheus prints.
    pub fn as_str(self) -> &'static str {
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
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const DEFAULT_SEPARATOR: &str = ";";
const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_REPLACEMENT: &str = "$1";

/// Prometheus' `relabelTarget`: a label name that may contain `$1`/`${name}`
/// references (`\w` spelled out: it is ASCII-only in Go).
static RELABEL_TARGET: LazyLock<::regex::Regex> = LazyLock::new(|| {
    ::regex::Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$")
        .expect("static regex is valid")
});

/// One validated relabeling step.
#[derive(Debug, Clone, PartialEq)]
pub struct RelabelConfig {
    /// Labels whose values are joined with `separator`.
    pub source_labels: Vec<String>,
    /// Separator for the joined source values.
    pub separator: String,
    /// The anchored regex.
    pub regex: RelabelRegex,
    /// Modulus for `hashmod`.
    pub modulus: u64,
    /// The label written by replace, hashmod, lowercase, uppercase, or compared by keepequal/dropequal.
    pub target_label: String,
    /// Replacement template for replace and labelmap.
    pub replacement: String,
    /// The action.
    pub action: Action,
}

impl Default for RelabelConfig {
    fn default() -> Self {
        RelabelConfig {
            source_labels: Vec::new(),
            separator: DEFAULT_SEPARATOR.to_string(),
            regex: RelabelRegex::new(DEFAULT_REGEX).expect("default regex is valid"),
            modulus: 0,
            target_label: String::new(),
            replacement: DEFAULT_REPLACEMENT.to_string(),
            action: Action::Replace,
        }
    }
}

impl RelabelConfig {
    /// Validates and compiles a raw step with Prometheus' defaults and checks.
    /// The error is Prometheus' message.
    pub fn from_raw(raw: &raw::RelabelConfig) -> Result<Self, String> {
        let action = match raw.action.as_deref() {
            None => Action::Replace,
            // Go's decoder rejects an empty action as unknown before the
            // "relabel action cannot be empty" check can run.
            Some(a) => Action::parse(a).ok_or_else(|| format!("unknown relabel action {a:?}"))?,
        };
        let regex = match &raw.regex {
            Some(r) => RelabelRegex::new(&r.0)?,
            None => RelabelRegex::new(DEFAULT_REGEX)?,
        };
        let c = RelabelConfig {
            source_labels: raw.source_labels.clone().unwrap_or_default(),
            separator: raw.separator.clone().unwrap_or_else(|| DEFAULT_SEPARATOR.to_string()),
            regex,
            modulus: raw.modulus.unwrap_or(0),
            target_label: raw.target_label.clone().unwrap_or_default(),
            replacement: raw
                .replacement
                .as_ref()
                .map(|r| r.0.clone())
                .unwrap_or_else(|| DEFAULT_REPLACEMENT.to_string()),
            action,
        };
        for l in &c.source_labels {
            if !is_valid_label_name(l) {
                return Err(format!("{l:?} is not a valid label name"));
            }
        }
        use Action::*;
        let a = c.action;
        if c.modulus == 0 && a == HashMod {
            return Err("relabel configuration for hashmod requires non-zero modulus".to_string());
        }
        if matches!(a, Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual) && c.target_label.is_empty() {
            return Err(format!("relabel configuration for {a} action requires 'target_label' value"));
        }
        if matches!(a, Replace | Lowercase | Uppercase) && !RELABEL_TARGET.is_match(&c.target_label) {
            return Err(format!("{:?} is invalid 'target_label' for {a} action", c.target_label));
        }
        if matches!(a, Lowercase | Uppercase | KeepEqual | DropEqual) && c.replacement != DEFAULT_REPLACEMENT {
            return Err(format!("'replacement' can not be set for {a} action"));
        }
        if a == LabelMap && !RELABEL_TARGET.is_match(&c.replacement) {
            return Err(format!("{:?} is invalid 'replacement' for {a} action", c.replacement));
        }
        if a == HashMod && !is_valid_label_name(&c.target_label) {
            return Err(format!("{:?} is invalid 'target_label' for {a} action", c.target_label));
        }
        // Go compares the regex by pointer, so any explicit regex counts as set.
        if matches!(a, KeepEqual | DropEqual)
            && (raw.regex.is_some()
                || c.modulus != 0
                || c.separator != DEFAULT_SEPARATOR
                || c.replacement != DEFAULT_REPLACEMENT)
        {
            return Err(format!("{a} action requires only 'source_labels' and `target_label`, and no other fields"));
        }
        if matches!(a, LabelDrop | LabelKeep)
            && (raw.source_labels.is_some()
                || !c.target_label.is_empty()
                || c.modulus != 0
                || c.separator != DEFAULT_SEPARATOR
                || c.replacement != DEFAULT_REPLACEMENT)
        {
            return Err(format!("{a} action requires only 'regex', and no other fields"));
        }
        Ok(c)
    }

    /// Applies this step to `lb`; false means the label set is dropped.
    pub fn apply(&self, lb: &mut LabelsBuilder) -> bool {
        let val = self.source_labels.iter().map(|l| lb.get(l).unwrap_or("")).collect::<Vec<_>>().join(&self.separator);
        match self.action {
            Action::Drop => return !self.regex.is_match(&val),
            Action::Keep => return self.regex.is_match(&val),
            Action::DropEqual => return lb.get(&self.target_label).unwrap_or("") != val,
            Action::KeepEqual => return lb.get(&self.target_label).unwrap_or("") == val,
            Action::Replace => {
                let Some(caps) = self.regex.regex().captures(&val) else {
                    return true;
                };
                let mut target = String::new();
                caps.expand(&self.target_label, &mut target);
                if !is_valid_label_name(&target) {
                    return true;
                }
                let mut res = String::new();
                caps.expand(&self.replacement, &mut res);
                if res.is_empty() {
                    lb.del(&target);
                } else {
                    lb.set(target, res);
                }
            }
            Action::Lowercase => {
                lb.set(self.target_label.clone(), go_to_lower(&val));
            }
            Action::Uppercase => {
                lb.set(self.target_label.clone(), go_to_upper(&val));
            }
            Action::HashMod => {
                let m = md5::sum64(val.as_bytes()) % self.modulus.max(1);
                lb.set(self.target_label.clone(), m.to_string());
            }
            Action::LabelMap => {
                for l in lb.build().iter() {
                    if let Some(caps) = self.regex.regex().captures(&l.name) {
                        let mut name = String::new();
                        caps.expand(&self.replacement, &mut name);
                        lb.set(name, l.value.clone());
                    }
                }
            }
            Action::LabelDrop => {
                lb.retain(|l| !self.regex.is_match(&l.name));
            }
            Action::LabelKeep => {
                lb.retain(|l| self.regex.is_match(&l.name));
            }
        }
        true
    }
}

/// Go's `strings.ToLower`: simple (one-to-one) case mapping per character,
/// where Rust's `str::to_lowercase` uses full mappings and final-sigma context.
fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut m = c.to_lowercase();
            match (m.next(), m.next()) {
                (Some(l), None) => l,
                // U+0130 has the simple lowercase mapping U+0069.
                _ if c == '\u{130}' => 'i',
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToUpper`: simple case mapping (`ß` stays `ß`, not `SS`).
fn go_to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut m = c.to_uppercase();
            match (m.next(), m.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// Runs `cfgs` over `lb` in order; false as soon as a step drops the label set
/// (the builder is then left part-way).
pub fn process_builder(lb: &mut LabelsBuilder, cfgs: &[RelabelConfig]) -> bool {
    cfgs.iter().all(|c| c.apply(lb))
}

/// Runs `cfgs` over `labels`; `None` if the label set was dropped. An empty
/// result is returned as `Some(empty)`, as in Prometheus (callers decide).
pub fn process(labels: &Labels, cfgs: &[RelabelConfig]) -> Option<Labels> {
    let mut lb = labels.builder();
    process_builder(&mut lb, cfgs).then(|| lb.build())
}

#[cfg(test)]
mod tests;
