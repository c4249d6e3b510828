//! Selectors: instant-vector selectors with lookback and staleness, and the
//! raw series behind range selectors.
//!
//! Each selector selects once for the whole evaluation range (widened by the
//! lookback or the range) and slides a cursor over the samples per step.

use std::sync::Arc;

use argus_model::storage::{Samples, SelectHints};
use argus_model::{Labels, MatchOp, Matcher, is_stale_nan};
use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{MatrixSelector, VectorSelector};

use super::{Evaluator, Matrix, Point, Series, offset_ms};
use crate::error::{Error, Result};

/// One series of a range argument: already evaluated (a subquery's), or
/// selected from storage with its samples not yet read.
pub(crate) enum Pending {
    Ready(Series),
    Stored {
        labels: Labels,
        samples: Samples,
        /// The window the selector needs (inclusive, ms).
        start: i64,
        end: i64,
    },
}

/// A loaded series' labels: a stored series' are still its own, so dropping
/// the metric name needs no copy.
pub(crate) enum LoadedLabels {
    Owned(Labels),
    Shared(Arc<Labels>),
}

impl LoadedLabels {
    /// The labels, without the metric name if `drop_name`.
    pub(crate) fn into_arc(self, drop_name: bool) -> Arc<Labels> {
        match self {
            LoadedLabels::Owned(ls) if drop_name => Arc::new(ls.into_without_metric_name()),
            LoadedLabels::Owned(ls) => Arc::new(ls),
            LoadedLabels::Shared(ls) if drop_name => super::drop_name(&ls),
            LoadedLabels::Shared(ls) => ls,
        }
    }
}

impl Pending {
    /// Leaves the series' points in `buf` (its previous contents dropped):
    /// for a stored series, the samples within its window with stale markers
    /// removed, read through `buf` so that one buffer serves many series.
    pub(crate) fn load(self, buf: &mut Vec<Point>) -> Result<LoadedLabels> {
        match self {
            Pending::Ready(s) => {
                *buf = s.points;
                Ok(LoadedLabels::Shared(s.labels))
            }
            Pending::Stored { labels, samples, start, end } => {
                buf.clear();
                samples.load_into(buf)?;
                // Storage reads only the window; the bounds stay for sources that do not.
                buf.retain(|p| p.t >= start && p.t <= end && !is_stale_nan(p.v));
                Ok(LoadedLabels::Owned(labels))
            }
        }
    }

    /// The series with its own points, or `None` when it has none.
    pub(crate) fn into_series(self) -> Result<Option<Series>> {
        let mut points = Vec::new();
        let labels = self.load(&mut points)?;
        Ok((!points.is_empty()).then(|| Series { labels: labels.into_arc(false), points }))
    }
}

/// Raw series for a range function: points with their own timestamps and the
/// window geometry to slide over them.
pub(crate) struct RangeSource<'e> {
    pub series: Box<dyn Iterator<Item = Result<Pending>> + 'e>,
    pub range: i64,
    pub offset: i64,
    pub at: Option<i64>,
    /// Points already counted as held (a subquery's), released by the caller.
    pub held: usize,
}

impl RangeSource<'_> {
    /// Every series with its points (those without points left out).
    pub(crate) fn collect_matrix(self) -> Result<Matrix> {
        let mut out = Vec::new();
        for p in self.series {
            if let Some(s) = p?.into_series()? {
                out.push(s);
            }
        }
        Ok(out)
    }
}

impl Evaluator<'_, '_> {
    /// Evaluates an instant-vector selector at every step. With `sample_ts`,
    /// each point's value is the selected sample's own timestamp in seconds
    /// (what `timestamp(x)` returns), and an `@` on the selector behaves as
    /// in Prometheus 2.42's `timestamp()`: it looks up the sample at the `@`
    /// time itself, ignoring `offset`, among the samples `offset` selects
    /// (2.42 overwrites the offset with `step - @` for every step).
    pub(crate) fn eval_vector_selector(&self, vs: &VectorSelector, sample_ts: bool) -> Result<Matrix> {
        let mut offset = offset_ms(&vs.offset);
        let at = self.at_ms(&vs.at);
        let lookback = self.ctx.lookback;
        let (ref_lo, ref_hi) = match at {
            Some(a) => (a.saturating_sub(offset), a.saturating_sub(offset)),
            None => (self.start.saturating_sub(offset), self.end.saturating_sub(offset)),
        };
        let (ref_lo, ref_hi) = match (at, self.ceiling) {
            (None, Some(c)) => (ref_lo, ref_hi.min(c.saturating_sub(offset))),
            _ => (ref_lo, ref_hi),
        };
        let raw = self.select(vs, ref_lo.saturating_sub(lookback), ref_hi, 0)?;
        if sample_ts && at.is_some() {
            offset = 0;
        }
        let steps = self.steps();
        let mut out = Vec::with_capacity(raw.len());
        for s in raw {
            let mut points = Vec::new();
            let mut cur = 0usize;
            let mut k = 0usize;
            while k < steps {
                if k % 4096 == 4095 {
                    self.ctx.check_deadline()?;
                }
                let ts = self.ts(k);
                let rt = at.unwrap_or(ts).saturating_sub(offset);
                while cur + 1 < s.points.len() && s.points[cur + 1].t <= rt {
                    cur += 1;
                }
                let Some(p) = s.points.get(cur) else { break };
                if p.t > rt || p.t < rt.saturating_sub(lookback) || is_stale_nan(p.v) {
                    // Nothing visible here. With `@` nothing changes between
                    // steps; otherwise skip to the step that can see the next sample.
                    let next = if p.t > rt { Some(p.t) } else { s.points.get(cur + 1).map(|n| n.t) };
                    match (at, next) {
                        (None, Some(t)) => k = self.first_step_seeing(t, offset).max(k + 1),
                        _ => break,
                    }
                    continue;
                }
                let v = if sample_ts { p.t as f64 / 1000.0 } else { p.v };
                // Counted per point, as Prometheus does.
                self.ctx.add_samples(1)?;
                points.push(Point { t: ts, v });
                k += 1;
            }
            if !points.is_empty() {
                out.push(Series { labels: s.labels, points });
            }
        }
        Ok(out)
    }

    /// Selects the raw series behind a range selector, stale markers removed.
    /// With `quirk`, an `@` behaves as in Prometheus 2.42's `predict_linear`
    /// (see [`at_quirk`]).
    pub(crate) fn select_range_with(&self, ms: &MatrixSelector, quirk: bool) -> Result<RangeSource<'_>> {
        let mut src = self.select_range(ms)?;
        if quirk && let Some(a) = src.at {
            (src.offset, src.at) = (at_quirk(src.offset, self.start, a), None);
        }
        Ok(src)
    }

    /// Selects the raw series behind a range selector, stale markers removed.
    pub(crate) fn select_range(&self, ms: &MatrixSelector) -> Result<RangeSource<'_>> {
        let vs = &ms.vs;
        let offset = offset_ms(&vs.offset);
        let at = self.at_ms(&vs.at);
        let range = crate::eval::duration_ms(&ms.range);
        let (ref_lo, ref_hi) = match at {
            Some(a) => (a.saturating_sub(offset), a.saturating_sub(offset)),
            None => (self.start.saturating_sub(offset), self.end.saturating_sub(offset)),
        };
        let ref_hi = match (at, self.ceiling) {
            (None, Some(c)) => ref_hi.min(c.saturating_sub(offset)),
            _ => ref_hi,
        };
        let (start, end) = (ref_lo.saturating_sub(range), ref_hi);
        let matchers = model_matchers(vs)?;
        let hints = SelectHints { start, end, step: self.interval, range, ..Default::default() };
        // Samples are read where the range function uses them (see `Pending::load`).
        let set = self.ctx.querier.select_deferred(&matchers, &hints)?;
        let series = set.enumerate().map(move |(i, s)| {
            self.ctx.check_deadline_every(i)?;
            let (labels, samples) = s?;
            Ok(Pending::Stored { labels, samples, start, end })
        });
        Ok(RangeSource { series: Box::new(series), range, offset, at, held: 0 })
    }

    fn select(&self, vs: &VectorSelector, start: i64, end: i64, range: i64) -> Result<Matrix> {
        self.select_lazy(vs, start, end, range)?.collect()
    }

    /// The series of a selector with samples in `[start, end]`, decoded as the
    /// caller iterates.
    fn select_lazy(
        &self,
        vs: &VectorSelector,
        start: i64,
        end: i64,
        range: i64,
    ) -> Result<impl Iterator<Item = Result<Series>> + '_> {
        let matchers = model_matchers(vs)?;
        let hints = SelectHints { start, end, step: self.interval, range, ..Default::default() };
        let set = self.ctx.querier.select(&matchers, &hints)?;
        Ok(set.enumerate().filter_map(move |(i, s)| {
            if let Err(e) = self.ctx.check_deadline_every(i) {
                return Some(Err(e));
            }
            let s = match s {
                Ok(s) => s,
                Err(e) => return Some(Err(e.into())),
            };
            // The querier already decodes only the window; the check stays for sources that do not.
            let mut points: Vec<Point> = s.samples;
            if points.first().is_some_and(|x| x.t < start) || points.last().is_some_and(|x| x.t > end) {
                points.retain(|x| x.t >= start && x.t <= end);
            }
            (!points.is_empty()).then(|| Ok(Series { labels: Arc::new(s.labels), points }))
        }))
    }
}

/// The offset Prometheus 2.42 really applies for `@ at` under `predict_linear()`.
///
/// Prometheus implements `@` by rewriting it into an offset relative to the
/// evaluation's start (`offset + start - at`) and by evaluating the pinned
/// subtree only once. `predict_linear` is not step-invariant, so its range
/// argument is evaluated at every step with that rewritten offset: the
/// window moves with the step (ending at `at + (step - start)`) while the
/// selected data still ends at `at` (for a subquery: the data its selectors
/// read, see `Evaluator::ceiling`). Range queries over it therefore return
/// values only for the first steps; we reproduce that.
pub(crate) fn at_quirk(offset: i64, start: i64, at: i64) -> i64 {
    offset.saturating_add(start.saturating_sub(at))
}

/// The storage matchers of a selector, the metric name included.
pub(crate) fn model_matchers(vs: &VectorSelector) -> Result<Vec<Matcher>> {
    let mut out = Vec::with_capacity(vs.matchers.matchers.len() + 1);
    if let Some(name) = &vs.name {
        out.push(Matcher::equal(argus_model::METRIC_NAME, name.clone()));
    }
    for m in &vs.matchers.matchers {
        let op = match m.op {
            PMatchOp::Equal => MatchOp::Equal,
            PMatchOp::NotEqual => MatchOp::NotEqual,
            PMatchOp::Re(_) => MatchOp::Re,
            PMatchOp::NotRe(_) => MatchOp::NotRe,
        };
        out.push(
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| Error::Parse(format!("parse error: {e}")))?,
        );
    }
    Ok(out)
}

/// The labels `absent()` and `absent_over_time()` report, built like
/// Prometheus 2.42: the first equality matcher of a name sets its label; a
/// name that any other matcher also names is removed at the end. The metric
/// name never appears.
pub(crate) fn absent_labels(vs: &VectorSelector) -> Labels {
    let mut b = argus_model::LabelsBuilder::new();
    let mut removed: Vec<&str> = Vec::new();
    for m in &vs.matchers.matchers {
        if m.name == argus_model::METRIC_NAME {
            continue;
        }
        if matches!(m.op, PMatchOp::Equal) && b.get(&m.name).is_none() {
            b.set(m.name.clone(), m.value.clone());
        } else {
            removed.push(&m.name);
        }
    }
    for n in removed {
        b.del(n);
    }
    b.build()
}
