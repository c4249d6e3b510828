//! Request parameters as Prometheus reads them: URL query and form body
//! merged (`r.FormValue`), times as RFC 3339 or float seconds, durations as
//! Prometheus durations or float seconds, and series selectors for `match[]`.

use argus_model::{MatchOp, Matcher};

use super::ApiError;

/// All parameters of a request, body values after URL values.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>, body: Option<&[u8]>) -> Params {
        let mut v: Vec<(String, String)> = Vec::new();
        // Body values first: Go's FormValue prefers the POST body over the URL.
        if let Some(b) = body {
            v.extend(form_urlencoded::parse(b).into_owned());
        }
        if let Some(q) = query {
            v.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        Params(v)
    }

    /// The first value of `name`, if any (empty counts as absent, like Go).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// Prometheus' `parseTime`: float seconds (rounded to ms) or RFC 3339.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    if let Ok(f) = s.parse::<f64>() {
        if !f.is_finite() {
            return None;
        }
        let secs = f.trunc();
        let ms = ((f - secs) * 1000.0).round();
        return Some(secs as i64 * 1000 + ms as i64);
    }
    // Prometheus' special min/max time strings.
    match s {
        "-292273086-05-16T16:47:06Z" => return Some(i64::MIN / 1000 * 1000),
        "292277025-08-18T07:12:54.999999999Z" => return Some(i64::MAX / 1000 * 1000),
        _ => {}
    }
    parse_rfc3339(s)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into ms since the epoch.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let mut digits: String = frac.chars().take(3).collect();
        while digits.len() < 3 {
            digits.push('0');
        }
        ms = digits.parse().ok()?;
    }
    let offset_min = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && tz.as_bytes()[3] == b':' => {
            let hh: i64 = tz.get(1..3)?.parse().ok()?;
            let mm: i64 = tz.get(4..6)?.parse().ok()?;
            let v = hh * 60 + mm;
            if tz.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + ms)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Prometheus' `parseDuration`: float seconds or a duration like `1m30s`; ms.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    if let Ok(f) = s.parse::<f64>() {
        let ms = f * 1000.0;
        if !ms.is_finite() || ms.abs() >= 9.2e18 / 1e6 {
            return None;
        }
        return Some(ms.round() as i64);
    }
    argus_model::parse_duration(s)
}

pub(crate) fn time_param(p: &Params, name: &str, default: i64) -> Result<i64, ApiError> {
    match p.get(name) {
        None => Ok(default),
        Some(v) => parse_time(v).ok_or_else(|| {
            ApiError::bad_data(format!("invalid parameter \"{name}\": cannot parse \"{v}\" to a valid timestamp"))
        }),
    }
}

/// Parses `match[]` selectors into matcher sets, rejecting sets whose
/// matchers all match the empty string, as Prometheus does.
pub(crate) fn match_sets(p: &Params) -> Result<Vec<Vec<Matcher>>, ApiError> {
    let mut out = Vec::new();
    for s in p.all("match[]") {
        let ms = series_selector(s).map_err(|e| ApiError::bad_data(format!("invalid parameter \"match[]\": {e}")))?;
        if ms.iter().all(Matcher::matches_empty) {
            return Err(ApiError::bad_data("match[] must contain at least one non-empty matcher".into()));
        }
        out.push(ms);
    }
    Ok(out)
}

/// A series selector such as `up{job="x"}` as storage matchers.
pub(crate) fn series_selector(s: &str) -> Result<Vec<Matcher>, String> {
    use promql_parser::label::MatchOp as P;
    let expr = promql_parser::parser::parse(s).map_err(|e| format!("1:1: parse error: {e}"))?;
    let promql_parser::parser::Expr::VectorSelector(vs) = expr else {
        return Err("parse error: expected a series selector".into());
    };
    if vs.offset.is_some() || vs.at.is_some() {
        return Err("parse error: a series selector takes no offset or @ modifier".into());
    }
    let mut out = Vec::new();
    if let Some(n) = &vs.name {
        out.push(Matcher::equal(argus_model::METRIC_NAME, n.clone()));
    }
    for m in &vs.matchers.matchers {
        let op = match m.op {
            P::Equal => MatchOp::Equal,
            P::NotEqual => MatchOp::NotEqual,
            P::Re(_) => MatchOp::Re,
            P::NotRe(_) => MatchOp::NotRe,
        };
        out.push(Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| format!("parse error: {e}"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1672617600"), Some(1_672_617_600_000));
        assert_eq!(parse_time("1672617600.5"), Some(1_672_617_600_500));
        assert_eq!(parse_time("2023-01-02T00:00:00Z"), Some(1_672_617_600_000));
        assert_eq!(parse_time("2023-01-02T01:00:00.25+01:00"), Some(1_672_617_600_250));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("NaN"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15"), Some(15_000));
        assert_eq!(parse_duration("0.5"), Some(500));
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("1.5m"), None);
    }

    #[test]
    fn selectors() {
        let ms = series_selector(r#"up{job=~"a|b"}"#).unwrap();
        assert_eq!(ms.len(), 2);
        assert!(series_selector("rate(x[5m])").is_err());
        assert!(series_selector("up{").is_err());
    }
}
