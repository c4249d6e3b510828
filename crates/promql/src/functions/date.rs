//! Date functions (`hour`, `day_of_week`, ...), `time`-derived in UTC, and
//! `timestamp`.
//!
//! Without an argument a date function reads the step time, like
//! `hour(vector(time()))`. The calendar math is the proleptic Gregorian
//! civil-from-days algorithm, so no time zone database is needed.

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

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn date_value(name: &str, v: f64) -> f64 {
    let secs = v as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let r = match name {
        "day_of_month" => d,
        "day_of_week" => (days + 4).rem_euclid(7),
        "day_of_year" => {
            const CUM: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
            CUM.get((m - 1) as usize).copied().unwrap_or(0) + d + i64::from(m > 2 && is_leap(y))
        }
        "days_in_month" => match m {
            2 if is_leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        },
        "hour" => sod / 3600,
        "minute" => sod % 3600 / 60,
        "month" => m,
        _ => y,
    };
    r as f64
}

impl Evaluator<'_, '_> {
    pub(crate) fn eval_date(&self, name: &str, args: &[&Expr]) -> Result<Val> {
        let arg = if args.is_empty() {
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
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(date_value("day_of_week", 0.0), 4.0);
        assert_eq!(date_value("days_in_month", 951_782_400.0), 29.0); // 2000-02-29
        assert_eq!(date_value("day_of_year", 951_782_400.0), 60.0);
    }
}
