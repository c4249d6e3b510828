//! Step invariance: whether an expression gives the same result at every step
//! (every selector and subquery pinned with `@`, nothing reading the step
//! time), so that a range evaluation can compute it once and repeat it.

use promql_parser::parser::Expr;

/// Functions whose result depends on the step time itself
/// (Prometheus' `AtModifierUnsafeFunctions`, plus `time`).
const STEP_DEPENDENT: &[&str] = &[
    "time",
    "timestamp",
    "predict_linear",
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
];

pub(crate) fn is_step_invariant(e: &Expr) -> bool {
    match e {
        // Literals are cheap and not worth repeating; leave them to the normal path.
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => false,
        _ => pinned(e),
    }
}

fn pinned(e: &Expr) -> bool {
    match e {
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => true,
        Expr::VectorSelector(vs) => vs.at.is_some(),
        Expr::MatrixSelector(ms) => ms.vs.at.is_some(),
        Expr::Subquery(sq) => sq.at.is_some(),
        Expr::Paren(p) => pinned(&p.expr),
        Expr::Unary(u) => pinned(&u.expr),
        Expr::Binary(b) => pinned(&b.lhs) && pinned(&b.rhs),
        Expr::Aggregate(a) => pinned(&a.expr) && a.param.as_deref().is_none_or(pinned),
        Expr::Call(c) => !STEP_DEPENDENT.contains(&c.func.name) && c.args.args.iter().all(|a| pinned(a)),
        Expr::Extension(_) => false,
    }
}
