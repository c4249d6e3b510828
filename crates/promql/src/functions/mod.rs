//! PromQL functions of Prometheus 2.42, one file per family.
//!
//! [`Evaluator::eval_call`] dispatches by name. Functions over a range vector
//! (`rate`, `*_over_time`, ...) run through [`range`], which slides a window
//! over series selected once; functions over instant vectors run through the
//! step-wise `range_eval`.

mod date;
mod histogram;
mod labels;
mod math;
mod over_time;
mod range;
mod rate;
mod regression;
pub(crate) mod stats;
pub(crate) use vector::cmp_nan_last as vector_cmp_nan_last;
mod vector;

use promql_parser::parser::{Call, Expr};

use crate::error::{Error, Result};
use crate::eval::{Evaluator, Val};
use crate::parser::DOUBLE_EXP_SMOOTHING;

/// Whether `name` takes a range vector and is evaluated by sliding windows.
fn is_range_function(name: &str) -> bool {
    matches!(
        name,
        "rate"
            | "irate"
            | "increase"
            | "delta"
            | "idelta"
            | "deriv"
            | "predict_linear"
            | "resets"
            | "changes"
            | "avg_over_time"
            | "min_over_time"
            | "max_over_time"
            | "sum_over_time"
            | "count_over_time"
            | "last_over_time"
            | "present_over_time"
            | "quantile_over_time"
            | "stddev_over_time"
            | "stdvar_over_time"
            | "absent_over_time"
    ) || name == DOUBLE_EXP_SMOOTHING
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_call(&self, c: &Call) -> Result<Val> {
        let name = c.func.name;
        let args: Vec<&Expr> = c.args.args.iter().map(|a| a.as_ref()).collect();
        if is_range_function(name) {
            return self.eval_range_function(name, &args);
        }
        match name {
            "time" => {
                self.ctx.add_samples(self.steps())?;
                Ok(Val::Scalar((0..self.steps()).map(|k| self.ts(k) as f64 / 1000.0).collect()))
            }
            "pi" => {
                self.ctx.add_samples(self.steps())?;
                Ok(Val::Scalar(vec![std::f64::consts::PI; self.steps()]))
            }
            "timestamp" => self.eval_timestamp(&args),
            "absent" => self.eval_absent(&args),
            "vector" => self.eval_vector_fn(&args),
            "scalar" => self.eval_scalar_fn(&args),
            "sort" | "sort_desc" => self.eval_sort(name == "sort_desc", &args),
            "label_replace" => self.eval_label_replace(&args),
            "label_join" => self.eval_label_join(&args),
            "histogram_quantile" => self.eval_histogram_quantile(&args),
            // Native histograms do not exist in argus' storage, so these
            // functions, which only read native histogram samples, return nothing.
            "histogram_count" | "histogram_sum" | "histogram_fraction" => {
                for a in &args {
                    self.eval(a)?;
                }
                Ok(Val::Vector(Vec::new()))
            }
            "clamp" | "clamp_min" | "clamp_max" | "round" => self.eval_clamp_round(name, &args),
            n if date::is_date_function(n) => self.eval_date(n, &args),
            n => match math::simple(n) {
                Some(f) => self.eval_simple(f, &args),
                None => Err(Error::Parse(format!("parse error: unknown function with name \"{n}\""))),
            },
        }
    }

    /// Evaluates the single instant-vector argument of a function.
    pub(crate) fn arg_vector(&self, args: &[&Expr], i: usize) -> Result<Val> {
        let e = args.get(i).ok_or_else(|| Error::exec("missing function argument"))?;
        match self.eval(e)? {
            v @ Val::Vector(_) => Ok(v),
            _ => Err(Error::exec("expected instant vector argument")),
        }
    }

    /// Evaluates a scalar argument, or `default` when it is absent.
    pub(crate) fn arg_scalar(&self, args: &[&Expr], i: usize, default: Option<f64>) -> Result<Val> {
        match (args.get(i), default) {
            (Some(e), _) => Ok(Val::Scalar(self.eval_scalar(e)?)),
            (None, Some(d)) => Ok(Val::Scalar(vec![d; self.steps()])),
            (None, None) => Err(Error::exec("missing function argument")),
        }
    }

    pub(crate) fn arg_string(&self, args: &[&Expr], i: usize) -> Result<String> {
        let e = args.get(i).ok_or_else(|| Error::exec("missing function argument"))?;
        self.eval_string(e)
    }
}
