//! Date functions (`hour`, `day_of_week`, ...), `time`-derived in UTC, and
//! `timestamp`.
//!
//! Without an argument a date function reads the step time, like
//! `hour(vector(time()))`. The calendar math follows Go's `time` package
//! (UTC only, so no time zone database), including how Go converts NaN and
//! ±Inf to an integer, so odd inputs give Prometheus' odd answers.

use std::sync::Arc;

use argus_model::Labels;
use promql_parser::parser::Expr;

use crate::error::{Error, Result};
use crate::eval::{Evaluator, NameDropper, Point, Sample, Series, Val};

pub(crate) fn is_date_function(name: &str) -> bool {
    matches!(
        name,
        "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month" | "hour" | "minute" | "month" | "year"
    )
}

/// Seconds from Go's absolute zero year to the Unix epoch
/// (`unixToInternal + internalToAbsolute` in Go's `time` package).
const UNIX_TO_ABSOLUTE: u64 = 9_223_372_028_715_321_600;
const DAYS_PER_400_YEARS: u64 = 365 * 400 + 97;
const DAYS_PER_100_YEARS: u64 = 365 * 100 + 24;
const DAYS_PER_4_YEARS: u64 = 365 * 4 + 1;
const ABSOLUTE_ZERO_YEAR: i64 = -292_277_022_399;
const DAYS_BEFORE: [u64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/// Go's `int64(v)` on amd64: NaN, ±Inf and out-of-range values become `i64::MIN`.
fn go_int64(v: f64) -> i64 {
    // 2^63 as a float; every float in [-2^63, 2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() || !(-LIMIT..LIMIT).contains(&v) { i64::MIN } else { v as i64 }
}

/// Go's absolute time of a Unix time in seconds, wrapping like Go does.
fn go_abs(unix: i64) -> u64 {
    (unix as u64).wrapping_add(UNIX_TO_ABSOLUTE)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Go's `absDate`: (year, month 1-12, day 1-31, day of year 0-365).
fn go_date(abs: u64) -> (i64, u64, u64, u64) {
    let mut d = abs / 86_400;
    let mut n = d / DAYS_PER_400_YEARS;
    let mut y = 400 * n;
    d -= DAYS_PER_400_YEARS * n;
    n = d / DAYS_PER_100_YEARS;
    n -= n >> 2;
    y += 100 * n;
    d -= DAYS_PER_100_YEARS * n;
    n = d / DAYS_PER_4_YEARS;
    y += 4 * n;
    d -= DAYS_PER_4_YEARS * n;
    n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;
    let year = (y as i64).wrapping_add(ABSOLUTE_ZERO_YEAR);
    let yday = d;
    let mut day = yday;
    if is_leap(year) {
        if day == 31 + 29 - 1 {
            return (year, 2, 29, yday);
        }
        if day > 31 + 29 - 1 {
            day -= 1;
        }
    }
    let mut month = day / 31;
    let end = DAYS_BEFORE.get(month as usize + 1).copied().unwrap_or(365);
    let begin = if day >= end {
        month += 1;
        end
    } else {
        DAYS_BEFORE.get(month as usize).copied().unwrap_or(0)
    };
    (year, month + 1, day - begin + 1, yday)
}

/// The date function `name` of a Unix time in seconds, computed as Go's
/// `time.Unix(int64(v), 0).UTC()` does, edge cases (NaN, ±Inf) included.
fn date_value(name: &str, v: f64) -> f64 {
    let abs = go_abs(go_int64(v));
    let r = match name {
        "hour" => (abs % 86_400 / 3600) as i64,
        "minute" => (abs % 3600 / 60) as i64,
        "day_of_week" => ((abs + 86_400) % 604_800 / 86_400) as i64,
        _ => {
            let (year, month, day, yday) = go_date(abs);
            match name {
                "day_of_month" => day as i64,
                "day_of_year" => yday as i64 + 1,
                "month" => month as i64,
                "days_in_month" => match month {
                    2 if is_leap(year) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                },
                _ => year,
            }
        }
    };
    r as f64
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_date(&self, name: &str, args: &[&Expr]) -> Result<Val> {
        let arg = if args.is_empty() {
            // `vector(time())`: one sample per step, counted like Prometheus does.
            self.ctx.add_samples(self.steps())?;
            let points = (0..self.steps()).map(|k| Point { t: self.ts(k), v: self.ts(k) as f64 / 1000.0 }).collect();
            Val::Vector(vec![Series { labels: Arc::new(Labels::empty()), points }])
        } else {
            self.arg_vector(args, 0)?
        };
        let mut nd = NameDropper::new();
        let m = self.range_eval(&[arg], |sa, _| {
            Ok(sa[0]
                .take_vector()
                .into_iter()
                .map(|s| Sample { labels: nd.drop_name(&s.labels), v: date_value(name, s.v) })
                .collect())
        })?;
        Ok(Val::Vector(m))
    }

    /// `timestamp(v)`: the sample's own time for a bare selector argument,
    /// otherwise the evaluation time.
    pub(crate) fn eval_timestamp(&self, args: &[&Expr]) -> Result<Val> {
        let mut e = *args.first().ok_or_else(|| Error::exec("missing function argument"))?;
        while let Expr::Paren(p) = e {
            e = &p.expr;
        }
        let arg = match e {
            Expr::VectorSelector(vs) => Val::Vector(self.eval_vector_selector(vs, true)?),
            _ => {
                let mut m = self.eval_vector(e)?;
                for s in &mut m {
                    s.points.iter_mut().for_each(|p| p.v = p.t as f64 / 1000.0);
                }
                Val::Vector(m)
            }
        };
        let mut nd = NameDropper::new();
        let m = self.range_eval(&[arg], |sa, _| {
            Ok(sa[0].take_vector().into_iter().map(|s| Sample { labels: nd.drop_name(&s.labels), v: s.v }).collect())
        })?;
        Ok(Val::Vector(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert_eq!(date_value("year", 0.0), 1970.0);
        assert_eq!(date_value("month", 0.0), 1.0);
        assert_eq!(date_value("day_of_month", 0.0), 1.0);
        assert_eq!(date_value("minute", f64::NAN), 30.0);
        assert_eq!(date_value("year", 1_700_000_000.0), 2023.0);
        assert_eq!(date_value("day_of_month", -86_400.0), 31.0);
        assert_eq!(date_value("day_of_week", 0.0), 4.0);
        assert_eq!(date_value("days_in_month", 951_782_400.0), 29.0); // 2000-02-29
        assert_eq!(date_value("day_of_year", 951_782_400.0), 60.0);
    }
}
