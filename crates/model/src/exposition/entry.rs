//! What the parser yields: entries borrowing from the scraped body.
//!
//! A [`Series`] keeps its label set as the raw text between the braces and
//! decodes it only when asked ([`Series::label_pairs`], [`Series::labels`]), so
//! a scrape loop that caches series by their text (as Prometheus' scrape cache
//! does) allocates nothing for samples it has seen before.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::borrow::Cow;

use crate::{Labels, METRIC_NAME};

/// Which text format a body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    PromText,
    /// OpenMetrics 1.0 text (`application/openmetrics-text`).
    OpenMetrics,
}

impl Format {
    /// The parser Prometheus 2.42 picks for a scrape response's `Content-Type`
    /// (`textparse.New`): OpenMetrics for `application/openmetrics-text`, the
    /// text format for anything else, including a missing or malformed header
    /// and protobuf, which argus does not parse.
    pub fn from_content_type(content_type: &str) -> Format {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/openmetrics-text") { Format::OpenMetrics } else { Format::PromText }
    }
}

/// The `Accept` header Prometheus 2.42 sends when scraping (without protobuf).
pub const SCRAPE_ACCEPT_HEADER: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The `Content-Type` of bodies written by [`super::encode_text`].
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's type from a `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics only).
    Info,
    /// `stateset` (OpenMetrics only).
    Stateset,
    /// `untyped` in the text format, `unknown` in OpenMetrics.
    Unknown,
}

impl MetricType {
    /// The type as Prometheus' metadata API spells it (`unknown` for untyped).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::Stateset => "stateset",
            MetricType::Unknown => "unknown",
        }
    }
}

/// One parsed line (or, for a label value spanning lines, one entry).
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    /// A sample.
    Series(Series<'a>),
    /// `# HELP <metric> <text>`, with the text unescaped.
    Help {
        /// The metric family name.
        metric: &'a str,
        /// The help text (`\\` and `\n` unescaped; in OpenMetrics also `\"`).
        help: Cow<'a, str>,
    },
    /// `# TYPE <metric> <type>`.
    Type {
        /// The metric family name.
        metric: &'a str,
        /// The declared type.
        kind: MetricType,
    },
    /// `# UNIT <metric> <unit>` (OpenMetrics only).
    Unit {
        /// The metric family name.
        metric: &'a str,
        /// The unit; empty or a `_`-separated suffix of the family name.
        unit: &'a str,
    },
    /// Any other `#` line of the text format, including the `#`, as raw bytes
    /// (the text format does not require comments to be UTF-8).
    Comment(&'a [u8]),
    /// OpenMetrics' `# EOF`; always the last entry.
    Eof,
}

/// A sample line: series, value, optional timestamp and exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    /// The series as written, from the metric name to the closing brace, e.g.
    /// `up{job="node"}`; the same text always denotes the same series, so it
    /// serves as a cache key.
    pub series: &'a str,
    /// The metric name.
    pub name: &'a str,
    /// The raw text between the braces (empty without braces).
    pub(crate) raw_labels: &'a str,
    /// The sample value; a parsed `NaN` has Prometheus' bit pattern
    /// ([`super::NORMAL_NAN_BITS`]), never the staleness marker.
    pub value: f64,
    /// The timestamp in milliseconds, if the line had one (OpenMetrics' float
    /// seconds are converted as Prometheus does, truncating to milliseconds).
    pub timestamp_ms: Option<i64>,
    /// The OpenMetrics exemplar after ` # `, if any.
    pub exemplar: Option<Exemplar<'a>>,
}

impl<'a> Series<'a> {
    /// The labels inside the braces in written order, values unescaped
    /// (`\\`, `\"`, `\n`); the metric name is not included.
    pub fn label_pairs(&self) -> LabelPairs<'a> {
        LabelPairs { rest: self.raw_labels.as_bytes(), text: self.raw_labels }
    }

    /// The full label set including `__name__`; empty values are dropped as
    /// Prometheus' label builder drops them.
    ///
    /// Fails with [`crate::Error::DuplicateLabel`] if a name repeats (or
    /// `__name__` is also given inside the braces), which Prometheus' scrape
    /// loop rejects as well.
    pub fn labels(&self) -> crate::Result<Labels> {
        Labels::try_from_pairs(std::iter::once((METRIC_NAME, Cow::Borrowed(self.name))).chain(self.label_pairs()))
    }
}

/// An OpenMetrics exemplar: `# {trace_id="abc"} 1.0 1520879607.789`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    /// The raw text between the exemplar's braces.
    pub(crate) raw_labels: &'a str,
    /// The exemplar value.
    pub value: f64,
    /// The exemplar timestamp in milliseconds, if given.
    pub timestamp_ms: Option<i64>,
}

impl<'a> Exemplar<'a> {
    /// The exemplar's labels in written order, values unescaped.
    pub fn label_pairs(&self) -> LabelPairs<'a> {
        LabelPairs { rest: self.raw_labels.as_bytes(), text: self.raw_labels }
    }

    /// The exemplar's label set.
    pub fn labels(&self) -> crate::Result<Labels> {
        Labels::try_from_pairs(self.label_pairs())
    }
}

/// Iterator over `name="value"` pairs of an already validated label text.
#[derive(Debug, Clone)]
pub struct LabelPairs<'a> {
    rest: &'a [u8],
    text: &'a str,
}

impl<'a> Iterator for LabelPairs<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        // The parser validated the text, so this only has to find the pieces;
        // separators are spaces, tabs, commas and (text format quirk) NULs.
        let skip = |b: &[u8], mut i: usize| {
            while b.get(i).is_some_and(|&c| matches!(c, b' ' | b'\t' | b',' | 0)) {
                i += 1;
            }
            i
        };
        let b = self.rest;
        let name_start = skip(b, 0);
        let mut i = name_start;
        while b.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') {
            i += 1;
        }
        let name_end = i;
        if name_end == name_start {
            self.rest = &[];
            return None;
        }
        i = skip(b, i);
        if b.get(i) != Some(&b'=') {
            self.rest = &[];
            return None;
        }
        i = skip(b, i + 1);
        if b.get(i) != Some(&b'"') {
            self.rest = &[];
            return None;
        }
        let value_start = i + 1;
        i = value_start;
        while let Some(&c) = b.get(i) {
            match c {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        let value_end = i.min(b.len());
        self.rest = b.get(i + 1..).unwrap_or_default();
        let offset = self.text.len() - b.len();
        let name = self.text.get(offset + name_start..offset + name_end).unwrap_or_default();
        let value = self.text.get(offset + value_start..offset + value_end).unwrap_or_default();
        Some((name, unescape_label_value(value)))
    }
}

/// Undoes the label value escapes `\\`, `\"` and `\n`; any other backslash
/// sequence stays as written (Go's `strings.Replacer` semantics).
pub(crate) fn unescape_label_value(s: &str) -> Cow<'_, str> {
    unescape(s, true)
}

/// Undoes the text format's help escapes `\\` and `\n`.
pub(crate) fn unescape_help(s: &str) -> Cow<'_, str> {
    unescape(s, false)
}

fn unescape(s: &str, quotes: bool) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut look = chars.clone();
        match look.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quotes => out.push('"'),
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars = look;
    }
    Cow::Owned(out)
}
