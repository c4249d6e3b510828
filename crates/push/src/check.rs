//! The consistency check: the gather-time validation a scrape of the
//! Pushgateway's `/metrics` performs, run over the state a push would produce.
//!
//! Go's wording is kept for each reason, but where Go prints the offending
//! metric as protobuf text (with randomised spacing) we print its label set.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::{HashMap, HashSet};

use crate::error::go_quote;
use crate::family::{Family, FamilyType, Metric, Value};
use crate::store::Predefined;

/// Checks families (all groups, in a fixed order) against each other and the
/// predefined families. Returns the first reason found.
pub(crate) fn check<'a>(predefined: &[Predefined], families: impl Iterator<Item = &'a Family>) -> Result<(), String> {
    let mut types: HashMap<&str, FamilyType> = HashMap::new();
    for p in predefined {
        types.insert(p.name.as_str(), p.kind);
    }
    let mut seen: HashSet<(&str, &[(String, String)])> = HashSet::new();
    for f in families {
        if !argus_model::is_valid_metric_name(&f.name) {
            return Err(format!("collected metric name {} is not a valid metric name", go_quote(&f.name)));
        }
        match types.get(f.name.as_str()) {
            Some(&k) if k != f.kind => {
                if predefined.iter().any(|p| p.name == f.name) {
                    return Err(format!(
                        "gathered metric family {} has type {} but should have {}",
                        f.name,
                        f.kind.as_proto_str(),
                        k.as_proto_str()
                    ));
                }
                let m = f.metrics.first().map(describe).unwrap_or_default();
                return Err(format!("collected metric {} {m} is not a {}", go_quote(&f.name), k.as_proto_str()));
            }
            Some(_) => {}
            None => {
                suffix_collisions(&f.name, f.kind, &types)?;
                types.insert(f.name.as_str(), f.kind);
            }
        }
        for m in &f.metrics {
            check_metric(f, m)?;
            if !seen.insert((f.name.as_str(), m.labels.as_slice())) {
                return Err(format!(
                    "collected metric {} {} was collected before with the same name and label values",
                    go_quote(&f.name),
                    describe(m)
                ));
            }
        }
    }
    Ok(())
}

fn check_metric(f: &Family, m: &Metric) -> Result<(), String> {
    let name = go_quote(&f.name);
    if m.value.kind() != Some(f.kind) {
        return Err(format!("collected metric {name} {} is not a {}", describe(m), f.kind.as_proto_str()));
    }
    let mut previous: Option<&str> = None;
    for (ln, _) in &m.labels {
        if previous == Some(ln.as_str()) {
            return Err(format!(
                "collected metric {name} {} has two or more labels with the same name: {ln}",
                describe(m)
            ));
        }
        if !argus_model::is_valid_label_name(ln) || ln.starts_with("__") {
            return Err(format!("collected metric {name} {} has a label with an invalid name: {ln}", describe(m)));
        }
        let forbidden = match m.value {
            Value::Summary(_) => "quantile",
            Value::Histogram(_) => "le",
            _ => "",
        };
        if ln == forbidden {
            return Err(format!(
                "collected metric {name} {} must not have an explicit {} label",
                describe(m),
                go_quote(ln)
            ));
        }
        previous = Some(ln);
    }
    Ok(())
}

/// client_golang's `checkSuffixCollisions`, symmetric: `x_count`/`x_sum`
/// against a summary or histogram `x`, and `x_bucket` against a histogram `x`.
fn suffix_collisions(name: &str, kind: FamilyType, types: &HashMap<&str, FamilyType>) -> Result<(), String> {
    for suffix in ["_count", "_sum", "_bucket"] {
        let Some(base) = name.strip_suffix(suffix) else { continue };
        match types.get(base) {
            Some(FamilyType::Summary) if suffix != "_bucket" => {
                return Err(format!(
                    "collected metric named {} collides with previously collected summary named {}",
                    go_quote(name),
                    go_quote(base)
                ));
            }
            Some(FamilyType::Histogram) => {
                return Err(format!(
                    "collected metric named {} collides with previously collected histogram named {}",
                    go_quote(name),
                    go_quote(base)
                ));
            }
            _ => {}
        }
    }
    let mut suffixes = vec![];
    if matches!(kind, FamilyType::Summary | FamilyType::Histogram) {
        suffixes.extend(["_count", "_sum"]);
    }
    if kind == FamilyType::Histogram {
        suffixes.push("_bucket");
    }
    for s in suffixes {
        let other = format!("{name}{s}");
        if types.contains_key(other.as_str()) {
            return Err(format!(
                "collected histogram or summary named {} collides with previously collected metric named {}",
                go_quote(name),
                go_quote(&other)
            ));
        }
    }
    Ok(())
}

/// `{a="1", b=""}` for messages.
fn describe(m: &Metric) -> String {
    let pairs: Vec<String> = m.labels.iter().map(|(n, v)| format!("{n}={}", go_quote(v))).collect();
    format!("{{{}}}", pairs.join(", "))
}
