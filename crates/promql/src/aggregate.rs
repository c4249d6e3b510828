//! Aggregation operators (`sum`, `avg`, `topk`, `count_values`, ...) with `by`/`without`.
//!
//! Follows Prometheus 2.42's `aggregation`: groups come out in order of first
//! appearance; `sum` is a plain sum, `avg` an incremental mean with Inf guards,
//! `stddev`/`stdvar` Welford's population variance; `topk`/`bottomk` keep the
//! input labels and sort each group's output (NaN last).

use std::sync::Arc;

use argus_model::{Labels, METRIC_NAME, is_valid_label_name};
use promql_parser::parser::{AggregateExpr, LabelModifier};

use crate::error::{Error, Result};
use crate::eval::{Evaluator, IntMap, LabelCache, Sample, StepArg, Val, Vector, hash_labels};
use crate::functions::stats::quantile;
use crate::topk::TopK;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Sum,
    Avg,
    Count,
    Min,
    Max,
    Group,
    Stddev,
    Stdvar,
    Topk,
    Bottomk,
    CountValues,
    Quantile,
}

fn op_of(name: &str) -> Option<Op> {
    Some(match name {
        "sum" => Op::Sum,
        "avg" => Op::Avg,
        "count" => Op::Count,
        "min" => Op::Min,
        "max" => Op::Max,
        "group" => Op::Group,
        "stddev" => Op::Stddev,
        "stdvar" => Op::Stdvar,
        "topk" => Op::Topk,
        "bottomk" => Op::Bottomk,
        "count_values" => Op::CountValues,
        "quantile" => Op::Quantile,
        _ => return None,
    })
}

struct Group {
    labels: Arc<Labels>,
    value: f64,
    mean: f64,
    count: f64,
    /// Quantile inputs.
    members: Vec<Sample>,
    /// topk/bottomk selection.
    topk: Option<TopK>,
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn format_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_aggregate(&self, a: &AggregateExpr) -> Result<Val> {
        let name = a.op.to_string();
        let op = op_of(&name).ok_or_else(|| Error::Parse(format!("parse error: unknown aggregation {name}")))?;
        let (without, grouping): (bool, Vec<String>) = match &a.modifier {
            Some(LabelModifier::Include(l)) => (false, l.labels.clone()),
            Some(LabelModifier::Exclude(l)) => (true, l.labels.clone()),
            None => (false, Vec::new()),
        };
        let mut args = Vec::with_capacity(2);
        args.push(match self.eval(&a.expr)? {
            v @ Val::Vector(_) => v,
            _ => return Err(Error::exec("expected instant vector in aggregation")),
        });
        if let Some(p) = &a.param {
            args.push(self.eval(p)?);
        }
        let mut cache = AggCache::default();
        let m = self.range_eval(&args, |sa, _| {
            let vec = sa[0].take_vector();
            aggregate(op, &grouping, without, sa.get(1), vec, &mut cache)
        })?;
        Ok(Val::Vector(m))
    }
}

/// Grouping keys and group label sets kept across the steps of one aggregation.
#[derive(Default)]
struct AggCache {
    keys: LabelCache<u64>,
    labels: IntMap<u64, Arc<Labels>>,
}

fn group_labels(ls: &Labels, grouping: &[String], without: bool) -> Labels {
    let mut b = ls.builder();
    if without {
        b.retain(|l| l.name != METRIC_NAME && !grouping.contains(&l.name));
    } else {
        b.retain(|l| grouping.contains(&l.name));
    }
    b.build()
}

fn aggregate(
    op: Op,
    grouping: &[String],
    without: bool,
    param: Option<&StepArg<'_>>,
    vec: Vector,
    cache: &mut AggCache,
) -> Result<Vector> {
    let mut k = 0usize;
    if matches!(op, Op::Topk | Op::Bottomk) {
        let f = param.map_or(f64::NAN, |p| p.scalar());
        if !(f > -9.223_372_036_854_776e18 && f < 9.223_372_036_854_776e18) {
            return Err(Error::exec(format!("Scalar value {} overflows int64", format_f(f))));
        }
        let ki = f as i64;
        if ki < 1 {
            return Ok(Vec::new());
        }
        k = ki as usize;
    }
    let mut grouping = grouping.to_vec();
    let mut value_label = String::new();
    if op == Op::CountValues {
        value_label = param.map(|p| p.string().to_string()).unwrap_or_default();
        if !is_valid_label_name(&value_label) {
            return Err(Error::exec(format!("invalid label name \"{value_label}\"")));
        }
        if !without {
            grouping.push(value_label.clone());
        }
    }
    let mut index: IntMap<u64, usize> = IntMap::default();
    let mut groups: Vec<Group> = Vec::new();
    for mut s in vec {
        if op == Op::CountValues {
            let mut b = s.labels.builder();
            b.set(value_label.clone(), format_f(s.v));
            s.labels = Arc::new(b.build());
        }
        let key_of = |ls: &Arc<Labels>| {
            if without {
                hash_labels(ls, |n| n != METRIC_NAME && !grouping.iter().any(|g| g == n))
            } else {
                hash_labels(ls, |n| grouping.iter().any(|g| g == n))
            }
        };
        // count_values derives fresh labels each step, so only the other
        // operators can cache by input series.
        let key = if op == Op::CountValues { key_of(&s.labels) } else { cache.keys.get(&s.labels, key_of) };
        let gi = match index.get(&key) {
            Some(&i) => i,
            None => {
                let labels = cache
                    .labels
                    .entry(key)
                    .or_insert_with(|| Arc::new(group_labels(&s.labels, &grouping, without)))
                    .clone();
                let mut g = Group { labels, value: s.v, mean: s.v, count: 1.0, members: Vec::new(), topk: None };
                match op {
                    Op::Stddev | Op::Stdvar => g.value = 0.0,
                    Op::Group => g.value = 1.0,
                    Op::Topk | Op::Bottomk => g.topk = Some(TopK::new(s.clone(), k, op == Op::Topk)),
                    Op::Quantile => g.members.push(s.clone()),
                    _ => {}
                }
                index.insert(key, groups.len());
                groups.push(g);
                continue;
            }
        };
        let Some(g) = groups.get_mut(gi) else {
            continue;
        };
        match op {
            Op::Sum => g.value += s.v,
            Op::Avg => {
                g.count += 1.0;
                if g.mean.is_infinite() {
                    if s.v.is_infinite() && (g.mean > 0.0) == (s.v > 0.0) {
                        continue;
                    }
                    if !s.v.is_infinite() && !s.v.is_nan() {
                        continue;
                    }
                }
                g.mean += s.v / g.count - g.mean / g.count;
            }
            Op::Group => {}
            Op::Max => {
                if g.value < s.v || g.value.is_nan() {
                    g.value = s.v;
                }
            }
            Op::Min => {
                if g.value > s.v || g.value.is_nan() {
                    g.value = s.v;
                }
            }
            Op::Count | Op::CountValues => g.count += 1.0,
            Op::Stddev | Op::Stdvar => {
                g.count += 1.0;
                let delta = s.v - g.mean;
                g.mean += delta / g.count;
                g.value += delta * (s.v - g.mean);
            }
            Op::Topk | Op::Bottomk => {
                if let Some(t) = g.topk.as_mut() {
                    t.offer(s);
                }
            }
            Op::Quantile => g.members.push(s),
        }
    }
    let q = param.map_or(f64::NAN, |p| p.scalar());
    let mut out = Vec::with_capacity(groups.len());
    for mut g in groups {
        let v = match op {
            Op::Avg => g.mean,
            Op::Count | Op::CountValues => g.count,
            Op::Stdvar => g.value / g.count,
            Op::Stddev => (g.value / g.count).sqrt(),
            Op::Topk | Op::Bottomk => {
                if let Some(t) = g.topk.take() {
                    out.extend(t.into_sorted());
                }
                continue;
            }
            Op::Quantile => quantile(q, g.members.iter().map(|s| s.v).collect()),
            Op::Sum | Op::Min | Op::Max | Op::Group => g.value,
        };
        out.push(Sample { labels: g.labels, v });
    }
    Ok(out)
}
