//! Text format 0.0.4 bodies to families, grouping samples as the
//! Pushgateway's parser (`expfmt.TextParser`) does: summaries collect
//! `quantile`, `_sum` and `_count` lines per label set, histograms `le`,
//! `_bucket`, `_sum` and `_count`; a second HELP or TYPE for a family is an
//! error, so is a TYPE after the family's samples; families without samples
//! are dropped. Tokens are read by the model's parser, so syntax errors are
//! worded as Prometheus' scrape parser words them, not as expfmt does.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashMap;

use argus_model::exposition::{Entry, Format, MetricType, Parser};

use crate::error::go_quote;
use crate::family::{F64, Family, FamilyType, Histogram, Metric, Summary, Value, count_from_f64};

/// Which series of a family a sample line is.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Plain,
    Count,
    Sum,
    Bucket,
}

struct Building {
    family: Family,
    typed: bool,
    helped: bool,
    /// Summary/histogram metric index by label set (without quantile/le).
    by_labels: HashMap<Vec<(String, String)>, usize>,
}

/// Parses a text-format body into families (in first-seen order).
pub(crate) fn parse_text(body: &[u8]) -> Result<Vec<Family>, String> {
    let mut fams: Vec<Building> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut parser = Parser::new(body, Format::PromText);
    while let Some(entry) = parser.next() {
        // Go: "text format parsing error in line N: ..."; the reason is the model parser's.
        let entry = entry.map_err(|e| format!("text format parsing error in {e}"))?;
        let line = parser.line();
        let err = |msg: String| format!("text format parsing error in line {line}: {msg}");
        match entry {
            Entry::Help { metric, help } => {
                let (i, _) = lookup(&mut fams, &mut index, metric);
                let b = fams.get_mut(i).ok_or_else(|| err("internal family index".into()))?;
                if b.helped {
                    return Err(err(format!("second HELP line for metric name {}", go_quote(&b.family.name))));
                }
                b.helped = true;
                b.family.help = Some(help.into_owned());
            }
            Entry::Type { metric, kind } => {
                let (i, _) = lookup(&mut fams, &mut index, metric);
                let b = fams.get_mut(i).ok_or_else(|| err("internal family index".into()))?;
                if b.typed {
                    return Err(err(format!(
                        "second TYPE line for metric name {}, or TYPE reported after samples",
                        go_quote(&b.family.name)
                    )));
                }
                b.typed = true;
                b.family.kind = match kind {
                    MetricType::Counter => FamilyType::Counter,
                    MetricType::Gauge => FamilyType::Gauge,
                    MetricType::Summary => FamilyType::Summary,
                    MetricType::Histogram => FamilyType::Histogram,
                    _ => FamilyType::Untyped,
                };
            }
            Entry::Series(s) => {
                let (i, role) = lookup(&mut fams, &mut index, s.name);
                let b = fams.get_mut(i).ok_or_else(|| err("internal family index".into()))?;
                b.typed = true;
                let kind = b.family.kind;
                let mut labels: Vec<(String, String)> = Vec::new();
                let mut special: Option<f64> = None;
                for (n, v) in s.label_pairs() {
                    if n == argus_model::METRIC_NAME {
                        return Err(err(format!("label name {} is reserved", go_quote(n))));
                    }
                    if labels.iter().any(|(have, _)| have == n) {
                        return Err(err(format!("duplicate label names for metric {}", go_quote(&b.family.name))));
                    }
                    let special_name = match kind {
                        FamilyType::Summary => "quantile",
                        FamilyType::Histogram => "le",
                        _ => "",
                    };
                    if !special_name.is_empty() && n == special_name {
                        let f = crate::family::parse_go_float(&v).ok_or_else(|| {
                            err(format!("expected float as value for '{special_name}' label, got {}", go_quote(&v)))
                        })?;
                        special = Some(f);
                        continue;
                    }
                    labels.push((n.to_string(), v.into_owned()));
                }
                add_sample(b, role, labels, special, s.value, s.timestamp_ms);
            }
            Entry::Comment(_) | Entry::Unit { .. } | Entry::Eof => {}
        }
    }
    Ok(fams.into_iter().map(|b| b.family).filter(|f| !f.metrics.is_empty()).collect())
}

fn add_sample(
    b: &mut Building,
    role: Role,
    labels: Vec<(String, String)>,
    special: Option<f64>,
    value: f64,
    ts: Option<i64>,
) {
    let kind = b.family.kind;
    if !matches!(kind, FamilyType::Summary | FamilyType::Histogram) {
        let value = match kind {
            FamilyType::Counter => Value::Counter(F64(value)),
            FamilyType::Gauge => Value::Gauge(F64(value)),
            _ => Value::Untyped(F64(value)),
        };
        b.family.metrics.push(Metric { labels, value, timestamp_ms: ts });
        return;
    }
    let mut key = labels.clone();
    key.sort();
    let idx = match b.by_labels.get(&key) {
        Some(&i) => i,
        None => {
            b.family.metrics.push(Metric { labels, value: Value::empty_of(kind), timestamp_ms: None });
            let i = b.family.metrics.len() - 1;
            b.by_labels.insert(key, i);
            i
        }
    };
    let Some(m) = b.family.metrics.get_mut(idx) else { return };
    if ts.is_some() {
        m.timestamp_ms = ts;
    }
    match &mut m.value {
        Value::Summary(Summary { count, sum, quantiles }) => match (role, special) {
            (Role::Count, _) => *count = count_from_f64(value),
            (Role::Sum, _) => *sum = F64(value),
            (_, Some(q)) => quantiles.push((F64(q), F64(value))),
            _ => {}
        },
        Value::Histogram(Histogram { count, sum, buckets }) => match (role, special) {
            (Role::Count, _) => *count = count_from_f64(value),
            (Role::Sum, _) => *sum = F64(value),
            (_, Some(le)) => buckets.push((F64(le), count_from_f64(value))),
            _ => {}
        },
        _ => {}
    }
}

/// expfmt's `setOrCreateCurrentMF`: the family with this exact name, else the
/// summary a `_sum`/`_count` belongs to, else the histogram a
/// `_sum`/`_count`/`_bucket` belongs to, else a new untyped family.
fn lookup(fams: &mut Vec<Building>, index: &mut HashMap<String, usize>, name: &str) -> (usize, Role) {
    if let Some(&i) = index.get(name) {
        return (i, Role::Plain);
    }
    let kind_of =
        |base: &str, fams: &Vec<Building>| index.get(base).and_then(|&i| fams.get(i).map(|b| (i, b.family.kind)));
    for (suffix, role) in [("_count", Role::Count), ("_sum", Role::Sum)] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some((i, FamilyType::Summary)) = kind_of(base, fams)
        {
            return (i, role);
        }
    }
    for (suffix, role) in [("_count", Role::Count), ("_sum", Role::Sum), ("_bucket", Role::Bucket)] {
        if let Some(base) = name.strip_suffix(suffix)
            && let Some((i, FamilyType::Histogram)) = kind_of(base, fams)
        {
            return (i, role);
        }
    }
    fams.push(Building {
        family: Family { name: name.to_string(), help: None, kind: FamilyType::Untyped, metrics: Vec::new() },
        typed: false,
        helped: false,
        by_labels: HashMap::new(),
    });
    index.insert(name.to_string(), fams.len() - 1);
    (fams.len() - 1, Role::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<&str, &str>) {
        let got = parse_text(body.as_bytes()).map(|fams| {
            fams.iter()
                .map(|f| {
                    let ms: Vec<String> = f.metrics.iter().map(|m| format!("{:?}={:?}", m.labels, m.value)).collect();
                    format!("{}:{}:{}", f.name, f.kind.as_proto_str(), ms.join(";"))
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        match (got, expected) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "{body}"),
            (Err(g), Err(w)) => assert!(g.contains(w), "{body}: {g} does not contain {w}"),
            (g, w) => panic!("{body}: got {g:?}, want {w:?}"),
        }
    }

    #[test]
    fn groups_like_expfmt() {
        check("a 1\n", Ok("a:UNTYPED:[]=Untyped(F64(1.0))"));
        check("# TYPE a counter\na{x=\"\"} 1\n", Ok("a:COUNTER:[(\"x\", \"\")]=Counter(F64(1.0))"));
        check(
            "# TYPE s summary\ns{quantile=\"0.5\"} 2\ns_sum 3\ns_count 4\n",
            Ok("s:SUMMARY:[]=Summary(Summary { count: 4, sum: F64(3.0), quantiles: [(F64(0.5), F64(2.0))] })"),
        );
        check(
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
            Ok(
                "h:HISTOGRAM:[]=Histogram(Histogram { count: 2, sum: F64(3.0), buckets: [(F64(1.0), 1), (F64(inf), 2)] })",
            ),
        );
        // No samples: dropped.
        check("# HELP a x\n# TYPE a gauge\n", Ok(""));
        check("", Ok(""));
        check("# HELP a x\n# HELP a y\na 1\n", Err("second HELP line for metric name \"a\""));
        check("a 1\n# TYPE a gauge\n", Err("or TYPE reported after samples"));
        check("# TYPE s summary\ns{quantile=\"x\"} 1\n", Err("expected float as value for 'quantile' label"));
        check("a{x=\"1\",x=\"2\"} 1\n", Err("duplicate label names"));
        check("a{", Err("line 1"));
    }
}
