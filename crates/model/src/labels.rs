//! Label sets: sorted, unique label names with string values.
//!
//! A series is identified by its label set; the metric name is the label
//! `__name__`. Labels are kept sorted by name so that equality, hashing and
//! ordering are plain slice operations, as in Prometheus' `labels.Labels`.

use std::fmt;

pub use smol_str::SmolStr;

use crate::error::{Error, Result};

/// The label that carries the metric name.
pub const METRIC_NAME: &str = "__name__";

/// One label: a name and a value.
///
/// Names and values are [`SmolStr`]s: up to 23 bytes are stored inline and longer
/// strings are shared behind a reference count, so cloning a label set (which the
/// query path does for every series it returns) never allocates per string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The label name.
    pub name: SmolStr,
    /// The label value; an empty value means "label absent" in Prometheus.
    pub value: SmolStr,
}

impl Label {
    /// A label from anything string-like.
    pub fn new(name: impl Into<SmolStr>, value: impl Into<SmolStr>) -> Self {
        Label { name: name.into(), value: value.into() }
    }
}

/// A label set sorted by name, without duplicates and without empty values.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// The empty label set.
    pub fn empty() -> Self {
        Labels(Vec::new())
    }

    /// Builds a label set from pairs; sorts them, drops empty values, and keeps the
    /// last value of a duplicated name (use [`Labels::try_from_pairs`] to reject
    /// duplicates instead).
    pub fn from_pairs<N: Into<SmolStr>, V: Into<SmolStr>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let mut b = LabelsBuilder::new();
        for (n, v) in pairs {
            b.set(n, v);
        }
        b.build()
    }

    /// Builds a label set from pairs, rejecting duplicate names.
    pub fn try_from_pairs<N: Into<SmolStr>, V: Into<SmolStr>>(pairs: impl IntoIterator<Item = (N, V)>) -> Result<Self> {
        let mut v: Vec<Label> = pairs
            .into_iter()
            .map(|(n, v)| Label { name: n.into(), value: v.into() })
            .filter(|l| !l.value.is_empty())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = v.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(Error::DuplicateLabel(w[0].name.to_string()));
        }
        Ok(Labels(v))
    }

    /// Wraps labels that the caller guarantees are sorted by name, unique and non-empty.
    pub fn from_sorted(v: Vec<Label>) -> Self {
        debug_assert!(v.windows(2).all(|w| w[0].name < w[1].name), "labels not sorted/unique");
        Labels(v)
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.binary_search_by(|l| l.name.as_str().cmp(name)).ok().map(|i| self.0[i].value.as_str())
    }

    /// The metric name (`__name__`), if present.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set has no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The labels as a sorted slice.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Consumes the set into its sorted vector.
    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }

    /// A builder seeded with this set, for adding, changing or removing labels.
    pub fn builder(&self) -> LabelsBuilder {
        LabelsBuilder { labels: self.0.clone() }
    }

    /// The set without `__name__`.
    pub fn without_metric_name(&self) -> Labels {
        Labels(self.0.iter().filter(|l| l.name != METRIC_NAME).cloned().collect())
    }

    /// [`Labels::without_metric_name`] for a set the caller owns: no copy.
    pub fn into_without_metric_name(mut self) -> Labels {
        self.0.retain(|l| l.name != METRIC_NAME);
        self
    }

    /// A stable 64-bit hash of the set (xxh3 over names and values with separators),
    /// used for series lookup; equal sets hash equally across processes.
    pub fn stable_hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for l in &self.0 {
            h.update(l.name.as_bytes());
            h.update(&[0xff]);
            h.update(l.value.as_bytes());
            h.update(&[0xff]);
        }
        h.digest()
    }

    /// The form `name{k="v", ...}` used by the exposition formats; without a
    /// metric name it is `{k="v"}`.
    pub fn metric_string(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.metric_name() {
            s.push_str(n);
        }
        let rest: Vec<&Label> = self.0.iter().filter(|l| l.name != METRIC_NAME).collect();
        if !rest.is_empty() || s.is_empty() {
            s.push('{');
            for (i, l) in rest.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&l.name);
                s.push('=');
                go_quote_into(&mut s, &l.value);
            }
            s.push('}');
        }
        s
    }
}

/// Prints as Prometheus' `labels.Labels.String()`: `{__name__="up", job="x"}`.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("{");
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&l.name);
            s.push('=');
            go_quote_into(&mut s, &l.value);
        }
        s.push('}');
        f.write_str(&s)
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Quotes `s` the way Go's `strconv.Quote` does.
pub(crate) fn go_quote_into(out: &mut String, s: &str) {
    out.push_str(&crate::exposition::go_quote(s.as_bytes()));
}

/// Builds a [`Labels`] by setting and deleting labels; empty values delete.
#[derive(Debug, Clone, Default)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl LabelsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`; an empty value removes the label.
    pub fn set(&mut self, name: impl Into<SmolStr>, value: impl Into<SmolStr>) -> &mut Self {
        let name = name.into();
        let value = value.into();
        match self.labels.iter_mut().find(|l| l.name == name) {
            Some(l) if !value.is_empty() => l.value = value,
            Some(_) => self.labels.retain(|l| l.name != name),
            None if !value.is_empty() => self.labels.push(Label { name, value }),
            None => {}
        }
        self
    }

    /// Removes `name` if present.
    pub fn del(&mut self, name: &str) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        self
    }

    /// The current value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|l| l.name == name).map(|l| l.value.as_str())
    }

    /// Keeps only labels for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Label) -> bool) -> &mut Self {
        self.labels.retain(|l| keep(l));
        self
    }

    /// Finishes the set (sorted by name).
    pub fn build(&self) -> Labels {
        let mut v = self.labels.clone();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Labels(v)
    }
}

/// Whether `s` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub fn is_valid_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Whether `s` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn is_valid_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_empty_values_dropped() {
        let ls = Labels::from_pairs([("b", "2"), ("a", "1"), ("c", "")]);
        assert_eq!(ls.to_string(), r#"{a="1", b="2"}"#);
        assert_eq!(ls.get("c"), None);
    }

    #[test]
    fn metric_name_dropped_from_owned_and_borrowed_sets_alike() {
        for ls in [
            Labels::from_pairs([("__name__", "up"), ("A", "0"), ("job", "x")]),
            Labels::from_pairs([("job", "x")]),
            Labels::from_pairs([("__name__", "up")]),
        ] {
            let want = ls.without_metric_name();
            assert_eq!(want.metric_name(), None);
            assert_eq!(ls.clone().into_without_metric_name(), want, "{ls}");
        }
    }

    #[test]
    fn duplicates_rejected() {
        assert!(Labels::try_from_pairs([("a", "1"), ("a", "2")]).is_err());
    }

    #[test]
    fn quoting_matches_go() {
        let ls = Labels::from_pairs([("a", "x\"y\\z\n")]);
        assert_eq!(ls.to_string(), r#"{a="x\"y\\z\n"}"#);
    }

    #[test]
    fn names() {
        assert!(is_valid_label_name("_a1"));
        assert!(!is_valid_label_name("1a"));
        assert!(!is_valid_label_name("a:b"));
        assert!(is_valid_metric_name("a:b"));
        assert!(!is_valid_metric_name(""));
    }

    #[test]
    fn hash_is_stable_and_distinguishes_boundaries() {
        let a = Labels::from_pairs([("ab", "c")]);
        let b = Labels::from_pairs([("a", "bc")]);
        assert_ne!(a.stable_hash(), b.stable_hash());
        assert_eq!(a.stable_hash(), Labels::from_pairs([("ab", "c")]).stable_hash());
    }
}
