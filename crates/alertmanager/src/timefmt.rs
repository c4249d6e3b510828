//! Timestamps as Alertmanager writes and reads them in JSON: Go's
//! `time.RFC3339Nano` (fraction with trailing zeros trimmed, `Z` for UTC) and
//! Go's zero time `0001-01-01T00:00:00Z` for "not set".

use chrono::{DateTime, SecondsFormat, Utc};

/// Go's zero `time.Time` as JSON prints it.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Formats Unix milliseconds as Go's RFC3339Nano in UTC, e.g.
/// `2023-01-31T17:04:46.12Z`; out-of-range values print the zero time.
pub fn format_rfc3339(ms: i64) -> String {
    let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms) else { return ZERO_TIME.to_string() };
    let s = t.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // Go trims the fraction's trailing zeros (and the dot if nothing is left).
    match s.split_once('.') {
        Some((head, frac)) => {
            let digits = frac.trim_end_matches('Z').trim_end_matches('0');
            if digits.is_empty() { format!("{head}Z") } else { format!("{head}.{digits}Z") }
        }
        None => s,
    }
}

/// Formats an optional time; `None` is Go's zero time.
pub fn format_opt(ms: Option<i64>) -> String {
    ms.map_or_else(|| ZERO_TIME.to_string(), format_rfc3339)
}

/// Parses an RFC 3339 time (any offset, any fraction) to Unix milliseconds;
/// Go's zero time (year 1) parses as `0`, meaning "not set".
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let t = DateTime::parse_from_rfc3339(s).map_err(|e| format!("parsing time {s:?} as RFC3339: {e}"))?;
    if t.timestamp() <= -62135596800 {
        return Ok(0);
    }
    Ok(t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_rfc3339nano() {
        assert_eq!(format_rfc3339(1_675_184_686_120), "2023-01-31T17:04:46.12Z");
        assert_eq!(format_rfc3339(1_675_184_686_000), "2023-01-31T17:04:46Z");
        assert_eq!(format_opt(None), ZERO_TIME);
        assert_eq!(parse_rfc3339("2023-01-31T18:04:46.12+01:00").unwrap(), 1_675_184_686_120);
        assert_eq!(parse_rfc3339(ZERO_TIME).unwrap(), 0);
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
