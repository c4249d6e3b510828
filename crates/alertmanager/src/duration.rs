//! Prometheus durations (`1h30m`, `5m`, `0`) as `model.Duration` parses and prints them.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

static DURATION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
        .expect("invariant: the duration regex is valid")
});

/// Parses a duration the way Prometheus' `model.ParseDuration` (common v0.38) does,
/// returning its error wording on failure.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match s {
        "0" => return Ok(Duration::ZERO),
        "" => return Err("empty duration string".to_string()),
        _ => {}
    }
    let bad = || format!("not a valid duration string: {s:?}");
    let caps = DURATION_RE.captures(s).ok_or_else(bad)?;
    const UNITS: [(usize, u64); 7] = [
        (2, 365 * 24 * 3600 * 1000),
        (4, 7 * 24 * 3600 * 1000),
        (6, 24 * 3600 * 1000),
        (8, 3600 * 1000),
        (10, 60 * 1000),
        (12, 1000),
        (14, 1),
    ];
    let mut ms: u64 = 0;
    for (group, mult) in UNITS {
        if let Some(m) = caps.get(group) {
            let v: u64 = m.as_str().parse().map_err(|_| bad())?;
            ms = v.checked_mul(mult).and_then(|x| ms.checked_add(x)).ok_or_else(bad)?;
        }
    }
    Ok(Duration::from_millis(ms))
}

/// Formats a duration as `model.Duration.String()` does (`1h30m`, `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, mult) in [
        ("y", 31_536_000_000u128),
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ] {
        if ms >= mult {
            out.push_str(&format!("{}{unit}", ms / mult));
            ms %= mult;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str, want: Result<u64, &str>) {
        assert_eq!(parse_duration(s).map(|d| d.as_millis() as u64), want.map_err(|e| e.to_string()), "{s}");
    }

    #[test]
    fn durations() {
        check("0", Ok(0));
        check("5m", Ok(300_000));
        check("1h30m", Ok(5_400_000));
        check("1d", Ok(86_400_000));
        check("100ms", Ok(100));
        check("", Err("empty duration string"));
        check("5x", Err("not a valid duration string: \"5x\""));
        check("30m1h", Err("not a valid duration string: \"30m1h\""));
        check("1.5h", Err("not a valid duration string: \"1.5h\""));
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(4 * 3600)), "4h");
    }
}
