//! Writing gathered families: the text format 0.0.4 as node_exporter serves
//! it (client_golang's `expfmt.MetricFamilyToText`), and the conversion into
//! argus-model's [`MetricFamily`] for in-process sampling.
//!
//! The text writer keeps empty label values (`model=""`) and puts `quantile`
//! and `le` after the other labels, both as expfmt does; argus-model's
//! `write_sample` would drop the former and sort the latter, hence this module.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use argus_model::Labels;
use argus_model::exposition::{MetricFamily, MetricType, format_go_float, write_help, write_type};

use crate::metric::{Family, Value};

/// Renders families (already sorted) in the text format 0.0.4.
pub(crate) fn render_text(families: &[Family]) -> String {
    let mut out = String::with_capacity(families.len() * 256);
    for f in families {
        write_help(&mut out, &f.name, &f.help);
        write_type(&mut out, &f.name, f.kind);
        for m in &f.metrics {
            match &m.value {
                Value::Single(v) => write_line(&mut out, &f.name, "", &m.labels, None, &float(*v)),
                Value::Summary { count, sum, quantiles } => {
                    for (q, v) in quantiles {
                        write_line(&mut out, &f.name, "", &m.labels, Some(("quantile", *q)), &float(*v));
                    }
                    write_line(&mut out, &f.name, "_sum", &m.labels, None, &float(*sum));
                    write_line(&mut out, &f.name, "_count", &m.labels, None, &count.to_string());
                }
                Value::Histogram { count, sum, buckets } => {
                    for (le, c) in buckets {
                        write_line(&mut out, &f.name, "_bucket", &m.labels, Some(("le", *le)), &c.to_string());
                    }
                    if !buckets.iter().any(|(le, _)| *le == f64::INFINITY) {
                        let inf = Some(("le", f64::INFINITY));
                        write_line(&mut out, &f.name, "_bucket", &m.labels, inf, &count.to_string());
                    }
                    write_line(&mut out, &f.name, "_sum", &m.labels, None, &float(*sum));
                    write_line(&mut out, &f.name, "_count", &m.labels, None, &count.to_string());
                }
            }
        }
    }
    out
}

/// Converts gathered families into argus-model's families: summaries and
/// histograms are expanded into their series, empty label values dropped.
pub(crate) fn to_model(families: Vec<Family>) -> Vec<MetricFamily> {
    families
        .into_iter()
        .map(|f| {
            let mut samples = Vec::with_capacity(f.metrics.len());
            for m in &f.metrics {
                let series = |suffix: &str, extra: Option<(&str, String)>| {
                    let name = format!("{}{suffix}", f.name);
                    let pairs = m.labels.iter().map(|(n, v)| (n.as_ref(), v.clone()));
                    Labels::from_pairs(std::iter::once((argus_model::METRIC_NAME, name)).chain(pairs).chain(extra))
                };
                match &m.value {
                    Value::Single(v) => samples.push((series("", None), *v, None)),
                    Value::Summary { count, sum, quantiles } => {
                        for (q, v) in quantiles {
                            samples.push((series("", Some(("quantile", float(*q)))), *v, None));
                        }
                        samples.push((series("_sum", None), *sum, None));
                        samples.push((series("_count", None), *count as f64, None));
                    }
                    Value::Histogram { count, sum, buckets } => {
                        for (le, c) in buckets {
                            samples.push((series("_bucket", Some(("le", float(*le)))), *c as f64, None));
                        }
                        if !buckets.iter().any(|(le, _)| *le == f64::INFINITY) {
                            samples.push((series("_bucket", Some(("le", "+Inf".to_string()))), *count as f64, None));
                        }
                        samples.push((series("_sum", None), *sum, None));
                        samples.push((series("_count", None), *count as f64, None));
                    }
                }
            }
            let kind = if f.kind == MetricType::Unknown { MetricType::Unknown } else { f.kind };
            MetricFamily { name: f.name, help: Some(f.help), kind, samples }
        })
        .collect()
}

/// expfmt's `writeFloat`: Go's shortest `%g`, with both zeros as `0`.
pub(crate) fn float(v: f64) -> String {
    if v == 0.0 { "0".to_string() } else { format_go_float(v) }
}

fn write_line(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(std::borrow::Cow<'static, str>, String)],
    extra: Option<(&str, f64)>,
    value: &str,
) {
    out.push_str(name);
    out.push_str(suffix);
    let mut first = true;
    let mut open = |out: &mut String| {
        out.push(if first { '{' } else { ',' });
        first = false;
    };
    for (n, v) in labels {
        open(out);
        push_label(out, n, v);
    }
    if let Some((n, v)) = extra {
        open(out);
        push_label(out, n, &float(v));
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

fn push_label(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::{Gatherer, Metric, labels};

    #[test]
    fn summary_and_histogram_lines_follow_expfmt() {
        let mut g = Gatherer::default();
        let s = Value::Summary { count: 1234567, sum: 0.5, quantiles: vec![(0.5, 1.0), (0.9, 2.0)] };
        g.add(Metric::with_value("rpc", "h", MetricType::Summary, labels([("z", "a".into())]), s)).unwrap();
        let h = Value::Histogram { count: 3, sum: 1.5, buckets: vec![(0.1, 1)] };
        g.add(Metric::with_value("lat", "x\\y\nz", MetricType::Histogram, labels([("a", "".into())]), h)).unwrap();
        let text = render_text(&g.finish());
        let want = "# HELP lat x\\\\y\\nz\n# TYPE lat histogram\n\
                    lat_bucket{a=\"\",le=\"0.1\"} 1\nlat_bucket{a=\"\",le=\"+Inf\"} 3\nlat_sum{a=\"\"} 1.5\nlat_count{a=\"\"} 3\n\
                    # HELP rpc h\n# TYPE rpc summary\n\
                    rpc{z=\"a\",quantile=\"0.5\"} 1\nrpc{z=\"a\",quantile=\"0.9\"} 2\nrpc_sum{z=\"a\"} 0.5\nrpc_count{z=\"a\"} 1234567\n";
        assert_eq!(text, want);
    }
}
