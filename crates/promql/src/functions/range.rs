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
use crate::eval::selector::{Pending, RangeSource, absent_labels};
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

/// Whether every series a selector matches has the same metric name.
fn pins_metric_name(vs: &promql_parser::parser::VectorSelector) -> bool {
    vs.name.is_some()
        || vs
            .matchers
            .matchers
            .iter()
            .any(|m| m.name == argus_model::METRIC_NAME && matches!(m.op, promql_parser::label::MatchOp::Equal))
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
        let subquery_points = src.held;
        let out = if name == "absent_over_time" {
            let ls = match marg {
                Expr::MatrixSelector(ms) => absent_labels(&ms.vs),
                _ => argus_model::Labels::empty(),
            };
            let (range, offset, at) = (src.range, src.offset, src.at);
            let series = src.collect_matrix()?;
            self.absent_over_time(&series, range, offset, at, ls)?
        } else {
            let f = lookup(name).ok_or_else(|| Error::exec(format!("unknown function {name}")))?;
            let counter = matches!(name, "rate" | "increase");
            let drop = name != "last_over_time";
            let extreme = match name {
                "max_over_time" => Extreme::Max,
                "min_over_time" => Extreme::Min,
                _ => Extreme::None,
            };
            let mut m = self.slide(src, &params, f, drop, counter, extreme)?;
            // Series selected from storage have distinct label sets; when they
            // all have one metric name, dropping it keeps them distinct.
            let distinct = matches!(marg, Expr::MatrixSelector(ms) if !drop || pins_metric_name(&ms.vs));
            if !distinct {
                check_matrix_unique(&mut m)?;
            }
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
    ///
    /// Series are taken from the source in batches and slid on all cores (each
    /// series is independent); the held-sample accounting is then replayed in
    /// series order, so limits fail exactly as they would one series at a time.
    fn slide(
        &self,
        src: RangeSource<'_>,
        params: &[Vec<f64>],
        f: RangeFn,
        drop: bool,
        counter: bool,
        extreme: Extreme,
    ) -> Result<crate::eval::Matrix> {
        let job = SlideJob {
            grid: self.grid(),
            range: src.range,
            offset: src.offset,
            at: src.at,
            params,
            f,
            drop,
            counter,
            extreme,
            stop: self.ctx.stopper(),
            max_points: self.ctx.max_samples,
        };
        let threads = slide_threads();
        let mut out = Vec::new();
        let mut series = src.series;
        loop {
            let mut batch = Vec::with_capacity(SLIDE_BATCH_SERIES);
            let mut failed = None;
            for s in series.by_ref() {
                match s {
                    Ok(s) => batch.push(s),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
                if batch.len() == SLIDE_BATCH_SERIES {
                    break;
                }
            }
            if batch.is_empty() && failed.is_none() {
                break;
            }
            let work = batch.len().saturating_mul(job.grid.steps());
            let slid: Vec<Result<Slid>> =
                if threads < 2 || (work < SLIDE_PARALLEL_MIN_WINDOWS && batch.len() < SLIDE_PARALLEL_MIN_SERIES) {
                    let mut scratch = Scratch::default();
                    batch.into_iter().map(|s| job.run(s, &mut scratch)).collect()
                } else {
                    let per = batch.len().div_ceil(threads);
                    let mut shares: Vec<Vec<Pending>> = Vec::with_capacity(threads);
                    let mut rest = batch;
                    while rest.len() > per {
                        let tail = rest.split_off(per);
                        shares.push(std::mem::replace(&mut rest, tail));
                    }
                    shares.push(rest);
                    let job = &job;
                    std::thread::scope(|scope| {
                        let handles: Vec<_> = shares
                            .into_iter()
                            .map(|share| {
                                scope.spawn(move || {
                                    let mut scratch = Scratch::default();
                                    share.into_iter().map(|s| job.run(s, &mut scratch)).collect::<Vec<_>>()
                                })
                            })
                            .collect();
                        handles
                            .into_iter()
                            .flat_map(|h| {
                                h.join().unwrap_or_else(|_| vec![Err(Error::exec("range function thread panicked"))])
                            })
                            .collect()
                    })
                };
            for r in slid {
                let r = r?;
                // Like Prometheus, only the current window counts as held.
                self.ctx.add_samples(r.max_window)?;
                self.ctx.release_samples(r.max_window);
                // Prometheus checks a series' outputs once it is done.
                if self.ctx.samples().saturating_add(r.points.len()) > self.ctx.max_samples {
                    return Err(Error::TooManySamples("query execution"));
                }
                if !r.points.is_empty() {
                    self.ctx.add_samples(r.points.len())?;
                    out.push(crate::eval::Series { labels: r.labels, points: r.points });
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(out)
    }

    fn absent_over_time(
        &self,
        series: &crate::eval::Matrix,
        range: i64,
        offset: i64,
        at: Option<i64>,
        ls: argus_model::Labels,
    ) -> Result<Val> {
        let ls = Arc::new(ls);
        let mut out = Collector::new();
        let mut cursors = vec![0usize; series.len()];
        for k in 0..self.steps() {
            let ts = self.ts(k);
            let end = at.unwrap_or(ts).saturating_sub(offset);
            let start = end.saturating_sub(range);
            let mut found = false;
            for (s, c) in series.iter().zip(cursors.iter_mut()) {
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

/// Series read and slid together (in parallel) per batch. A batch holds
/// only their outputs: each worker reads a series' samples into its own
/// buffer, slides over them while they are in cache, and reuses the buffer.
const SLIDE_BATCH_SERIES: usize = 2048;
/// A batch stays on the calling thread below this many windows (series x
/// steps) and this many series: reading a stored series costs 1-8 us (its
/// tail for an instant, a whole run for a range), a window 30-60 ns, a
/// thread tens of microseconds.
const SLIDE_PARALLEL_MIN_WINDOWS: usize = 20_000;
const SLIDE_PARALLEL_MIN_SERIES: usize = 256;

/// `max_over_time` / `min_over_time`, which slide with a monotonic queue.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extreme {
    None,
    Max,
    Min,
}

/// A worker's buffers, reused from series to series.
#[derive(Default)]
struct Scratch {
    points: Vec<Point>,
    drops: Vec<u32>,
    /// Indices of a monotonic queue (see [`Extreme`]).
    queue: std::collections::VecDeque<usize>,
    /// Series run so far (for [`crate::eval::Stopper::check_every`]).
    series: usize,
}

/// Cores used for one range function (the process' available parallelism, at most 8).
fn slide_threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(8))
}

/// One series' outputs and the most samples one of its windows held.
struct Slid {
    labels: Arc<argus_model::Labels>,
    points: Vec<Point>,
    max_window: usize,
}

/// Everything sliding one series needs, shareable across threads.
struct SlideJob<'p> {
    grid: crate::eval::Grid,
    range: i64,
    offset: i64,
    at: Option<i64>,
    params: &'p [Vec<f64>],
    f: RangeFn,
    drop: bool,
    counter: bool,
    extreme: Extreme,
    stop: crate::eval::Stopper,
    /// A series with more outputs than this fails the query anyway; stop early.
    max_points: usize,
}

impl SlideJob<'_> {
    fn run(&self, s: Pending, scratch: &mut Scratch) -> Result<Slid> {
        self.stop.check_every(scratch.series)?;
        scratch.series += 1;
        let labels = s.load(&mut scratch.points)?;
        let pts: &[Point] = &scratch.points;
        let drops = &mut scratch.drops;
        // With windows that only move forward (no `@`), the extreme of each
        // window is the front of a queue of the non-NaN points still in it,
        // kept strictly monotonic from the back: O(points) per series
        // instead of O(points x window). Equal values keep the earliest,
        // and an all-NaN window gives its last value, as the scan does.
        let extreme = if self.at.is_none() { self.extreme } else { Extreme::None };
        let queue = &mut scratch.queue;
        queue.clear();
        let mut queued = 0usize;
        let (grid, counter) = (self.grid, self.counter);
        let steps = grid.steps();
        if counter {
            // drops[i]: decreases between neighbours up to point i.
            drops.clear();
            let mut n = 0u32;
            let mut prev = f64::NAN;
            for p in pts {
                n += u32::from(p.v < prev);
                prev = p.v;
                drops.push(n);
            }
        }
        let (mut lo, mut hi) = (0usize, 0usize);
        let mut points = Vec::with_capacity(steps.min(pts.len() + 1));
        let mut step_params = vec![0.0; self.params.len()];
        let mut max_window = 0usize;
        let mut k = 0usize;
        while k < steps {
            if k % 4096 == 4095 {
                self.stop.check()?;
            }
            let ts = grid.ts(k);
            let end = self.at.unwrap_or(ts).saturating_sub(self.offset);
            let start = end.saturating_sub(self.range);
            while hi < pts.len() && pts[hi].t <= end {
                hi += 1;
            }
            while lo < hi && pts[lo].t < start {
                lo += 1;
            }
            if lo >= hi {
                // An empty window: with `@` it stays empty; otherwise skip
                // to the first step whose window reaches the next sample.
                match (self.at, pts.get(hi)) {
                    (None, Some(next)) => k = grid.first_step_seeing(next.t, self.offset).max(k + 1),
                    _ => break,
                }
                continue;
            }
            for (sp, p) in step_params.iter_mut().zip(self.params) {
                *sp = p.get(k).copied().unwrap_or(f64::NAN);
            }
            let no_resets = counter
                && pts.get(lo).is_some_and(|p| p.v >= 0.0 || p.v.is_nan())
                && drops.get(hi - 1) == drops.get(lo);
            let w = Window {
                points: &pts[lo..hi],
                ts,
                range_start: start,
                range_end: end,
                params: &step_params,
                no_resets,
            };
            max_window = max_window.max(hi - lo);
            let v = if extreme == Extreme::None {
                (self.f)(&w)?
            } else {
                while queued < hi {
                    let x = pts.get(queued).map_or(f64::NAN, |p| p.v);
                    if !x.is_nan() {
                        while let Some(b) = queue.back().and_then(|&b| pts.get(b)) {
                            let beaten = if extreme == Extreme::Max { b.v < x } else { b.v > x };
                            if !beaten {
                                break;
                            }
                            queue.pop_back();
                        }
                        queue.push_back(queued);
                    }
                    queued += 1;
                }
                while queue.front().is_some_and(|&f| f < lo) {
                    queue.pop_front();
                }
                let at = queue.front().copied().unwrap_or(hi - 1);
                pts.get(at).map(|p| p.v)
            };
            if let Some(v) = v {
                points.push(Point { t: ts, v });
                if points.len() > self.max_points {
                    return Err(Error::TooManySamples("query execution"));
                }
            }
            k += 1;
        }
        let labels = labels.into_arc(self.drop && !points.is_empty());
        Ok(Slid { labels, points, max_window })
    }
}
