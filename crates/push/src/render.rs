//! Readers: the merged text exposition (the Pushgateway's `/metrics` without
//! its own metrics), the `GET /api/v1/metrics` JSON, and group snapshots for
//! the internal target that samples pushed groups into storage.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::BTreeMap;

use argus_model::METRIC_NAME;
use argus_model::exposition::{MetricFamily, format_go_float};
use serde_json::{Map, Value as Json, json};

use crate::family::{Family, FamilyType, Metric, Value};
use crate::key::GroupingKey;
use crate::store::PushStore;

/// One group as the internal target samples it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    /// The grouping key.
    pub key: GroupingKey,
    /// Failure time ≤ success time.
    pub last_push_successful: bool,
    /// The group's families (including the two push-time gauges), flattened
    /// to samples as a scrape of the text exposition yields them: summaries as
    /// `x{quantile}`, `x_sum`, `x_count`; histograms as `x_bucket{le}` (with a
    /// `+Inf` bucket), `x_sum`, `x_count`. Empty label values are dropped, as
    /// a scrape drops them; samples carry no timestamps.
    pub families: Vec<MetricFamily>,
}

impl PushStore {
    /// The text exposition of all pushed metrics: families with the same name
    /// merged across groups and sorted by name, metrics sorted by labels, no
    /// timestamps. HELP: a predefined family's HELP if there is one, else the
    /// HELP of the first group (in grouping-key order) that has the family;
    /// the Pushgateway picks an arbitrary group's.
    pub fn render_text(&self) -> String {
        let inner = self.inner.lock();
        let mut merged: BTreeMap<&str, (Option<&str>, FamilyType, Vec<&Metric>)> = BTreeMap::new();
        for g in inner.groups.values() {
            for s in g.families.values() {
                let f = &s.family;
                let e = merged.entry(f.name.as_str()).or_insert_with(|| {
                    let help = match self.opts.predefined.iter().find(|p| p.name == f.name) {
                        Some(p) => Some(p.help.as_str()),
                        None => f.help.as_deref(),
                    };
                    (help, f.kind, Vec::new())
                });
                e.2.extend(f.metrics.iter());
            }
        }
        let mut out = String::new();
        for (name, (help, kind, mut metrics)) in merged {
            if metrics.is_empty() {
                continue;
            }
            metrics.sort_by(|a, b| a.labels.cmp(&b.labels));
            if let Some(h) = help {
                out.push_str("# HELP ");
                out.push_str(name);
                out.push(' ');
                escape(&mut out, h, false);
                out.push('\n');
            }
            argus_model::exposition::write_type(&mut out, name, kind.to_model());
            for m in metrics {
                for (suffix, extra, v) in flatten(m) {
                    write_line(&mut out, name, suffix, &m.labels, extra, v);
                }
            }
        }
        out
    }

    /// The `data` of `GET /api/v1/metrics`: one object per group (in key
    /// order) with `labels`, `last_push_successful` and one entry per family
    /// (`time_stamp`, `type`, `help` unless empty, `metrics`), numbers as Go's
    /// `fmt.Sprint` strings. The web layer wraps it in
    /// `{"status":"success","data":...}`.
    pub fn api_v1_metrics_json(&self) -> Json {
        let inner = self.inner.lock();
        let mut out = Vec::with_capacity(inner.groups.len());
        for (key, g) in &inner.groups {
            let mut obj = Map::new();
            obj.insert("labels".into(), json!(key.labels()));
            obj.insert("last_push_successful".into(), json!(g.last_push_successful()));
            for (name, s) in &g.families {
                let mut fam = Map::new();
                fam.insert("time_stamp".into(), json!(rfc3339_nano(s.time_ns)));
                fam.insert("type".into(), json!(s.family.kind.as_proto_str()));
                if let Some(h) = s.family.help.as_deref().filter(|h| !h.is_empty()) {
                    fam.insert("help".into(), json!(h));
                }
                let metrics: Vec<Json> = s.family.metrics.iter().map(|m| metric_json(s.family.kind, m)).collect();
                fam.insert("metrics".into(), Json::Array(metrics));
                obj.insert(name.clone(), Json::Object(fam));
            }
            out.push(Json::Object(obj));
        }
        Json::Array(out)
    }

    /// Snapshots of all groups, in grouping-key order.
    pub fn groups(&self) -> Vec<GroupSnapshot> {
        let inner = self.inner.lock();
        inner
            .groups
            .iter()
            .map(|(key, g)| GroupSnapshot {
                key: key.clone(),
                last_push_successful: g.last_push_successful(),
                families: g.families.values().map(|s| model_family(&s.family)).collect(),
            })
            .collect()
    }
}

fn metric_json(kind: FamilyType, m: &Metric) -> Json {
    let labels: BTreeMap<&str, &str> = m.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut obj = Map::new();
    obj.insert("labels".into(), json!(labels));
    let g = format_go_float;
    match (kind, &m.value) {
        (FamilyType::Summary, v) => {
            let (count, sum, qs) = match v {
                Value::Summary(s) => (s.count, s.sum.0, s.quantiles.as_slice()),
                _ => (0, 0.0, &[][..]),
            };
            let q: Map<String, Json> = qs.iter().map(|(q, v)| (g(q.0), json!(g(v.0)))).collect();
            obj.insert("quantiles".into(), Json::Object(q));
            obj.insert("count".into(), json!(count.to_string()));
            obj.insert("sum".into(), json!(g(sum)));
        }
        (FamilyType::Histogram, v) => {
            let (count, sum, bs) = match v {
                Value::Histogram(h) => (h.count, h.sum.0, h.buckets.as_slice()),
                _ => (0, 0.0, &[][..]),
            };
            let b: Map<String, Json> = bs.iter().map(|(ub, c)| (g(ub.0), json!(c.to_string()))).collect();
            obj.insert("buckets".into(), Json::Object(b));
            obj.insert("count".into(), json!(count.to_string()));
            obj.insert("sum".into(), json!(g(sum)));
        }
        (_, v) => {
            obj.insert("value".into(), json!(g(v.simple())));
        }
    }
    Json::Object(obj)
}

/// One exposed line of a metric: name suffix, extra label, value.
type Line = (&'static str, Option<(&'static str, f64)>, f64);

/// The lines of one metric: `(name suffix, extra label, value)`, as expfmt's
/// `MetricFamilyToText` writes them (a histogram gets a `+Inf` bucket from
/// its count if it has none).
fn flatten(m: &Metric) -> Vec<Line> {
    match &m.value {
        Value::Summary(s) => {
            let mut v: Vec<_> = s.quantiles.iter().map(|(q, x)| ("", Some(("quantile", q.0)), x.0)).collect();
            v.push(("_sum", None, s.sum.0));
            v.push(("_count", None, s.count as f64));
            v
        }
        Value::Histogram(h) => {
            let mut v: Vec<_> = h.buckets.iter().map(|(ub, c)| ("_bucket", Some(("le", ub.0)), *c as f64)).collect();
            if !h.buckets.iter().any(|(ub, _)| ub.0 == f64::INFINITY) {
                v.push(("_bucket", Some(("le", f64::INFINITY)), h.count as f64));
            }
            v.push(("_sum", None, h.sum.0));
            v.push(("_count", None, h.count as f64));
            v
        }
        Value::Missing => Vec::new(),
        v => vec![("", None, v.simple())],
    }
}

fn model_family(f: &Family) -> MetricFamily {
    let mut samples = Vec::new();
    for m in &f.metrics {
        for (suffix, extra, v) in flatten(m) {
            let mut b = argus_model::LabelsBuilder::new();
            b.set(METRIC_NAME, format!("{}{suffix}", f.name));
            for (n, lv) in &m.labels {
                b.set(n.clone(), lv.clone());
            }
            if let Some((n, x)) = extra {
                b.set(n, format_go_float(x));
            }
            samples.push((b.build(), v, None));
        }
    }
    MetricFamily { name: f.name.clone(), help: f.help.clone(), kind: f.kind.to_model(), samples }
}

fn write_line(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(String, String)],
    extra: Option<(&str, f64)>,
    v: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    let extra_s = extra.map(|(n, x)| (n, format_go_float(x)));
    let all = labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(extra_s.iter().map(|(n, v)| (*n, v.as_str())));
    let mut first = true;
    for (n, lv) in all {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(n);
        out.push_str("=\"");
        escape(out, lv, true);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    if v == 0.0 {
        out.push('0');
    } else {
        out.push_str(&format_go_float(v));
    }
    out.push('\n');
}

fn escape(out: &mut String, s: &str, quotes: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

pub(crate) use argus_model::time::rfc3339_nano;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(1_700_000_000_123_400_000), "2023-11-14T22:13:20.1234Z");
        assert_eq!(rfc3339_nano(951_782_400_000_000_001), "2000-02-29T00:00:00.000000001Z");
    }
}
