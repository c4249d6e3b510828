//! The query engine: options, limits, and the instant/range query entry points.
//!
//! [`Engine`] holds only configuration; every query opens one querier over
//! the time span its selectors need (found by walking the AST), evaluates,
//! and converts the internal step-wise result to a public [`Value`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use argus_model::Labels;
use argus_model::storage::Queryable;
use promql_parser::parser::{Expr, value::ValueType};

use crate::error::{Error, Result};
use crate::eval::{Ctx, Evaluator, Matrix, Val, offset_ms, system_time_ms};
use crate::value::{Point, QueryResult, RangeSeries, Scalar, Value, VectorSample};

/// Engine configuration; [`Default`] gives Prometheus' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOpts {
    /// How far back an instant selector looks for a sample (default 5m).
    pub lookback_delta: Duration,
    /// Most samples a query may hold in memory at once (default 50,000,000).
    pub max_samples: usize,
    /// Per-query deadline (default 2m).
    pub timeout: Duration,
    /// Step of subqueries written without one, e.g. `x[5m:]` (the global
    /// evaluation interval, default 1m).
    pub default_evaluation_interval: Duration,
}

impl Default for EngineOpts {
    fn default() -> Self {
        EngineOpts {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            default_evaluation_interval: Duration::from_secs(60),
        }
    }
}

/// Per-query settings on top of the engine's options.
#[derive(Debug, Clone, Default)]
pub struct QueryOpts {
    /// A deadline shorter than the engine's (e.g. the HTTP `timeout`
    /// parameter); the shorter of the two applies.
    pub timeout: Option<Duration>,
    /// Set to `true` from another thread to cancel the query, which then
    /// fails with [`Error::Canceled`] at its next check (between steps and series).
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Evaluates PromQL queries against any [`Queryable`]. Cheap to clone and
/// safe to share between threads; queries block the calling thread.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOpts,
}

impl Engine {
    /// An engine with the given options.
    pub fn new(opts: EngineOpts) -> Self {
        Engine { opts }
    }

    /// The engine's options.
    pub fn opts(&self) -> &EngineOpts {
        &self.opts
    }

    /// Evaluates `expr` at time `t_ms` (ms since the epoch).
    ///
    /// Errors: [`Error::Parse`] for bad query text, [`Error::Execution`] and
    /// [`Error::TooManySamples`] for evaluation failures, [`Error::Timeout`]
    /// past the deadline, [`Error::Storage`] when storage fails.
    pub fn instant_query(&self, q: &dyn Queryable, expr: &str, t_ms: i64) -> Result<QueryResult> {
        self.instant_query_with(q, expr, t_ms, &QueryOpts::default())
    }

    /// [`Engine::instant_query`] with per-query settings.
    pub fn instant_query_with(
        &self,
        q: &dyn Queryable,
        expr: &str,
        t_ms: i64,
        opts: &QueryOpts,
    ) -> Result<QueryResult> {
        let e = crate::parser::parse(expr)?;
        self.exec_instant(q, &e, t_ms, opts)
    }

    /// Evaluates `expr` at `start, start+step, ... <= end` (all ms). The
    /// result is a matrix sorted by label set. `step_ms` must be positive and
    /// `end >= start` ([`Error::BadData`] otherwise); the expression must be
    /// scalar or instant-vector typed.
    pub fn range_query(
        &self,
        q: &dyn Queryable,
        expr: &str,
        start: i64,
        end: i64,
        step_ms: i64,
    ) -> Result<QueryResult> {
        self.range_query_with(q, expr, start, end, step_ms, &QueryOpts::default())
    }

    /// [`Engine::range_query`] with per-query settings.
    pub fn range_query_with(
        &self,
        q: &dyn Queryable,
        expr: &str,
        start: i64,
        end: i64,
        step_ms: i64,
        opts: &QueryOpts,
    ) -> Result<QueryResult> {
        let e = crate::parser::parse(expr)?;
        self.exec_range(q, &e, start, end, step_ms, opts)
    }

    pub(crate) fn exec_instant(&self, q: &dyn Queryable, e: &Expr, t: i64, opts: &QueryOpts) -> Result<QueryResult> {
        let (val, warnings) = self.run(q, e, t, t, 0, opts)?;
        let value = match val {
            Val::Scalar(s) => Value::Scalar(Scalar { t, v: s.first().copied().unwrap_or(f64::NAN) }),
            Val::String(s) => Value::String { t, v: s },
            Val::Vector(m) => Value::Vector(
                m.into_iter()
                    .filter_map(|s| {
                        let p = s.points.first()?;
                        Some(VectorSample { labels: unshare(s.labels), t, v: p.v })
                    })
                    .collect(),
            ),
            Val::Range(m) => Value::Matrix(to_public(m)),
        };
        Ok(QueryResult { value, warnings })
    }

    pub(crate) fn exec_range(
        &self,
        q: &dyn Queryable,
        e: &Expr,
        start: i64,
        end: i64,
        step: i64,
        opts: &QueryOpts,
    ) -> Result<QueryResult> {
        if step <= 0 {
            return Err(Error::BadData(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end < start {
            return Err(Error::BadData("end timestamp must not be before start time".into()));
        }
        let ty = e.value_type();
        if !matches!(ty, ValueType::Scalar | ValueType::Vector) {
            let name = match ty {
                ValueType::Matrix => "range vector",
                ValueType::String => "string",
                _ => "unknown",
            };
            return Err(Error::BadData(format!(
                "invalid expression type \"{name}\" for range query, must be Scalar or instant Vector"
            )));
        }
        let (val, warnings) = self.run(q, e, start, end, step, opts)?;
        let mut m = match val {
            Val::Scalar(s) => {
                let points = s.iter().enumerate().map(|(k, &v)| Point { t: start + k as i64 * step, v }).collect();
                vec![RangeSeries { labels: Labels::empty(), points }]
            }
            Val::Vector(m) | Val::Range(m) => to_public(m),
            Val::String(_) => Vec::new(),
        };
        m.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(QueryResult { value: Value::Matrix(m), warnings })
    }

    fn run(
        &self,
        q: &dyn Queryable,
        e: &Expr,
        start: i64,
        end: i64,
        step: i64,
        opts: &QueryOpts,
    ) -> Result<(Val, Vec<String>)> {
        let lookback = crate::eval::duration_ms(&self.opts.lookback_delta);
        let default_step = crate::eval::duration_ms(&self.opts.default_evaluation_interval).max(1);
        let (mint, maxt) = bounds(e, start, end, lookback, (start, end));
        let querier = q.querier(mint.min(maxt), maxt)?;
        let mut ctx = Ctx::new(querier.as_ref(), lookback, default_step, self.opts.max_samples);
        let timeout = opts.timeout.map_or(self.opts.timeout, |t| t.min(self.opts.timeout));
        ctx.deadline = Instant::now().checked_add(timeout);
        ctx.cancel = opts.cancel.clone();
        ctx.query_start = start;
        ctx.query_end = end;
        let ev = Evaluator::new(&ctx, start, end, step);
        let val = ev.eval(e)?;
        let warnings = ctx.warnings.borrow().clone();
        Ok((val, warnings))
    }
}

fn unshare(ls: Arc<Labels>) -> Labels {
    Arc::try_unwrap(ls).unwrap_or_else(|a| (*a).clone())
}

fn to_public(m: Matrix) -> Vec<RangeSeries> {
    m.into_iter()
        .map(|s| RangeSeries {
            labels: unshare(s.labels),
            points: s.points.into_iter().map(|p| Point { t: p.t, v: p.v }).collect(),
        })
        .collect()
}

/// The time span `[mint, maxt]` the selectors of `e` read when evaluated over `[start, end]`.
fn bounds(e: &Expr, start: i64, end: i64, lookback: i64, query: (i64, i64)) -> (i64, i64) {
    let at_of = |a: &Option<promql_parser::parser::AtModifier>| {
        a.as_ref().map(|a| match a {
            promql_parser::parser::AtModifier::Start => query.0,
            promql_parser::parser::AtModifier::End => query.1,
            promql_parser::parser::AtModifier::At(st) => system_time_ms(*st),
        })
    };
    let rec = |x: &Expr| bounds(x, start, end, lookback, query);
    let join = |a: (i64, i64), b: (i64, i64)| (a.0.min(b.0), a.1.max(b.1));
    let empty = (i64::MAX, i64::MIN);
    match e {
        Expr::VectorSelector(vs) => {
            let off = offset_ms(&vs.offset);
            let (s, en) = at_of(&vs.at).map_or((start, end), |a| (a, a));
            (s.saturating_sub(off).saturating_sub(lookback), en.saturating_sub(off))
        }
        Expr::MatrixSelector(ms) => {
            let off = offset_ms(&ms.vs.offset);
            let (s, en) = at_of(&ms.vs.at).map_or((start, end), |a| (a, a));
            (s.saturating_sub(off).saturating_sub(crate::eval::duration_ms(&ms.range)), en.saturating_sub(off))
        }
        Expr::Subquery(sq) => {
            let off = offset_ms(&sq.offset);
            let (s, en) = at_of(&sq.at).map_or((start, end), |a| (a, a));
            let r = crate::eval::duration_ms(&sq.range);
            bounds(&sq.expr, s.saturating_sub(off).saturating_sub(r), en.saturating_sub(off), lookback, query)
        }
        Expr::Aggregate(a) => {
            let b = rec(&a.expr);
            a.param.as_deref().map_or(b, |p| join(b, rec(p)))
        }
        Expr::Unary(u) => rec(&u.expr),
        Expr::Binary(b) => join(rec(&b.lhs), rec(&b.rhs)),
        Expr::Paren(p) => rec(&p.expr),
        Expr::Call(c) => c.args.args.iter().fold(empty, |acc, a| join(acc, rec(a))),
        _ => empty,
    }
}
