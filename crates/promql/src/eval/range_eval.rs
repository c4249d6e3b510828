//! Step-wise evaluation of vector operations (Prometheus' `rangeEval`).
//!
//! The arguments are whole-range values; at each step the vectors present at
//! that step are cut out, the operation runs, and its output is appended to
//! the result series. A step that produces two equal label sets is an error.

use std::collections::HashMap;
use std::sync::Arc;

use argus_model::Labels;

use super::{Evaluator, IntMap, Matrix, Point, Sample, Series, Val, Vector};
use crate::error::{Error, Result};

/// One argument at one step.
pub(crate) enum StepArg<'a> {
    Vector(Vector),
    Scalar(f64),
    String(&'a str),
}

impl StepArg<'_> {
    pub(crate) fn scalar(&self) -> f64 {
        match self {
            StepArg::Scalar(v) => *v,
            _ => f64::NAN,
        }
    }

    pub(crate) fn string(&self) -> &str {
        match self {
            StepArg::String(s) => s,
            _ => "",
        }
    }

    pub(crate) fn take_vector(&mut self) -> Vector {
        match self {
            StepArg::Vector(v) => std::mem::take(v),
            _ => Vec::new(),
        }
    }
}

/// Collects step outputs into series, keyed by label set, in first-seen order.
pub(crate) struct Collector {
    index: HashMap<Arc<Labels>, usize>,
    /// Fast path by address of the label sets the series hold (alive, so unique).
    by_ptr: IntMap<usize, usize>,
    pub series: Matrix,
}

impl Collector {
    pub(crate) fn new() -> Self {
        Collector { index: HashMap::new(), by_ptr: IntMap::default(), series: Vec::new() }
    }

    /// Adds one output point; a second point for the same labels at `t` is a duplicate.
    pub(crate) fn push(&mut self, labels: Arc<Labels>, t: i64, v: f64) -> Result<()> {
        let ptr = Arc::as_ptr(&labels) as usize;
        let found = match self.by_ptr.get(&ptr) {
            Some(&i) => Some(i),
            None => self.index.get(&labels).copied(),
        };
        match found {
            Some(i) => {
                let s = &mut self.series[i];
                if s.points.last().is_some_and(|p| p.t == t) {
                    return Err(Error::exec("vector cannot contain metrics with the same labelset"));
                }
                s.points.push(Point { t, v });
            }
            None => {
                self.by_ptr.insert(ptr, self.series.len());
                self.index.insert(labels.clone(), self.series.len());
                self.series.push(Series { labels, points: vec![Point { t, v }] });
            }
        }
        Ok(())
    }
}

impl Evaluator<'_, '_> {
    /// Runs `f` at every step with the arguments' values at that step and
    /// gathers its outputs into a matrix.
    pub(crate) fn range_eval(
        &self,
        args: &[Val],
        mut f: impl FnMut(&mut [StepArg<'_>], i64) -> Result<Vector>,
    ) -> Result<Matrix> {
        let steps = self.steps();
        let mut cursors: Vec<Vec<usize>> = args
            .iter()
            .map(|a| match a {
                Val::Vector(m) => vec![0; m.len()],
                _ => Vec::new(),
            })
            .collect();
        let mut out = Collector::new();
        // Sample accounting as in Prometheus' rangeEval: while it runs, the
        // argument matrices (counted by their producers), the current step's
        // inputs and the outputs so far are held; afterwards only the outputs.
        let args_total: usize = args.iter().map(val_points).sum();
        let original = self.ctx.samples().saturating_sub(args_total);
        let mut held = self.ctx.samples();
        let mut out_total = 0usize;
        for k in 0..steps {
            self.ctx.check_deadline()?;
            self.ctx.set_samples(held);
            let ts = self.ts(k);
            let mut step_args: Vec<StepArg<'_>> = Vec::with_capacity(args.len());
            for (a, cur) in args.iter().zip(cursors.iter_mut()) {
                step_args.push(match a {
                    Val::Vector(m) => {
                        let v = vector_at(m, cur, ts);
                        self.ctx.add_samples(v.len())?;
                        StepArg::Vector(v)
                    }
                    Val::Scalar(s) => {
                        self.ctx.add_samples(1)?;
                        StepArg::Scalar(s.get(k).copied().unwrap_or(f64::NAN))
                    }
                    Val::String(s) => StepArg::String(s),
                    Val::Range(_) => StepArg::Vector(Vec::new()),
                });
            }
            let res = f(&mut step_args, ts)?;
            self.ctx.add_samples(res.len())?;
            held = held.saturating_add(res.len());
            out_total += res.len();
            for s in res {
                out.push(s.labels, ts, s.v)?;
            }
        }
        self.ctx.set_samples(original.saturating_add(out_total));
        Ok(out.series)
    }
}

/// Samples a value holds in Prometheus' accounting (a scalar is one per step).
pub(crate) fn val_points(v: &Val) -> usize {
    match v {
        Val::Vector(m) | Val::Range(m) => m.iter().map(|s| s.points.len()).sum(),
        Val::Scalar(s) => s.len(),
        Val::String(_) => 0,
    }
}

/// The samples of `m` that have a point at `ts`, advancing the per-series cursors.
pub(crate) fn vector_at(m: &Matrix, cur: &mut [usize], ts: i64) -> Vector {
    let mut v = Vec::new();
    for (s, c) in m.iter().zip(cur.iter_mut()) {
        while *c < s.points.len() && s.points[*c].t < ts {
            *c += 1;
        }
        if let Some(p) = s.points.get(*c)
            && p.t == ts
        {
            v.push(Sample { labels: s.labels.clone(), v: p.v });
        }
    }
    v
}
