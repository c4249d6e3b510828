//! Go's time and number formats that the rule API and promtool print:
//! RFC 3339 with nanoseconds, `time.Duration.String()`, and
//! `strconv.FormatFloat(v, 'e'|'E', -1, 64)`.

/// `time.Time` JSON (RFC 3339 nano, UTC) of Unix milliseconds; `None` is Go's zero time.
pub fn rfc3339(ms: Option<i64>) -> String {
    match ms {
        Some(ms) => argus_model::time::rfc3339_nano(ms.saturating_mul(1_000_000)),
        None => "0001-01-01T00:00:00Z".into(),
    }
}

/// Go's `time.Duration.String()` of milliseconds: `0s`, `1m0s`, `1h30m0s`, `500ms`, `1.5s`.
pub fn go_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let neg = ms < 0;
    let u = ms.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if u < 1000 {
        out.push_str(&format!("{u}ms"));
        return out;
    }
    let h = u / 3_600_000;
    let m = u / 60_000 % 60;
    let s = u / 1000 % 60;
    let frac = u % 1000;
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        out.push('.');
        out.push_str(format!("{frac:03}").trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// `strconv.FormatFloat(v, fmt, -1, 64)` for `fmt` = `'e'` or `'E'`.
pub fn go_float_exp(v: f64, upper: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let s = format!("{v:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mant}{e}{sign}{:02}", exp.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Some(1_700_000_000_123)), "2023-11-14T22:13:20.123Z");
        assert_eq!(go_duration(60_000), "1m0s");
        assert_eq!(go_duration(5_400_000), "1h30m0s");
        assert_eq!(go_duration(1500), "1.5s");
        assert_eq!(go_float_exp(1.0, true), "1E+00");
        assert_eq!(go_float_exp(-0.00025, true), "-2.5E-04");
        assert_eq!(go_float_exp(1e100, false), "1e+100");
    }
}
