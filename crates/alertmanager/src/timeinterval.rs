//! Time intervals (`time_intervals` / `mute_time_intervals`): parsing of times,
//! weekdays, days of month, months, years and location, and the question "is
//! instant t inside this interval", answered in the interval's own time zone.
//!
//! Semantics and error wording follow Alertmanager 0.25's `timeinterval` package:
//! times are half-open minute ranges `[start, end)` of the local wall clock, the
//! other ranges are inclusive, negative days of month count from the month's end.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

/// One time interval: every field present must contain the instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeInterval {
    /// Minute-of-day ranges `[start, end)`; `None` means any time of day.
    pub times: Option<Vec<(u32, u32)>>,
    /// Inclusive weekday ranges, Sunday = 0.
    pub weekdays: Option<Vec<(u32, u32)>>,
    /// Inclusive day-of-month ranges; negative values count from the month's end.
    pub days_of_month: Option<Vec<(i32, i32)>>,
    /// Inclusive month ranges, January = 1.
    pub months: Option<Vec<(u32, u32)>>,
    /// Inclusive year ranges.
    pub years: Option<Vec<(i32, i32)>>,
    /// The zone the instant is converted to first; `None` means UTC.
    pub location: Option<Tz>,
}

impl TimeInterval {
    /// Whether instant `t` lies inside the interval (evaluated in its location).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        match self.location {
            Some(tz) => self.contains_local(&tz.from_utc_datetime(&t.naive_utc())),
            None => self.contains_local(&t),
        }
    }

    fn contains_local<Z: TimeZone>(&self, t: &DateTime<Z>) -> bool {
        let minute = t.hour() * 60 + t.minute();
        if let Some(times) = &self.times
            && !times.iter().any(|&(s, e)| minute >= s && minute < e)
        {
            return false;
        }
        if let Some(days) = &self.days_of_month {
            let dim = days_in_month(t.year(), t.month());
            let day = t.day() as i32;
            let inside = days.iter().any(|&(b, e)| {
                let begin = if b < 0 { dim + b + 1 } else { b };
                let end = if e < 0 { dim + e + 1 } else { e };
                if begin > dim {
                    return false;
                }
                let (begin, end) = (begin.clamp(-dim, dim), end.clamp(-dim, dim));
                day >= begin && day <= end
            });
            if !inside {
                return false;
            }
        }
        if let Some(months) = &self.months
            && !months.iter().any(|&(b, e)| t.month() >= b && t.month() <= e)
        {
            return false;
        }
        if let Some(wd) = &self.weekdays {
            let d = t.weekday().num_days_from_sunday();
            if !wd.iter().any(|&(b, e)| d >= b && d <= e) {
                return false;
            }
        }
        if let Some(years) = &self.years
            && !years.iter().any(|&(b, e)| t.year() >= b && t.year() <= e)
        {
            return false;
        }
        true
    }
}

/// Whether any of `intervals` contains `t` (Alertmanager's `Intervener` check).
pub fn any_contains(intervals: &[TimeInterval], t: DateTime<Utc>) -> bool {
    intervals.iter().any(|i| i.contains(t))
}

fn days_in_month(year: i32, month: u32) -> i32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// The raw YAML form of one time interval.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeInterval {
    times: Option<Vec<RawTimeRange>>,
    weekdays: Option<Vec<String>>,
    days_of_month: Option<Vec<String>>,
    months: Option<Vec<String>>,
    years: Option<Vec<String>>,
    location: Option<String>,
}

/// One `times` entry as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeRange {
    /// `start_time` as `HH:MM`.
    pub start_time: Option<String>,
    /// `end_time` as `HH:MM` (`24:00` allowed).
    pub end_time: Option<String>,
}

impl RawTimeInterval {
    /// Validates and resolves, with Alertmanager's error wording.
    pub fn resolve(&self) -> Result<TimeInterval, String> {
        Ok(TimeInterval {
            times: self.times.as_ref().map(|v| v.iter().map(parse_time_range).collect()).transpose()?,
            weekdays: self.weekdays.as_ref().map(|v| v.iter().map(|s| parse_weekdays(s)).collect()).transpose()?,
            days_of_month: self
                .days_of_month
                .as_ref()
                .map(|v| v.iter().map(|s| parse_days(s)).collect())
                .transpose()?,
            months: self.months.as_ref().map(|v| v.iter().map(|s| parse_months(s)).collect()).transpose()?,
            years: self.years.as_ref().map(|v| v.iter().map(|s| parse_years(s)).collect()).transpose()?,
            location: match &self.location {
                None => None,
                // Go's "Local" is the host's zone; argus evaluates it as UTC.
                Some(s) if s == "UTC" || s == "Local" || s.is_empty() => None,
                Some(s) => Some(s.parse::<Tz>().map_err(|_| format!("unknown time zone {s}"))?),
            },
        })
    }
}

fn parse_time(s: &str) -> Result<u32, String> {
    let bad = || format!("couldn't parse timestamp {s}, invalid format");
    if s == "24:00" {
        return Ok(1440);
    }
    let b = s.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') {
        return Err(bad());
    }
    let h: u32 =
        s.get(0..2).filter(|x| x.bytes().all(|c| c.is_ascii_digit())).and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let m: u32 =
        s.get(3..5).filter(|x| x.bytes().all(|c| c.is_ascii_digit())).and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_time_range(r: &RawTimeRange) -> Result<(u32, u32), String> {
    let (Some(s), Some(e)) = (&r.start_time, &r.end_time) else {
        return Err("both start and end times must be provided".to_string());
    };
    let (s, e) = (parse_time(s)?, parse_time(e)?);
    if s >= e {
        return Err("start time cannot be equal or greater than end time".to_string());
    }
    Ok((s, e))
}

/// Splits `a:b` (or a single `a`) into its two ends.
fn split_range(s: &str) -> Result<(&str, &str), String> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [a] => Ok((a, a)),
        [a, b] => Ok((a, b)),
        _ => Err(format!("couldn't parse range {s}, invalid format")),
    }
}

const WEEKDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn parse_weekdays(s: &str) -> Result<(u32, u32), String> {
    let lower = s.to_lowercase();
    let (a, b) = split_range(&lower)?;
    let day = |d: &str| {
        WEEKDAYS.iter().position(|w| *w == d).map(|p| p as u32).ok_or_else(|| format!("{d} is not a valid weekday"))
    };
    let (a, b) = (day(a)?, day(b)?);
    if a > b {
        return Err("start day cannot be before end day".to_string());
    }
    Ok((a, b))
}

/// Go's `strconv.Atoi`, with its error wording.
fn atoi(s: &str) -> Result<i32, String> {
    s.parse::<i32>().map_err(|_| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
}

fn parse_days(s: &str) -> Result<(i32, i32), String> {
    let (a, b) = split_range(s)?;
    let num = |d: &str| atoi(d);
    let (a, b) = (num(a)?, num(b)?);
    for d in [a, b] {
        if !(-31..=31).contains(&d) || d == 0 {
            return Err(format!("{d} is not a valid day of the month: out of range"));
        }
    }
    if a > 0 && b < 0 {
        // A positive start with a negative end is allowed: "1:-1" is the whole month.
        return Ok((a, b));
    }
    if a < 0 && b > 0 {
        return Err("end day must be negative if start day is negative".to_string());
    }
    if a > b {
        return Err(format!("end day {b} is always before start day {a}"));
    }
    Ok((a, b))
}

fn parse_months(s: &str) -> Result<(u32, u32), String> {
    let lower = s.to_lowercase();
    let (a, b) = split_range(&lower)?;
    let month = |m: &str| -> Result<u32, String> {
        if let Some(p) = MONTHS.iter().position(|x| *x == m) {
            return Ok(p as u32 + 1);
        }
        // Alertmanager 0.25 does not range-check month numbers: 13 never matches.
        match m.parse::<i64>() {
            Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(_) => Err(format!("{m} is not a valid month")),
        }
    };
    let (na, nb) = split_range(&lower)?;
    let (a, b) = (month(a)?, month(b)?);
    if a > b {
        return Err(format!("end month {nb} is before start month {na}"));
    }
    Ok((a, b))
}

fn parse_years(s: &str) -> Result<(i32, i32), String> {
    let (a, b) = split_range(s)?;
    let (a, b) = (atoi(a)?, atoi(b)?);
    if a > b {
        return Err(format!("end year {b} is before start year {a}"));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(yaml: &str) -> TimeInterval {
        serde_yaml_ng::from_str::<RawTimeInterval>(yaml).unwrap().resolve().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn check(yaml: &str, t: &str, want: bool) {
        assert_eq!(interval(yaml).contains(at(t)), want, "{yaml} at {t}");
    }

    #[test]
    fn containment() {
        let nights = "times: [{start_time: '22:00', end_time: '24:00'}, {start_time: '00:00', end_time: '07:00'}]\nlocation: Asia/Seoul";
        check(nights, "2024-01-01T13:00:00Z", true); // 22:00 KST
        check(nights, "2024-01-01T12:59:59Z", false); // 21:59 KST
        check(nights, "2024-01-01T21:59:00Z", true); // 06:59 KST
        check(nights, "2024-01-01T22:00:00Z", false); // 07:00 KST, end is exclusive
        check("weekdays: ['monday:friday']", "2024-01-06T10:00:00Z", false); // Saturday
        check("weekdays: ['monday:friday']", "2024-01-05T10:00:00Z", true);
        check("weekdays: ['Saturday', 'sunday']", "2024-01-07T10:00:00Z", true);
        check("days_of_month: ['-1']", "2024-02-29T10:00:00Z", true);
        check("days_of_month: ['-1']", "2023-02-28T10:00:00Z", true);
        check("days_of_month: ['1:5', '-3:-1']", "2024-01-29T00:00:00Z", true);
        check("days_of_month: ['1:5', '-3:-1']", "2024-01-28T00:00:00Z", false);
        check("days_of_month: ['31']", "2024-02-29T00:00:00Z", false);
        check("months: ['may:august']", "2024-06-01T00:00:00Z", true);
        check("years: ['2020:2022']", "2023-01-01T00:00:00Z", false);
        check("years: ['2020:2022']", "2022-12-31T23:59:59Z", true);
    }

    // Europe/Berlin springs forward on 2024-03-31 at 02:00 (01:00 UTC) and falls back
    // on 2024-10-27 at 03:00 (01:00 UTC). Wall-clock minutes decide membership.
    #[test]
    fn dst_edges() {
        let early = "times: [{start_time: '02:00', end_time: '03:00'}]\nlocation: Europe/Berlin";
        // The local hour 02:00-03:00 does not exist on the spring-forward day.
        check(early, "2024-03-31T00:59:59Z", false); // 01:59:59 CET
        check(early, "2024-03-31T01:00:00Z", false); // 03:00 CEST
        check(early, "2024-03-30T01:30:00Z", true); // 02:30 CET the day before
        // On the fall-back day 02:00-03:00 happens twice; both are inside.
        check(early, "2024-10-27T00:30:00Z", true); // 02:30 CEST
        check(early, "2024-10-27T01:30:00Z", true); // 02:30 CET
        check(early, "2024-10-27T02:00:00Z", false); // 03:00 CET
        // A zone-less interval is evaluated in UTC.
        check("times: [{start_time: '02:00', end_time: '03:00'}]", "2024-03-31T02:30:00Z", true);
        // The day boundary moves with the zone.
        check("weekdays: [sunday]\nlocation: America/New_York", "2024-11-04T03:00:00Z", true); // Sun 22:00 EST
        check("weekdays: [sunday]\nlocation: America/New_York", "2024-11-04T05:00:00Z", false);
    }

    fn check_err(yaml: &str, want: &str) {
        let got = serde_yaml_ng::from_str::<RawTimeInterval>(yaml).unwrap().resolve().unwrap_err();
        assert_eq!(got, want, "{yaml}");
    }

    #[test]
    fn errors() {
        check_err(
            "times: [{start_time: '25:00', end_time: '26:00'}]",
            "couldn't parse timestamp 25:00, invalid format",
        );
        check_err(
            "times: [{start_time: '10:00', end_time: '10:00'}]",
            "start time cannot be equal or greater than end time",
        );
        check_err("weekdays: ['friday:monday']", "start day cannot be before end day");
        check_err("weekdays: ['funday']", "funday is not a valid weekday");
        check_err("location: Foo/Bar", "unknown time zone Foo/Bar");
        check_err("days_of_month: ['0']", "0 is not a valid day of the month: out of range");
    }
}
