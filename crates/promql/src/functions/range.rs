//! The driver for functions over range vectors.
//!
//! The range argument (a range selector or a subquery) is read once; for every
//! step the window `[ref - range, ref]` (closed, `ref = (@ or step) - offset`)
//! slides forward over each series and the function sees only that window.
//! All of them drop the metric name except `last_over_time`.

use std::sync::Arc;

use promql_parser::parser::Expr;

use super::{over_time, rate, regression};
use crate::error::{Error, Result};
use crate::eval::selector::{RangeSource, absent_labels};
use crate::eval::{Collector, Evaluator, Point, Val, check_matrix_unique};
use crate::parser::DOUBLE_EXP_SMOOTHING;

/// What a range function sees at one step for one series.
pub(crate) struct Window<'a> {
    /// The samples in the window, ascending, no stale markers.
    pub points: &'a [Point],
    /// The step's evaluation time (ms).
    pub ts: i64,
    /// Window start and end (ms, inclusive).
    pub range_start: i64,
    pub range_end: i64,
    /// The scalar parameters at this step, in argument order.
    pub params: &'a [f64],
    /// Known to hold no counter reset as `rate` sees one (a first value
    /// below zero, or a value below its predecessor); `false` means unknown.
    pub no_resets: bool,
}

type RangeFn = fn(&Window<'_>) -> Result<Option<f64>>;

fn lookup(name: &str) -> Option<RangeFn> {
    Some(match name {
        "rate" => rate::rate,
        "increase" => rate::increase,
        "delta" => rate::delta,
        "irate" => rate::irate,
        "idelta" => rate::idelta,
        "deriv" => regression::deriv,
        "predict_linear" => regression::predict_linear,
        n if n == DOUBLE_EXP_SMOOTHING => regression::holt_winters,
        "resets" => over_time::resets,
        "changes" => over_time::changes,
        "avg_over_time" => over_time::avg,
        "min_over_time" => over_time::min,
        "max_over_time" => over_time::max,
        "sum_over_time" => over_time::sum,
        "count_over_time" => over_time::count,
        "last_over_time" => over_time::last,
        "present_over_time" => over_time::present,
        "quantile_over_time" => over_time::quantile,
        "stddev_over_time" => over_time::stddev,
        "stdvar_over_time" => over_time::stdvar,
        _ => return None,
    })
}

fn unwrap_parens(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_range_function(&self, name: &str, args: &[&Expr]) -> Result<Val> {
        let matrix_index = usize::from(name == "quantile_over_time");
        let marg = unwrap_parens(args.get(matrix_index).ok_or_else(|| Error::exec("missing range argument"))?);
        let mut params = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i != matrix_index {
                params.push(self.eval_scalar(a)?);
            }
        }
        let before = self.ctx.samples();
        // predict_linear is not step-invariant, so an `@` under it acts as a
        // start-relative offset in Prometheus 2.42 (see `selector::at_quirk`).
        let quirk = name == "predict_linear";
        let src = match marg {
            Expr::MatrixSelector(ms) => self.select_range_with(ms, quirk)?,
            Expr::Subquery(sq) => self.eval_subquery_with(sq, quirk)?,
            _ => {
                return Err(Error::exec(format!("expected range vector argument in call to {name}")));
            }
        };
        let subquery_points: usize = src.series.iter().map(|s| s.points.len()).sum();
        let out = if name == "absent_over_time" {
            let ls = match marg {
                Expr::MatrixSelector(ms) => absent_labels(&ms.vs),
                _ => argus_model::Labels::empty(),
            };
            self.absent_over_time(&src, ls)?
        } else {
            let f = lookup(name).ok_or_else(|| Error::exec(format!("unknown function {name}")))?;
            let counter = matches!(name, "rate" | "increase");
            let mut m = self.slide(src, &params, f, name != "last_over_time", counter)?;
            check_matrix_unique(&mut m)?;
            Val::Vector(m)
        };
        if matches!(marg, Expr::Subquery(_)) {
            // The subquery's points were counted when evaluated; like
            // Prometheus, free them once the function is done with them.
            self.ctx.release_samples(subquery_points.min(self.ctx.samples().saturating_sub(before)));
        }
        Ok(out)
    }

    /// Runs `f` over each series' window at every step. With `counter`, the
    /// windows are told whether they hold a counter reset, found from one
    /// prefix count per series instead of a scan of every window.
    fn slide(
        &self,
        src: RangeSource,
        params: &[Vec<f64>],
        f: RangeFn,
        drop: bool,
        counter: bool,
    ) -> Result<crate::eval::Matrix> {
        let steps = self.steps();
        let mut out = Vec::new();
        let mut step_params = vec![0.0; params.len()];
        let mut drops: Vec<u32> = Vec::new();
        for s in src.series {
            if counter {
                // drops[i]: decreases between neighbours up to point i.
                drops.clear();
                let mut n = 0u32;
                let mut prev = f64::NAN;
                for p in &s.points {
                    n += u32::from(p.v < prev);
                    prev = p.v;
                    drops.push(n);
                }
            }
            self.ctx.check_deadline()?;
            let (mut lo, mut hi) = (0usize, 0usize);
            let mut points = Vec::with_capacity(steps.min(s.points.len() + 1));
            let mut k = 0usize;
            while k < steps {
                if k % 4096 == 4095 {
                    self.ctx.check_deadline()?;
                }
                let ts = self.ts(k);
                let end = src.at.unwrap_or(ts).saturating_sub(src.offset);
                let start = end.saturating_sub(src.range);
                while hi < s.points.len() && s.points[hi].t <= end {
                    hi += 1;
                }
                while lo < hi && s.points[lo].t < start {
                    lo += 1;
                }
                if lo >= hi {
                    // An empty window: with `@` it stays empty; otherwise skip
                    // to the first step whose window reaches the next sample.
                    match (src.at, s.points.get(hi)) {
                        (None, Some(next)) => k = self.first_step_seeing(next.t, src.offset).max(k + 1),
                        _ => break,
                    }
                    continue;
                }
                for (sp, p) in step_params.iter_mut().zip(params) {
                    *sp = p.get(k).copied().unwrap_or(f64::NAN);
                }
                let no_resets = counter
                    && s.points.get(lo).is_some_and(|p| p.v >= 0.0 || p.v.is_nan())
                    && drops.get(hi - 1) == drops.get(lo);
                let w = Window {
                    points: &s.points[lo..hi],
                    ts,
                    range_start: start,
                    range_end: end,
                    params: &step_params,
                    no_resets,
                };
                // Like Prometheus, only the current window counts as held.
                self.ctx.add_samples(hi - lo)?;
                self.ctx.release_samples(hi - lo);
                if let Some(v) = f(&w)? {
                    points.push(Point { t: ts, v });
                    // Prometheus checks a series' outputs once it is done;
                    // failing as soon as that check must fail bounds memory.
                    if self.ctx.samples().saturating_add(points.len()) > self.ctx.max_samples {
                        return Err(crate::error::Error::TooManySamples("query execution"));
                    }
                }
                k += 1;
            }
            if !points.is_empty() {
                self.ctx.add_samples(points.len())?;
                let labels = if drop { drop_name_owned(s.labels) } else { s.labels };
                out.push(crate::eval::Series { labels, points });
            }
        }
        Ok(out)
    }

    fn absent_over_time(&self, src: &RangeSource, ls: argus_model::Labels) -> Result<Val> {
        let ls = Arc::new(ls);
        let mut out = Collector::new();
        let mut cursors = vec![0usize; src.series.len()];
        for k in 0..self.steps() {
            let ts = self.ts(k);
            let end = src.at.unwrap_or(ts).saturating_sub(src.offset);
            let start = end.saturating_sub(src.range);
            let mut found = false;
            for (s, c) in src.series.iter().zip(cursors.iter_mut()) {
                while *c < s.points.len() && s.points[*c].t < start {
                    *c += 1;
                }
                if s.points.get(*c).is_some_and(|p| p.t <= end) {
                    found = true;
                }
            }
            if !found {
                out.push(ls.clone(), ts, 1.0)?;
            }
        }
        Ok(Val::Vector(out.series))
    }
}

/// [`crate::eval::drop_name`] for a label set the caller owns: when nothing
/// else holds it (the usual case for freshly selected series), the name is
/// removed in place instead of copying every other label.
fn drop_name_owned(ls: Arc<argus_model::Labels>) -> Arc<argus_model::Labels> {
    if ls.metric_name().is_none() {
        return ls;
    }
    match Arc::try_unwrap(ls) {
        Ok(owned) => {
            let mut v = owned.into_vec();
            v.retain(|l| l.name != argus_model::METRIC_NAME);
            Arc::new(argus_model::Labels::from_sorted(v))
        }
        Err(shared) => crate::eval::drop_name(&shared),
    }
}
