//! Upstream's `@`-modifier cross-check: pin every selector and subquery
//! without an `@` to the eval time, then evaluate at other times.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use promql_parser::parser::{AtModifier, Expr};

/// Functions whose result depends on the evaluation time itself.
const TIME_DEPENDENT: &[&str] = &[
    "time",
    "timestamp",
    "predict_linear",
    "minute",
    "hour",
    "month",
    "year",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
];

/// The pinned copy of `e`, or `None` when upstream skips the check.
pub(crate) fn pin(e: &Expr, t: i64) -> Option<Expr> {
    if uses_time(e) {
        return None;
    }
    let at = if t >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_millis(t as u64))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_millis(t.unsigned_abs()))?
    };
    let mut e = e.clone();
    set_at(&mut e, &AtModifier::At(at as SystemTime));
    Some(e)
}

fn uses_time(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => TIME_DEPENDENT.contains(&c.func.name) || c.args.args.iter().any(|a| uses_time(a)),
        Expr::Aggregate(a) => uses_time(&a.expr) || a.param.as_deref().is_some_and(uses_time),
        Expr::Unary(u) => uses_time(&u.expr),
        Expr::Binary(b) => uses_time(&b.lhs) || uses_time(&b.rhs),
        Expr::Paren(p) => uses_time(&p.expr),
        Expr::Subquery(s) => uses_time(&s.expr),
        _ => false,
    }
}

fn set_at(e: &mut Expr, at: &AtModifier) {
    match e {
        Expr::VectorSelector(vs) if vs.at.is_none() => vs.at = Some(at.clone()),
        Expr::MatrixSelector(ms) if ms.vs.at.is_none() => ms.vs.at = Some(at.clone()),
        // Selectors inside a subquery that carries an `@` are left alone, as
        // upstream's harness does.
        Expr::Subquery(sq) if sq.at.is_none() => sq.at = Some(at.clone()),
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| set_at(a, at)),
        Expr::Aggregate(a) => {
            set_at(&mut a.expr, at);
            if let Some(p) = a.param.as_deref_mut() {
                set_at(p, at);
            }
        }
        Expr::Unary(u) => set_at(&mut u.expr, at),
        Expr::Binary(b) => {
            set_at(&mut b.lhs, at);
            set_at(&mut b.rhs, at);
        }
        Expr::Paren(p) => set_at(&mut p.expr, at),
        _ => {}
    }
}
