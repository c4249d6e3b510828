//! Prometheus durations (`model.Duration` of prometheus/common 0.39): the
//! strings users write in flags, configs and PromQL ranges.

const UNITS: [(&str, i64); 7] = [
    ("y", 31_536_000_000),
    ("w", 604_800_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
];

/// Parses `1y2w3d4h5m6s7ms` into milliseconds. Units must appear in that
/// order, each at most once, as Prometheus requires; `"0"` is zero.
/// Returns `None` for anything else (including overflow).
pub fn parse_duration(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let value: i64 = rest.get(..n)?.parse().ok()?;
        rest = rest.get(n..)?;
        let u = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = rest.get(..u)?;
        rest = rest.get(u..)?;
        let pos = UNITS.iter().skip(next_unit).position(|(name, _)| *name == unit)? + next_unit;
        next_unit = pos + 1;
        total = total.checked_add(value.checked_mul(UNITS.get(pos)?.1)?)?;
    }
    Some(total)
}

/// Formats milliseconds as Prometheus prints durations: `0s`, `1m30s`,
/// `90d` (years and weeks only when they divide evenly).
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    if rest < 0 {
        out.push('-');
        rest = -rest;
    }
    for (i, (unit, mult)) in UNITS.iter().enumerate() {
        let exact_only = i < 2;
        if exact_only && rest % mult != 0 {
            continue;
        }
        let v = rest / mult;
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
            rest -= v * mult;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let check = |s: &str, want: Option<i64>| assert_eq!(parse_duration(s), want, "{s}");
        check("0", Some(0));
        check("15s", Some(15_000));
        check("1h30m", Some(5_400_000));
        check("1y2w3d4h5m6s7ms", Some(31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 14_706_007));
        check("250ms", Some(250));
        check("30m1h", None);
        check("1m1m", None);
        check("1.5h", None);
        check("5", None);
        check("", None);
        check("-1s", None);
        check("99999999999999999y", None);
    }

    #[test]
    fn format() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(90_000), "1m30s");
        assert_eq!(format_duration(90 * 86_400_000), "90d");
        assert_eq!(format_duration(14 * 86_400_000), "2w");
        assert_eq!(format_duration(1500), "1s500ms");
        assert_eq!(format_duration(31_536_000_000), "1y");
    }
}
