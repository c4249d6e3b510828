//! `histogram_quantile` over classic `le` buckets (Prometheus' `bucketQuantile`).

use std::collections::HashMap;
use std::sync::Arc;

use argus_model::Labels;
use promql_parser::parser::Expr;

use crate::error::Result;
use crate::eval::{Evaluator, LabelCache, Sample, Val, hash_labels};

/// Go's `strconv.ParseFloat` for the values `le` labels hold.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if matches!(body, "inf" | "infinity" | "nan") {
        let v = if body == "nan" { f64::NAN } else { f64::INFINITY };
        return Some(if lower.starts_with('-') { -v } else { v });
    }
    if body.starts_with("0x") {
        return parse_hex_float(&lower);
    }
    if body.chars().any(|c| c.is_ascii_alphabetic() && c != 'e') || body.contains('_') {
        return None;
    }
    s.parse::<f64>().ok()
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = rest.strip_prefix("0x")?;
    let (mant, exp) = match rest.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0.0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let v = v * 2f64.powi(exp);
    Some(if neg { -v } else { v })
}

/// Go's `sort.Search`: the smallest index in `[0, n)` for which `f` holds,
/// assuming (but not requiring) that `f` is monotonic.
fn go_search(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let (mut i, mut j) = (0, n);
    while i < j {
        let h = (i + j) / 2;
        if !f(h) {
            i = h + 1;
        } else {
            j = h;
        }
    }
    i
}

/// Cumulative buckets of one histogram: (upper bound, count).
type Buckets = Vec<(f64, f64)>;

/// The quantile `q` of cumulative buckets `(upper bound, count)`.
pub(crate) fn bucket_quantile(q: f64, mut b: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
    if !b.last().is_some_and(|l| l.0 == f64::INFINITY) {
        return f64::NAN;
    }
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(b.len());
    for (ub, c) in b {
        match merged.last_mut() {
            Some(last) if last.0 == ub => last.1 += c,
            _ => merged.push((ub, c)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    for x in merged.iter_mut() {
        if x.1 > max {
            max = x.1;
        } else if x.1 < max {
            x.1 = max;
        }
    }
    let n = merged.len();
    if n < 2 {
        return f64::NAN;
    }
    let total = merged[n - 1].1;
    if total == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * total;
    // Go's sort.Search, probe for probe: with NaN counts or rank the
    // predicate is not monotonic and the probing order decides the answer.
    let i = go_search(n - 1, |i| merged.get(i).is_some_and(|x| x.1 >= rank));
    if i == n - 1 {
        return merged[n - 2].0;
    }
    if i == 0 && merged[0].0 <= 0.0 {
        return merged[0].0;
    }
    let (end, mut count) = merged[i];
    let mut start = 0.0;
    if i > 0 {
        start = merged[i - 1].0;
        count -= merged[i - 1].1;
        rank -= merged[i - 1].1;
    }
    start + (end - start) * (rank / count)
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_histogram_quantile(&self, args: &[&Expr]) -> Result<Val> {
        let a = [self.arg_scalar(args, 0, None)?, self.arg_vector(args, 1)?];
        // Per input series: its upper bound and group key (all labels but
        // `le`; the metric name is part of the key but not of the output).
        let mut buckets: LabelCache<Option<(f64, u64)>> = LabelCache::new();
        let mut group_labels: HashMap<u64, Arc<Labels>> = HashMap::new();
        let m = self.range_eval(&a, |sa, _| {
            let q = sa[0].scalar();
            let mut groups: Vec<(Arc<Labels>, Buckets)> = Vec::new();
            let mut index: HashMap<u64, usize> = HashMap::new();
            for s in sa[1].take_vector() {
                let bucket = buckets.get(&s.labels, |ls| {
                    let ub = ls.get("le").and_then(go_parse_float)?;
                    Some((ub, hash_labels(ls, |n| n != "le")))
                });
                let Some((ub, key)) = bucket else {
                    continue;
                };
                let i = *index.entry(key).or_insert_with(|| {
                    let labels = group_labels
                        .entry(key)
                        .or_insert_with(|| {
                            let mut b = s.labels.builder();
                            b.del("le");
                            b.del(argus_model::METRIC_NAME);
                            Arc::new(b.build())
                        })
                        .clone();
                    groups.push((labels, Vec::new()));
                    groups.len() - 1
                });
                if let Some(g) = groups.get_mut(i) {
                    g.1.push((ub, s.v));
                }
            }
            Ok(groups.into_iter().map(|(labels, b)| Sample { labels, v: bucket_quantile(q, b) }).collect())
        })?;
        Ok(Val::Vector(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_from_notes() {
        let b = vec![(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (f64::INFINITY, 50.0)];
        assert!((bucket_quantile(0.5, b.clone()) - 0.4).abs() < 1e-12);
        assert!((bucket_quantile(0.05, b.clone()) - 0.025).abs() < 1e-12);
        assert_eq!(bucket_quantile(0.95, b), 1.0);
        assert_eq!(go_parse_float("+Inf"), Some(f64::INFINITY));
        assert_eq!(go_parse_float("0x1p-2"), Some(0.25));
        assert_eq!(go_parse_float("abc"), None);
    }
}
