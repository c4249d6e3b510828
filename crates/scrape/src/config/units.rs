//! Prometheus' value syntaxes that YAML carries as strings: durations
//! (`model.Duration`: `1d2h30m`, `500ms`) and byte sizes (`units.Base2Bytes`:
//! `10MB`, `1.5GiB`), parsed and printed exactly as Prometheus 2.42 does, since
//! durations are printed back into `__scrape_interval__` labels.

use std::time::Duration;

const MS_PER: [(&str, u64); 7] = [
    ("y", 1000 * 60 * 60 * 24 * 365),
    ("w", 1000 * 60 * 60 * 24 * 7),
    ("d", 1000 * 60 * 60 * 24),
    ("h", 1000 * 60 * 60),
    ("m", 1000 * 60),
    ("s", 1000),
    ("ms", 1),
];

/// Parses a Prometheus duration (`model.ParseDuration`): units y, w, d, h, m, s,
/// ms in that order, each at most once, integer counts; `"0"` is zero.
/// The error is Prometheus' message.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration string".to_string());
    }
    let invalid = || format!("not a valid duration string: {s:?}");
    let mut rest = s;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let (num, after) = rest.split_at(digits);
        let n: u64 = num.parse().map_err(|_| invalid())?;
        // "ms" must be tried before "m".
        let unit_idx = MS_PER
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| after.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())
            .map(|(i, _)| i)
            .ok_or_else(invalid)?;
        let (unit, mult) = MS_PER.get(unit_idx).copied().ok_or_else(invalid)?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| "duration out of range".to_string())?;
        rest = after.get(unit.len()..).unwrap_or("");
        next_unit = unit_idx + 1;
    }
    if total > i64::MAX as u64 / 1_000_000 {
        return Err("duration out of range".to_string());
    }
    Ok(Duration::from_millis(total))
}

/// Prints a duration as Prometheus' `model.Duration.String` does (`1m`, `1h30m`,
/// `90d`, `0s`); years and weeks only when exact.
pub fn format_duration(d: Duration) -> String {
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (i, (unit, mult)) in MS_PER.iter().enumerate() {
        let exact_only = i < 2;
        if exact_only && ms % mult != 0 {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
            ms -= v * mult;
        }
    }
    out
}

/// Parses a byte size as `units.ParseBase2Bytes` does: `0`, or one or more
/// `<number><unit>` parts with units B, KB/KiB, MB/MiB, GB/GiB, TB/TiB, PB/PiB,
/// EB/EiB, all powers of 1024. The error is Prometheus' message.
pub fn parse_base2_bytes(s: &str) -> Result<u64, String> {
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("units: invalid  ".to_string());
    }
    let mut rest = s;
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        if num_len == 0 {
            return Err(format!("units: invalid {s}"));
        }
        let (num, after) = rest.split_at(num_len);
        let n: f64 = num.parse().map_err(|_| format!("units: invalid {s}"))?;
        let unit_len = after.bytes().take_while(|c| !(c.is_ascii_digit() || *c == b'.')).count();
        let (unit, after) = after.split_at(unit_len);
        let mult = unit_multiplier(unit).ok_or_else(|| format!("units: unknown unit {unit} in {s}"))?;
        total += n * mult as f64;
        rest = after;
    }
    if total >= u64::MAX as f64 {
        return Err(format!("units: overflow in {s}"));
    }
    Ok(total as u64)
}

fn unit_multiplier(unit: &str) -> Option<u64> {
    let prefixes = ["", "K", "M", "G", "T", "P", "E"];
    for (i, p) in prefixes.iter().enumerate() {
        let mult = 1u64 << (10 * i);
        if unit == format!("{p}B") || (!p.is_empty() && unit == format!("{p}iB")) {
            return Some(mult);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        fn check(s: &str, ms: u64, back: &str) {
            let d = parse_duration(s).unwrap();
            assert_eq!(d, Duration::from_millis(ms), "{s}");
            assert_eq!(format_duration(d), back, "{s}");
        }
        check("0", 0, "0s");
        check("15s", 15_000, "15s");
        check("1m", 60_000, "1m");
        check("90s", 90_000, "1m30s");
        check("1h30m", 5_400_000, "1h30m");
        check("500ms", 500, "500ms");
        check("1d", 86_400_000, "1d");
        check("2w", 14 * 86_400_000, "2w");
        check("8d", 8 * 86_400_000, "8d");
        check("14d", 14 * 86_400_000, "2w");
        check("1y", 365 * 86_400_000, "1y");
        check("1m1ms", 60_001, "1m1ms");
        for bad in ["", "15", "1.5s", "1s1m", "1h1h", "-1s", "1 s", "s", "1ns"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_duration("15").unwrap_err(), "not a valid duration string: \"15\"");
    }

    #[test]
    fn sizes() {
        fn check(s: &str, n: Option<u64>) {
            assert_eq!(parse_base2_bytes(s).ok(), n, "{s}");
        }
        check("0", Some(0));
        check("1KB", Some(1024));
        check("1KiB", Some(1024));
        check("10MB", Some(10 << 20));
        check("1.5MB", Some(3 << 19));
        check("1GB512MB", Some(1536 << 20));
        check("100B", Some(100));
        check("1000", None);
        check("1kb", None);
        check("MB", None);
        assert_eq!(parse_base2_bytes("1000").unwrap_err(), "units: unknown unit  in 1000");
    }
}
