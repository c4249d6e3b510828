//! The text format 0.0.4 writer behind `/metrics`, `/federate` and the
//! Pushgateway's `/metrics`, byte-compatible with Prometheus' `expfmt`
//! (`MetricFamilyToText`): `# HELP` then `# TYPE` then one line per sample,
//! labels in the order given without spaces, values as `writeFloat` prints them.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::fmt::Write as _;

use super::entry::MetricType;
use super::gofmt::push_go_float;
use crate::{Labels, METRIC_NAME};

/// The `# TYPE` word of the text format; types it cannot express (the
/// OpenMetrics-only ones) are written as `untyped`, as Prometheus' federation does.
pub fn text_type_name(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Histogram => "histogram",
        MetricType::Summary => "summary",
        _ => "untyped",
    }
}

/// Appends `# HELP <metric> <help>\n`, escaping `\` and line feeds in the text.
pub fn write_help(out: &mut String, metric: &str, help: &str) {
    out.push_str("# HELP ");
    out.push_str(metric);
    out.push(' ');
    escape_into(out, help, false);
    out.push('\n');
}

/// Appends `# TYPE <metric> <type>\n`.
pub fn write_type(out: &mut String, metric: &str, kind: MetricType) {
    out.push_str("# TYPE ");
    out.push_str(metric);
    out.push(' ');
    out.push_str(text_type_name(kind));
    out.push('\n');
}

/// Appends one sample line: `name{a="x",b="y"} value [timestamp]\n`.
///
/// The metric name comes from `__name__` (a set without one is written as
/// `{...}`, which only OpenMetrics-unaware readers accept); the other labels
/// follow in the set's (sorted) order with values escaped (`\\`, `\"`, `\n`).
pub fn write_sample(out: &mut String, labels: &Labels, value: f64, timestamp_ms: Option<i64>) {
    if let Some(name) = labels.metric_name() {
        out.push_str(name);
    }
    let mut first = true;
    for l in labels.iter().filter(|l| l.name != METRIC_NAME) {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(&l.name);
        out.push_str("=\"");
        escape_into(out, &l.value, true);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    push_expfmt_float(out, value);
    if let Some(ts) = timestamp_ms {
        let _ = write!(out, " {ts}");
    }
    out.push('\n');
}

/// One metric family to encode: its name, optional help, type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// The family name, used on the `# HELP` and `# TYPE` lines.
    pub name: String,
    /// The help text; `None` writes no `# HELP` line.
    pub help: Option<String>,
    /// The family's type.
    pub kind: MetricType,
    /// The samples: full label sets (with `__name__`), values, timestamps.
    pub samples: Vec<(Labels, f64, Option<i64>)>,
}

/// Encodes families in the text format 0.0.4, in the order given.
pub fn encode_text(families: &[MetricFamily]) -> String {
    let mut out = String::new();
    for f in families {
        if let Some(help) = &f.help {
            write_help(&mut out, &f.name, help);
        }
        write_type(&mut out, &f.name, f.kind);
        for (labels, v, ts) in &f.samples {
            write_sample(&mut out, labels, *v, *ts);
        }
    }
    out
}

/// expfmt's `writeFloat`: Go's `%g` shortest form, except that both zeros
/// print as `0`.
fn push_expfmt_float(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
    } else {
        push_go_float(out, v);
    }
}

/// Escapes `\` and line feeds, and `"` too when `quotes` (label values).
pub(crate) fn escape_into(out: &mut String, s: &str, quotes: bool) {
    if !s.contains(['\\', '\n', '"']) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}
