//! The evaluator: walks the AST over a range of steps, like Prometheus' `evaluator`.
//!
//! Every instant-vector expression evaluates to a [`Matrix`] holding, for each
//! output series, one point per step where it has a value; scalars evaluate to
//! one value per step. An instant query is a range evaluation with one step.
//! Selectors read storage once for the whole range (plus lookback) and slide
//! over it; they never re-select per step.
//!
//! Shared per-query state lives in [`Ctx`]: the querier, limits (deadline and
//! the live-sample budget, which nested subquery evaluators share) and warnings.

mod invariant;
mod label_cache;
mod range_eval;
pub(crate) mod selector;
mod subquery;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use argus_model::Labels;
use argus_model::storage::Querier;
use promql_parser::parser::{AtModifier, Expr, Offset};

use crate::error::{Error, Result};

pub(crate) use label_cache::{IntMap, IntSet, LabelCache, NameDropper};
pub(crate) use range_eval::{Collector, StepArg, vector_at};

/// A point of an evaluated series: the storage's sample type, so selected
/// series become evaluated ones without copying their samples.
pub(crate) use argus_model::Sample as Point;

/// An evaluated series; labels are shared because most operations keep them.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub labels: Arc<Labels>,
    pub points: Vec<Point>,
}

pub(crate) type Matrix = Vec<Series>;

/// One element of an instant vector at a step.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub labels: Arc<Labels>,
    pub v: f64,
}

pub(crate) type Vector = Vec<Sample>;

/// The value of an evaluated node.
#[derive(Debug)]
pub(crate) enum Val {
    /// An instant vector over the steps.
    Vector(Matrix),
    /// One value per step.
    Scalar(Vec<f64>),
    /// A string literal.
    String(String),
    /// A range vector (only as a query's top level): raw points per series.
    Range(Matrix),
}

/// Per-query state shared by all evaluators of one query.
pub(crate) struct Ctx<'q> {
    pub querier: &'q dyn Querier,
    pub lookback: i64,
    pub default_step: i64,
    pub max_samples: usize,
    pub deadline: Option<Instant>,
    pub cancel: Option<Arc<AtomicBool>>,
    /// The query's own start and end, for `@ start()` and `@ end()`.
    pub query_start: i64,
    pub query_end: i64,
    samples: Cell<usize>,
    pub warnings: RefCell<Vec<String>>,
}

impl<'q> Ctx<'q> {
    pub(crate) fn new(querier: &'q dyn Querier, lookback: i64, default_step: i64, max_samples: usize) -> Self {
        Ctx {
            querier,
            lookback,
            default_step,
            max_samples,
            deadline: None,
            cancel: None,
            query_start: 0,
            query_end: 0,
            samples: Cell::new(0),
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// Accounts `n` more samples held in memory; fails past the limit.
    pub(crate) fn add_samples(&self, n: usize) -> Result<()> {
        let cur = self.samples.get().saturating_add(n);
        self.samples.set(cur);
        if cur > self.max_samples {
            return Err(Error::TooManySamples("query execution"));
        }
        Ok(())
    }

    /// The number of samples currently accounted as held.
    pub(crate) fn samples(&self) -> usize {
        self.samples.get()
    }

    /// Resets the held-sample count (used to drop a step's transient inputs).
    pub(crate) fn set_samples(&self, n: usize) {
        self.samples.set(n);
    }

    /// Releases `n` samples that are no longer held.
    pub(crate) fn release_samples(&self, n: usize) {
        self.samples.set(self.samples.get().saturating_sub(n));
    }

    /// Fails once the query is past its deadline or canceled.
    pub(crate) fn check_deadline(&self) -> Result<()> {
        self.stopper().check()
    }

    /// [`Ctx::check_deadline`] for the `i`-th pass of a hot loop (see [`Stopper::check_every`]).
    pub(crate) fn check_deadline_every(&self, i: usize) -> Result<()> {
        self.stopper().check_every(i)
    }

    /// The query's deadline and cancel flag, for work on other threads.
    pub(crate) fn stopper(&self) -> Stopper {
        Stopper { deadline: self.deadline, cancel: self.cancel.clone() }
    }
}

/// A query's deadline and cancel flag, shareable across threads.
#[derive(Debug, Clone)]
pub(crate) struct Stopper {
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Stopper {
    /// Fails once the query is past its deadline or canceled.
    pub(crate) fn check(&self) -> Result<()> {
        if self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Canceled("expression evaluation"));
        }
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Error::Timeout("expression evaluation")),
            _ => Ok(()),
        }
    }

    /// [`Stopper::check`] for the `i`-th pass of a loop over series: the
    /// cancel flag every time, the clock every 32nd pass (from the first), so
    /// per-series loops do not read the clock thousands of times.
    pub(crate) fn check_every(&self, i: usize) -> Result<()> {
        if i.is_multiple_of(32) {
            return self.check();
        }
        if self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Canceled("expression evaluation"));
        }
        Ok(())
    }
}

/// The steps `start, start + interval, ..., <= end` (ms; `interval` at least 1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub start: i64,
    pub end: i64,
    pub interval: i64,
}

impl Grid {
    /// Number of steps.
    pub(crate) fn steps(&self) -> usize {
        if self.end < self.start {
            return 0;
        }
        (self.end.saturating_sub(self.start) / self.interval).saturating_add(1) as usize
    }

    /// The first step whose reference time (`ts - offset`) is at or after `t`.
    pub(crate) fn first_step_seeing(&self, t: i64, offset: i64) -> usize {
        let need = i128::from(t) + i128::from(offset) - i128::from(self.start);
        if need <= 0 {
            return 0;
        }
        let iv = i128::from(self.interval);
        usize::try_from((need + iv - 1) / iv).unwrap_or(usize::MAX)
    }

    /// Timestamp of step `k`.
    pub(crate) fn ts(&self, k: usize) -> i64 {
        self.start.saturating_add((k as i64).saturating_mul(self.interval))
    }
}

/// Evaluates expressions at the steps `start, start+interval, ..., <= end`.
pub(crate) struct Evaluator<'c, 'q> {
    pub ctx: &'c Ctx<'q>,
    pub start: i64,
    pub end: i64,
    /// Step in ms; at least 1 (an instant evaluation has `start == end`).
    pub interval: i64,
    /// The latest reference time whose data selectors without `@` may read,
    /// in this evaluator's step time. Only set under a subquery that
    /// reproduces 2.42's `@` quirk (see `selector::at_quirk`): Prometheus
    /// selects data up to the `@` time there even though steps go further.
    pub ceiling: Option<i64>,
}

impl<'c, 'q> Evaluator<'c, 'q> {
    pub(crate) fn new(ctx: &'c Ctx<'q>, start: i64, end: i64, interval: i64) -> Self {
        Evaluator { ctx, start, end, interval: interval.max(1), ceiling: None }
    }

    /// The evaluation's steps, as a value other threads can use.
    pub(crate) fn grid(&self) -> Grid {
        Grid { start: self.start, end: self.end, interval: self.interval }
    }

    /// Number of steps.
    pub(crate) fn steps(&self) -> usize {
        self.grid().steps()
    }

    /// The first step whose reference time (`ts - offset`) is at or after `t`.
    pub(crate) fn first_step_seeing(&self, t: i64, offset: i64) -> usize {
        self.grid().first_step_seeing(t, offset)
    }

    /// Timestamp of step `k`.
    pub(crate) fn ts(&self, k: usize) -> i64 {
        self.grid().ts(k)
    }

    pub(crate) fn eval(&self, expr: &Expr) -> Result<Val> {
        self.ctx.check_deadline()?;
        if self.steps() > 1 && invariant::is_step_invariant(expr) {
            return self.eval_once(expr);
        }
        self.eval_node(expr)
    }

    /// Evaluates a step-invariant expression at the first step only and
    /// repeats its values at every step, as Prometheus does for `@`-pinned subtrees.
    fn eval_once(&self, expr: &Expr) -> Result<Val> {
        let mut single = Evaluator::new(self.ctx, self.start, self.start, self.interval);
        single.ceiling = self.ceiling;
        let steps = self.steps();
        Ok(match single.eval_node(expr)? {
            Val::Scalar(s) => Val::Scalar(vec![s.first().copied().unwrap_or(f64::NAN); steps]),
            Val::Vector(m) => {
                let mut out = m;
                for s in &mut out {
                    let v = s.points.first().map_or(f64::NAN, |p| p.v);
                    // Count before materialising, so a huge step count fails
                    // with the sample limit instead of exhausting memory.
                    self.ctx.add_samples(steps.saturating_sub(1))?;
                    s.points = (0..steps).map(|k| Point { t: self.ts(k), v }).collect();
                }
                Val::Vector(out)
            }
            other => other,
        })
    }

    fn eval_node(&self, expr: &Expr) -> Result<Val> {
        match expr {
            Expr::NumberLiteral(n) => {
                // Prometheus materialises a literal as one sample per step.
                self.ctx.add_samples(self.steps())?;
                Ok(Val::Scalar(vec![n.val; self.steps()]))
            }
            Expr::StringLiteral(s) => Ok(Val::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Unary(u) => self.eval_unary(&u.expr),
            Expr::VectorSelector(vs) => Ok(Val::Vector(self.eval_vector_selector(vs, false)?)),
            Expr::MatrixSelector(ms) => {
                let m: Matrix = self.select_range(ms)?.collect_matrix()?;
                self.ctx.add_samples(m.iter().map(|s| s.points.len()).sum())?;
                Ok(Val::Range(m))
            }
            Expr::Subquery(sq) => Ok(Val::Range(self.eval_subquery(sq)?.collect_matrix()?)),
            Expr::Aggregate(a) => self.eval_aggregate(a),
            Expr::Binary(b) => self.eval_binary(b),
            Expr::Call(c) => self.eval_call(c),
            Expr::Extension(_) => Err(Error::exec("unsupported expression")),
        }
    }

    fn eval_unary(&self, inner: &Expr) -> Result<Val> {
        match self.eval(inner)? {
            Val::Scalar(mut s) => {
                s.iter_mut().for_each(|v| *v = -*v);
                Ok(Val::Scalar(s))
            }
            Val::Vector(m) => {
                let mut out: Matrix = m
                    .into_iter()
                    .map(|mut s| {
                        s.points.iter_mut().for_each(|p| p.v = -p.v);
                        s.labels = drop_name(&s.labels);
                        s
                    })
                    .collect();
                check_matrix_unique(&mut out)?;
                Ok(Val::Vector(out))
            }
            _ => Err(Error::exec("unary expression only allowed on scalars and instant vectors")),
        }
    }

    /// Evaluates an expression that must be scalar-typed (function and aggregation parameters).
    pub(crate) fn eval_scalar(&self, expr: &Expr) -> Result<Vec<f64>> {
        match self.eval(expr)? {
            Val::Scalar(s) => Ok(s),
            _ => Err(Error::exec("expected scalar argument")),
        }
    }

    pub(crate) fn eval_string(&self, expr: &Expr) -> Result<String> {
        match self.eval(expr)? {
            Val::String(s) => Ok(s),
            _ => Err(Error::exec("expected string argument")),
        }
    }

    pub(crate) fn eval_vector(&self, expr: &Expr) -> Result<Matrix> {
        match self.eval(expr)? {
            Val::Vector(m) => Ok(m),
            _ => Err(Error::exec("expected instant vector argument")),
        }
    }

    /// Resolves an `@` modifier to ms.
    pub(crate) fn at_ms(&self, at: &Option<AtModifier>) -> Option<i64> {
        at.as_ref().map(|a| match a {
            AtModifier::Start => self.ctx.query_start,
            AtModifier::End => self.ctx.query_end,
            AtModifier::At(st) => system_time_ms(*st),
        })
    }
}

/// Milliseconds since the epoch of a parser time (which may be before 1970).
pub(crate) fn system_time_ms(st: std::time::SystemTime) -> i64 {
    match st.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => duration_ms(&d),
        Err(e) => -duration_ms(&e.duration()),
    }
}

/// An offset in ms, saturated to the i64 range (durations are untrusted input).
pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
    }
}

/// A duration in ms, saturated to `i64::MAX`.
pub(crate) fn duration_ms(d: &std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The label set without `__name__`, sharing the original when there is none.
pub(crate) fn drop_name(ls: &Arc<Labels>) -> Arc<Labels> {
    if ls.metric_name().is_some() { Arc::new(ls.without_metric_name()) } else { ls.clone() }
}

/// Fails when two series of a matrix share a label set (after name dropping).
pub(crate) fn check_matrix_unique(m: &mut Matrix) -> Result<()> {
    let dup = || Error::exec("vector cannot contain metrics with the same labelset");
    // Label hashes first (xxh3, no clones); only a repeated hash compares label sets.
    let mut by_hash: IntMap<u64, usize> = IntMap::default();
    by_hash.reserve(m.len());
    let mut collided = false;
    for (i, s) in m.iter().enumerate() {
        let h = hash_labels(&s.labels, |_| true);
        match by_hash.get(&h) {
            Some(&j) if m.get(j).is_some_and(|o| o.labels == s.labels) => return Err(dup()),
            Some(_) => collided = true,
            None => {
                by_hash.insert(h, i);
            }
        }
    }
    if collided {
        let mut seen = std::collections::HashSet::with_capacity(m.len());
        if !m.iter().all(|s| seen.insert(&s.labels)) {
            return Err(dup());
        }
    }
    Ok(())
}

/// Hash of the labels of `ls` that `keep` accepts; equal label subsets hash
/// equally. Used for matching signatures and grouping keys so the hot loops
/// do not build label sets.
pub(crate) fn hash_labels(ls: &Labels, keep: impl Fn(&str) -> bool) -> u64 {
    // One-shot xxh3 over the concatenation in a reused buffer: the streaming
    // hasher's per-call set-up and updates cost 3 × more for short label sets.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        for l in ls.iter().filter(|l| keep(&l.name)) {
            b.extend_from_slice(l.name.as_bytes());
            b.push(0xff);
            b.extend_from_slice(l.value.as_bytes());
            b.push(0xff);
        }
        xxhash_rust::xxh3::xxh3_64(&b)
    })
}
