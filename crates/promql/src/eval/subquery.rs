//! Subqueries: evaluate the inner expression at the subquery's own steps.
//!
//! The inner evaluation starts at the first multiple of the subquery step
//! (absolute Unix ms) at or after `start - offset - range` and ends at
//! `end - offset`; an `@` on the subquery evaluates it as if both outer
//! start and end were that time. Inner `@` modifiers stay absolute.

use promql_parser::parser::SubqueryExpr;

use super::selector::RangeSource;
use super::{Evaluator, offset_ms};
use crate::error::{Error, Result};

impl Evaluator<'_, '_> {
    pub(crate) fn eval_subquery(&self, sq: &SubqueryExpr) -> Result<RangeSource<'static>> {
        self.eval_subquery_with(sq, false)
    }

    /// With `quirk`, an `@` on the subquery behaves as under Prometheus
    /// 2.42's `predict_linear()`: as an offset relative to the evaluation's
    /// start (see `selector::at_quirk`).
    pub(crate) fn eval_subquery_with(&self, sq: &SubqueryExpr, quirk: bool) -> Result<RangeSource<'static>> {
        let mut offset = offset_ms(&sq.offset);
        let range = crate::eval::duration_ms(&sq.range);
        let step =
            sq.step.map(|d| crate::eval::duration_ms(&d)).filter(|s| *s > 0).unwrap_or(self.ctx.default_step).max(1);
        let mut at = self.at_ms(&sq.at);
        // Data ceiling for the inner selectors, in inner step time.
        let mut ceiling = self.ceiling.map(|c| c.saturating_sub(offset));
        if quirk && let Some(a) = at {
            ceiling = Some(a.saturating_sub(offset));
            (offset, at) = (super::selector::at_quirk(offset, self.start, a), None);
        }
        let (outer_start, outer_end) = match at {
            Some(a) => (a, a),
            None => (self.start, self.end),
        };
        let lo = outer_start.saturating_sub(offset).saturating_sub(range);
        let mut inner_start = step * lo.div_euclid(step);
        if inner_start < lo {
            inner_start += step;
        }
        let mut inner = Evaluator::new(self.ctx, inner_start, outer_end.saturating_sub(offset), step);
        inner.ceiling = ceiling;
        let series = match inner.eval(&sq.expr)? {
            super::Val::Vector(m) => m,
            _ => return Err(Error::exec("subquery is only allowed on instant vector")),
        };
        let held = series.iter().map(|s| s.points.len()).sum();
        Ok(RangeSource {
            series: Box::new(series.into_iter().map(|s| Ok(super::selector::Pending::Ready(s)))),
            range,
            offset,
            at,
            held,
        })
    }
}
