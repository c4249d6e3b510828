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
        if a.param.is_none()
            && matches!(op, Op::Sum | Op::Avg | Op::Count | Op::Min | Op::Max | Op::Group)
            && let Some(Val::Vector(m)) = args.first()
        {
            return Ok(Val::Vector(self.aggregate_by_series(op, &grouping, without, m)?));
        }
        let mut cache = AggCache::default();
        let m = self.range_eval(&args, |sa, _| {
            let vec = sa[0].take_vector();
            aggregate(op, &grouping, without, sa.get(1), vec, &mut cache)
        })?;
        Ok(Val::Vector(m))
    }
}

/// One group's running state at every step of a series-wise aggregation.
struct StepGroup {
    labels: Arc<Labels>,
    value: Vec<f64>,
    mean: Vec<f64>,
    /// Members seen at each step; 0 means the group has no output there.
    count: Vec<f64>,
    /// The step where the group first has a member, and that member's
    /// position in the input: the step-wise evaluation's output order.
    first: (usize, usize),
}

impl Evaluator<'_, '_> {
    /// `sum`, `avg`, `count`, `min`, `max` and `group` without a parameter,
    /// computed series by series instead of step by step: each input series
    /// is hashed into its group once, not once per step, and no per-step
    /// vectors are built. At every step the members are folded in input
    /// order with the same arithmetic as [`aggregate`], groups come out in
    /// the same first-seen order, and samples are accounted as `range_eval`
    /// accounts them, so results and limits are identical.
    fn aggregate_by_series(
        &self,
        op: Op,
        grouping: &[String],
        without: bool,
        m: &crate::eval::Matrix,
    ) -> Result<crate::eval::Matrix> {
        let steps = self.steps();
        let mut index: IntMap<u64, usize> = IntMap::default();
        let mut groups: Vec<StepGroup> = Vec::new();
        let mut inputs = vec![0usize; steps];
        for (si, s) in m.iter().enumerate() {
            self.ctx.check_deadline_every(si)?;
            let key = if without {
                hash_labels(&s.labels, |n| n != METRIC_NAME && !grouping.iter().any(|g| g == n))
            } else {
                hash_labels(&s.labels, |n| grouping.iter().any(|g| g == n))
            };
            let gi = *index.entry(key).or_insert_with(|| {
                groups.push(StepGroup {
                    labels: Arc::new(group_labels(&s.labels, grouping, without)),
                    value: vec![0.0; steps],
                    mean: vec![0.0; steps],
                    count: vec![0.0; steps],
                    first: (usize::MAX, usize::MAX),
                });
                groups.len() - 1
            });
            let Some(g) = groups.get_mut(gi) else { continue };
            // Points sit on steps in order; the next step is tried before dividing.
            let mut next = 0usize;
            for p in &s.points {
                let k = if next < steps && self.ts(next) == p.t {
                    next
                } else {
                    let Some(k) = self.step_of(p.t) else { continue };
                    k
                };
                next = k + 1;
                let (Some(value), Some(mean), Some(count), Some(n)) =
                    (g.value.get_mut(k), g.mean.get_mut(k), g.count.get_mut(k), inputs.get_mut(k))
                else {
                    continue;
                };
                *n += 1;
                fold(op, value, mean, count, p.v);
                if k < g.first.0 {
                    g.first = (k, si);
                }
            }
        }
        // Sample accounting as in `range_eval`: at each step the outputs so
        // far, that step's inputs and that step's outputs are held.
        let args_total: usize = m.iter().map(|s| s.points.len()).sum();
        let original = self.ctx.samples().saturating_sub(args_total);
        let mut held = self.ctx.samples();
        let mut out_total = 0usize;
        for (k, n) in inputs.iter().enumerate() {
            if k % 1024 == 1023 {
                self.ctx.check_deadline()?;
            }
            self.ctx.set_samples(held);
            self.ctx.add_samples(*n)?;
            let outs = groups.iter().filter(|g| g.count.get(k).is_some_and(|c| *c > 0.0)).count();
            self.ctx.add_samples(outs)?;
            held = held.saturating_add(outs);
            out_total += outs;
        }
        self.ctx.set_samples(original.saturating_add(out_total));
        groups.retain(|g| g.first.0 != usize::MAX);
        groups.sort_by_key(|g| g.first);
        Ok(groups
            .into_iter()
            .map(|g| {
                let points = (0..steps)
                    .filter_map(|k| {
                        let c = *g.count.get(k)?;
                        if c == 0.0 {
                            return None;
                        }
                        let v = match op {
                            Op::Avg => *g.mean.get(k)?,
                            Op::Count => c,
                            _ => *g.value.get(k)?,
                        };
                        Some(crate::eval::Point { t: self.ts(k), v })
                    })
                    .collect();
                crate::eval::Series { labels: g.labels, points }
            })
            .collect())
    }

    /// The step whose timestamp is exactly `t`, if any.
    fn step_of(&self, t: i64) -> Option<usize> {
        let d = t.checked_sub(self.start)?;
        if d < 0 || d % self.interval != 0 {
            return None;
        }
        let k = usize::try_from(d / self.interval).ok()?;
        (k < self.steps() && self.ts(k) == t).then_some(k)
    }
}

/// Folds `v` into one group's state at one step, exactly as [`aggregate`]
/// does for the operators without a parameter.
#[inline]
fn fold(op: Op, value: &mut f64, mean: &mut f64, count: &mut f64, v: f64) {
    if *count == 0.0 {
        *value = if op == Op::Group { 1.0 } else { v };
        *mean = v;
        *count = 1.0;
        return;
    }
    match op {
        Op::Sum => *value += v,
        Op::Avg => {
            *count += 1.0;
            if mean.is_infinite() {
                if v.is_infinite() && (*mean > 0.0) == (v > 0.0) {
                    return;
                }
                if !v.is_infinite() && !v.is_nan() {
                    return;
                }
            }
            *mean += v / *count - *mean / *count;
        }
        Op::Max if *value < v || value.is_nan() => *value = v,
        Op::Min if *value > v || value.is_nan() => *value = v,
        Op::Count => *count += 1.0,
        _ => {}
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
        b.retain(|l| l.name != METRIC_NAME && !grouping.iter().any(|g| *g == l.name));
    } else {
        b.retain(|l| grouping.iter().any(|g| *g == l.name));
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
