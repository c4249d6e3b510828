//! Element-wise math on instant vectors: `abs`, `ceil`, `exp`, `ln`, trig,
//! `sgn`, `deg`, `rad`, plus `round` and the `clamp` family. All drop the
//! metric name.

use promql_parser::parser::Expr;

use super::stats::{go_max, go_min};
use crate::error::Result;
use crate::eval::{Evaluator, NameDropper, Sample, Val};

/// The one-argument float function called `name`, if there is one.
pub(crate) fn simple(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "deg" => |v| v * 180.0 / std::f64::consts::PI,
        "rad" => |v| v * std::f64::consts::PI / 180.0,
        "sgn" => |v: f64| {
            if v < 0.0 {
                -1.0
            } else if v > 0.0 {
                1.0
            } else {
                v
            }
        },
        _ => return None,
    })
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_simple(&self, f: fn(f64) -> f64, args: &[&Expr]) -> Result<Val> {
        let a = [self.arg_vector(args, 0)?];
        let mut nd = NameDropper::new();
        let m = self.range_eval(&a, |sa, _| {
            Ok(sa[0].take_vector().into_iter().map(|s| Sample { labels: nd.drop_name(&s.labels), v: f(s.v) }).collect())
        })?;
        Ok(Val::Vector(m))
    }

    pub(crate) fn eval_clamp_round(&self, name: &str, args: &[&Expr]) -> Result<Val> {
        let mut a = vec![self.arg_vector(args, 0)?];
        match name {
            "clamp" => {
                a.push(self.arg_scalar(args, 1, None)?);
                a.push(self.arg_scalar(args, 2, None)?);
            }
            "round" => a.push(self.arg_scalar(args, 1, Some(1.0))?),
            _ => a.push(self.arg_scalar(args, 1, None)?),
        }
        let mut nd = NameDropper::new();
        let m = self.range_eval(&a, |sa, _| {
            let p1 = sa.get(1).map_or(f64::NAN, |x| x.scalar());
            let p2 = sa.get(2).map_or(f64::NAN, |x| x.scalar());
            if name == "clamp" && p2 < p1 {
                return Ok(Vec::new());
            }
            let f = |v: f64| match name {
                "clamp" => go_max(p1, go_min(p2, v)),
                "clamp_min" => go_max(p1, v),
                "clamp_max" => go_min(p1, v),
                _ => {
                    let inv = 1.0 / p1;
                    (v * inv + 0.5).floor() / inv
                }
            };
            Ok(sa[0].take_vector().into_iter().map(|s| Sample { labels: nd.drop_name(&s.labels), v: f(s.v) }).collect())
        })?;
        Ok(Val::Vector(m))
    }
}
