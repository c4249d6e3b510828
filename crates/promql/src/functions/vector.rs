//! Functions that reshape vectors: `absent`, `vector`, `scalar`, `sort`, `sort_desc`.

use std::cmp::Ordering;
use std::sync::Arc;

use argus_model::Labels;
use promql_parser::parser::Expr;

use crate::error::{Error, Result};
use crate::eval::selector::absent_labels;
use crate::eval::{Evaluator, Sample, Val, vector_at};

impl Evaluator<'_, '_> {
    pub(crate) fn eval_absent(&self, args: &[&Expr]) -> Result<Val> {
        let first = *args.first().ok_or_else(|| Error::exec("missing function argument"))?;
        let ls = Arc::new(match first {
            Expr::VectorSelector(vs) => absent_labels(vs),
            _ => Labels::empty(),
        });
        let a = [self.arg_vector(args, 0)?];
        let m = self.range_eval(&a, |sa, _| {
            Ok(match &sa[0] {
                crate::eval::StepArg::Vector(v) if v.is_empty() => vec![Sample { labels: ls.clone(), v: 1.0 }],
                _ => Vec::new(),
            })
        })?;
        Ok(Val::Vector(m))
    }

    pub(crate) fn eval_vector_fn(&self, args: &[&Expr]) -> Result<Val> {
        let a = [self.arg_scalar(args, 0, None)?];
        let empty = Arc::new(Labels::empty());
        let m = self.range_eval(&a, |sa, _| Ok(vec![Sample { labels: empty.clone(), v: sa[0].scalar() }]))?;
        Ok(Val::Vector(m))
    }

    pub(crate) fn eval_scalar_fn(&self, args: &[&Expr]) -> Result<Val> {
        let Val::Vector(m) = self.arg_vector(args, 0)? else {
            return Err(Error::exec("expected instant vector argument"));
        };
        // Like a rangeEval: the argument is released, one sample per step kept.
        self.ctx.release_samples(m.iter().map(|s| s.points.len()).sum());
        self.ctx.add_samples(self.steps())?;
        let mut cur = vec![0usize; m.len()];
        let out = (0..self.steps())
            .map(|k| {
                let v = vector_at(&m, &mut cur, self.ts(k));
                if v.len() == 1 { v[0].v } else { f64::NAN }
            })
            .collect();
        Ok(Val::Scalar(out))
    }

    pub(crate) fn eval_sort(&self, desc: bool, args: &[&Expr]) -> Result<Val> {
        let a = [self.arg_vector(args, 0)?];
        let m = self.range_eval(&a, |sa, _| {
            let mut v = sa[0].take_vector();
            go_sort_by_value(&mut v, desc);
            Ok(v)
        })?;
        Ok(Val::Vector(m))
    }
}

/// Sorts like Prometheus' `sort` (ascending) or `sort_desc`: Go's
/// `sort.Sort` over its value heaps. Go sorts up to 12 elements by insertion
/// sort, whose exact swaps decide how ties and NaNs end up ordered; that is
/// reproduced. Longer inputs use a stable sort with NaN last (Go's pdqsort
/// orders ties there in a way not reproduced).
fn go_sort_by_value(v: &mut [Sample], desc: bool) {
    if v.len() > 12 {
        v.sort_by(|x, y| cmp_nan_last(x.v, y.v, desc));
        return;
    }
    for i in 1..v.len() {
        let mut j = i;
        // Reverse(heap).Less(j, j-1): the heap's Less(j-1, j).
        while j > 0 && {
            let (prev, cur) = (v[j - 1].v, v[j].v);
            prev.is_nan() || if desc { prev < cur } else { prev > cur }
        } {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Orders values ascending (or descending), NaN last either way.
pub(crate) fn cmp_nan_last(a: f64, b: f64, desc: bool) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if desc { o.reverse() } else { o }
        }
    }
}
