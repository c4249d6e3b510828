//! Go's number and string formatting, reproduced byte for byte.
//!
//! Prometheus reads sample values with `strconv.ParseFloat` (restricted to the
//! pre-Go-1.13 syntax), writes them with `strconv.FormatFloat(f, 'g', -1, 64)`,
//! and quotes offending input in error messages with `%q`. Matching these
//! exactly keeps our exposition output and error messages identical to
//! Prometheus', which users grep for and tests compare against.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::fmt::Write as _;

/// The NaN Prometheus produces when parsing `NaN` (`value.NormalNaN`, which is
/// also what Go's `math.NaN()` returns); Rust's `f64::NAN` has other bits.
pub const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// Why a value or timestamp could not be parsed, worded as Go words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FloatError(pub(crate) String);

/// Parses a float the way Prometheus' `textparse.parseFloat` does: Go's
/// `strconv.ParseFloat(s, 64)` but rejecting hex floats and digit separators
/// (`p`, `P`, `_`). Accepts `[+-]?digits[.digits][e[+-]digits]`, `.5`, `1.`,
/// and `Inf`/`Infinity`/`NaN` in any case (signs only on infinities).
/// Overflow (`1e400`) is an error, underflow rounds to zero, as in Go.
pub(crate) fn parse_go_float(s: &[u8]) -> Result<f64, FloatError> {
    if let Some(v) = short_decimal(s) {
        return Ok(v);
    }
    if s.iter().any(|&c| matches!(c, b'p' | b'P' | b'_')) {
        return Err(FloatError("unsupported character in float".into()));
    }
    if let Some(v) = go_special(s) {
        return Ok(v);
    }
    if !is_go_decimal(s) {
        return Err(FloatError(format!("strconv.ParseFloat: parsing {}: invalid syntax", go_quote(s))));
    }
    // The grammar check above guarantees ASCII, so this conversion cannot fail.
    let text = std::str::from_utf8(s).unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) if v.is_infinite() => {
            Err(FloatError(format!("strconv.ParseFloat: parsing {}: value out of range", go_quote(s))))
        }
        Ok(v) => Ok(v),
        Err(_) => Err(FloatError(format!("strconv.ParseFloat: parsing {}: invalid syntax", go_quote(s)))),
    }
}

/// `[+-]?digits[.digits]` with at most 15 digits, the common case of a
/// sample value, without the general parser: the digits form an integer
/// below 2^53 and the divisor a power of ten up to 10^15, both exact in an
/// f64, so one division is correctly rounded (Clinger's fast path), as
/// `strconv.ParseFloat` rounds. Anything else is `None`.
fn short_decimal(s: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (neg, digits) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, s),
    };
    let mut m: u64 = 0;
    let mut n = 0usize;
    let mut frac: Option<usize> = None;
    for &c in digits {
        if c.is_ascii_digit() {
            m = m * 10 + u64::from(c - b'0');
            n += 1;
            if n > 15 {
                return None;
            }
            if let Some(f) = frac.as_mut() {
                *f += 1;
            }
        } else if c == b'.' && frac.is_none() {
            frac = Some(0);
        } else {
            return None;
        }
    }
    if n == 0 {
        return None;
    }
    let v = m as f64 / *POW10.get(frac.unwrap_or(0))?;
    Some(if neg { -v } else { v })
}

/// Go's `strconv.special`: infinities (optionally signed) and an unsigned NaN,
/// case-insensitive, and only when they make up the whole string.
fn go_special(s: &[u8]) -> Option<f64> {
    let (neg, rest) = match s.first()? {
        b'+' => (false, s.get(1..)?),
        b'-' => (true, s.get(1..)?),
        _ => (false, s),
    };
    let signed = rest.len() != s.len();
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if !signed && rest.eq_ignore_ascii_case(b"nan") {
        return Some(f64::from_bits(NORMAL_NAN_BITS));
    }
    None
}

/// Whether `s` is a decimal float in Go's syntax without a base prefix.
fn is_go_decimal(s: &[u8]) -> bool {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut digits = 0;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == s.len()
}

/// Go's `strconv.ParseInt(s, 10, 64)` for a string of ASCII digits (the only
/// input the text format's timestamp token can hold).
pub(crate) fn parse_go_int(s: &[u8]) -> Result<i64, FloatError> {
    let mut v: i64 = 0;
    for &c in s {
        let d = i64::from(c.wrapping_sub(b'0'));
        if !(0..=9).contains(&d) {
            return Err(FloatError(format!("strconv.ParseInt: parsing {}: invalid syntax", go_quote(s))));
        }
        v = match v.checked_mul(10).and_then(|v| v.checked_add(d)) {
            Some(v) => v,
            None => {
                return Err(FloatError(format!("strconv.ParseInt: parsing {}: value out of range", go_quote(s))));
            }
        };
    }
    if s.is_empty() {
        return Err(FloatError("strconv.ParseInt: parsing \"\": invalid syntax".into()));
    }
    Ok(v)
}

/// Go's `int64(f)` conversion as it behaves on amd64: truncation toward zero,
/// and `math.MinInt64` for NaN and values outside the int64 range.
pub(crate) fn go_f64_to_i64(f: f64) -> i64 {
    // 2^63 is exactly representable; anything at or beyond it overflows.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) { i64::MIN } else { f as i64 }
}

/// Formats `f` exactly as Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the
/// shortest digits that round-trip, in `%e` form when the decimal exponent is
/// below -4 or at least 6 (`1e+06`, `1.234567e+06`, `1e-05`), otherwise in
/// `%f` form (`100000`, `0.0001`); `+Inf`, `-Inf`, `NaN`, and `-0` for
/// negative zero.
pub fn format_go_float(f: f64) -> String {
    let mut s = String::new();
    push_go_float(&mut s, f);
    s
}

/// Appends [`format_go_float`]'s output to `out` without an extra allocation
/// for the common cases.
pub(crate) fn push_go_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    // Rust's `{:e}` prints the same shortest round-trip digits as Go's
    // shortest mode, as `d[.ddd]e<exp>`; only the layout differs.
    let mut buf = String::with_capacity(32);
    let _ = write!(buf, "{:e}", f.abs());
    let (mant, exp) = buf.split_once('e').unwrap_or((buf.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    break_tie_to_even(f.abs(), &mut digits, exp);
    let nd = digits.len() as i32;
    // Go: `eprec = 6` in shortest mode; `%e` when exp < -4 || exp >= eprec.
    if !(-4..6).contains(&exp) {
        let mut it = digits.chars();
        if let Some(first) = it.next() {
            out.push(first);
        }
        if nd > 1 {
            out.push('.');
            out.extend(it);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        let _ = write!(out, "{a}");
        return;
    }
    let dp = exp + 1; // position of the decimal point within the digits
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..-dp {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..dp - nd {
            out.push('0');
        }
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

/// When two shortest digit strings are exactly equally close to `f`, Go
/// (Ryu) picks the one with an even last digit while Rust rounds the tie up;
/// e.g. 2161636471855163.25 is `2.1616364718551632e+15` in Go. Ties need 16 or
/// more digits, and a candidate only matters if it also round-trips, so the
/// exact (slow) check runs rarely.
fn break_tie_to_even(f: f64, digits: &mut String, exp: i32) {
    let nd = digits.len();
    let Some(last) = digits.as_bytes().last().map(|c| c - b'0') else { return };
    if nd < 16 || last % 2 == 0 {
        return;
    }
    let prefix = digits.get(..nd - 1).unwrap_or_default().to_string();
    for cand in [last - 1, last + 1] {
        if cand == 0 || cand > 9 {
            continue;
        }
        let alt = format!("{prefix}{cand}");
        if format!("{alt}e{}", exp - (nd as i32 - 1)).parse::<f64>().ok() != Some(f) {
            continue;
        }
        // Both round-trip: it is a tie only if f is exactly their midpoint.
        let exact = format!("{f:.800e}");
        let (m, e) = exact.split_once('e').unwrap_or((exact.as_str(), "0"));
        let exact_digits: String = m.chars().filter(char::is_ascii_digit).collect();
        let lower = if cand < last { &alt } else { &*digits };
        if e.parse::<i32>().ok() == Some(exp) && exact_digits.trim_end_matches('0') == format!("{lower}5") {
            *digits = alt;
        }
        return;
    }
}

/// Quotes bytes as Go's `%q` does for a `[]byte`: printable UTF-8 as is, the
/// usual backslash escapes, `\xNN` for invalid bytes and other ASCII controls,
/// `\uNNNN` for non-printable characters.
pub fn go_quote(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\x0b' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for &x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_matches_go_g_shortest() {
        let check = |f: f64, want: &str| assert_eq!(format_go_float(f), want, "{f:?}");
        check(0.0, "0");
        check(-0.0, "-0");
        check(1.0, "1");
        check(-1.0, "-1");
        check(0.1, "0.1");
        check(0.5, "0.5");
        check(1.5, "1.5");
        check(100000.0, "100000");
        check(999999.0, "999999");
        check(1e6, "1e+06");
        check(1234567.0, "1.234567e+06");
        check(123456789.0, "1.23456789e+08");
        check(1e21, "1e+21");
        check(1e20, "1e+20");
        check(1e100, "1e+100");
        check(0.0001, "0.0001");
        check(0.00012345, "0.00012345");
        check(0.00001, "1e-05");
        check(0.000001, "1e-06");
        check(1e-7, "1e-07");
        check(1.5e-10, "1.5e-10");
        check(123456.7, "123456.7");
        check(12345.678, "12345.678");
        check(-2.5e-5, "-2.5e-05");
        check(f64::MAX, "1.7976931348623157e+308");
        check(f64::MIN_POSITIVE, "2.2250738585072014e-308");
        check(5e-324, "5e-324");
        check(0.1 + 0.2, "0.30000000000000004");
        check(1.0 / 3.0, "0.3333333333333333");
        check(f64::INFINITY, "+Inf");
        check(f64::NEG_INFINITY, "-Inf");
        check(f64::NAN, "NaN");
        check(9007199254740993.0, "9.007199254740992e+15");
        check(4.9351e-05, "4.9351e-05");
        check(17.0, "17");
        check(1e5 + 0.5, "100000.5");
        // Exact ties between two shortest candidates: Go keeps the even digit.
        check(f64::from_bits(0x431e_b7fc_d827_60ed), "2.1616364718551632e+15");
        check(f64::from_bits(0xc307_2f1f_f941_0aca), "-8.157173545782652e+14");
        check(f64::from_bits(0x42b2_01d3_1eab_9c90), "-1.9799046269852562e+13".trim_start_matches('-'));
    }

    #[test]
    fn parse_matches_go_parse_float() {
        let ok = |s: &str, want: f64| {
            let got = parse_go_float(s.as_bytes()).unwrap();
            assert!(got == want || (got.is_nan() && want.is_nan()), "{s}: {got}");
        };
        ok("1", 1.0);
        ok("-1.5", -1.5);
        ok("+3", 3.0);
        ok("1.", 1.0);
        ok(".5", 0.5);
        ok("1e3", 1000.0);
        ok("1E+3", 1000.0);
        ok("2.5e-3", 0.0025);
        ok("007", 7.0);
        ok("Inf", f64::INFINITY);
        ok("+Inf", f64::INFINITY);
        ok("-inf", f64::NEG_INFINITY);
        ok("infinity", f64::INFINITY);
        ok("-Infinity", f64::NEG_INFINITY);
        ok("NaN", f64::NAN);
        ok("nan", f64::NAN);
        ok("1e-400", 0.0);
        ok("+.5", 0.5);
        ok("1.e5", 100000.0);
        ok("-0", -0.0);
        ok("00.1e-0", 0.1);
        ok("1E05", 100000.0);
        assert_eq!(parse_go_float(b"NaN").unwrap().to_bits(), NORMAL_NAN_BITS);
        let err = |s: &str, want: &str| assert_eq!(parse_go_float(s.as_bytes()).unwrap_err().0, want, "{s}");
        err("0x1p-2", "unsupported character in float");
        err("1_000", "unsupported character in float");
        err("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax");
        err("+NaN", "strconv.ParseFloat: parsing \"+NaN\": invalid syntax");
        err("infin", "strconv.ParseFloat: parsing \"infin\": invalid syntax");
        err("", "strconv.ParseFloat: parsing \"\": invalid syntax");
        err(".", "strconv.ParseFloat: parsing \".\": invalid syntax");
        err("1e", "strconv.ParseFloat: parsing \"1e\": invalid syntax");
        err("e5", "strconv.ParseFloat: parsing \"e5\": invalid syntax");
        err("1..2", "strconv.ParseFloat: parsing \"1..2\": invalid syntax");
        err("1e400", "strconv.ParseFloat: parsing \"1e400\": value out of range");
        err("-1e400", "strconv.ParseFloat: parsing \"-1e400\": value out of range");
        err("true", "strconv.ParseFloat: parsing \"true\": invalid syntax");
    }

    #[test]
    fn round_trip_through_format_and_parse() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if !f.is_finite() {
                continue;
            }
            let s = format_go_float(f);
            assert_eq!(parse_go_float(s.as_bytes()).unwrap().to_bits(), f.to_bits(), "{s}");
        }
    }

    #[test]
    fn ints_and_conversions() {
        assert_eq!(parse_go_int(b"123"), Ok(123));
        assert_eq!(parse_go_int(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(
            parse_go_int(b"9223372036854775808").unwrap_err().0,
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
        );
        assert_eq!(go_f64_to_i64(1.9), 1);
        assert_eq!(go_f64_to_i64(-1.9), -1);
        assert_eq!(go_f64_to_i64(1e19), i64::MIN);
    }

    #[test]
    fn quoting_matches_go() {
        assert_eq!(go_quote(b"a\"b\\\n"), r#""a\"b\\\n""#);
        assert_eq!(go_quote(b"\xff\x00"), r#""\xff\x00""#);
        assert_eq!(go_quote("é".as_bytes()), "\"é\"");
    }
}

#[cfg(test)]
mod against_go {
    use super::*;

    /// Compares with Go's own `strconv` output: `F<TAB>bits<TAB>FormatFloat(g,-1)`
    /// and `P<TAB>input<TAB>bits|ERR message` lines from a small Go program
    /// (stdlib only), e.g. `ARGUS_GOFLOAT_TSV=/tmp/go.tsv cargo test -p argus-model against_go -- --ignored`.
    #[test]
    #[ignore = "needs ARGUS_GOFLOAT_TSV written by Go"]
    fn format_and_parse_match_go() {
        let Ok(path) = std::env::var("ARGUS_GOFLOAT_TSV") else { return };
        let tsv = std::fs::read_to_string(path).unwrap();
        let (mut n, mut bad) = (0, 0);
        for line in tsv.lines() {
            let mut f = line.splitn(3, '\t');
            let (kind, a, want) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
            let got = match kind {
                "F" => format_go_float(f64::from_bits(u64::from_str_radix(a, 16).unwrap())),
                _ => match parse_go_float(a.as_bytes()) {
                    Ok(v) => format!("{:016x}", v.to_bits()),
                    Err(e) => format!("ERR {}", e.0),
                },
            };
            n += 1;
            if got != want {
                bad += 1;
                if bad < 20 {
                    println!("{kind} {a}: want {want} got {got}");
                }
            }
        }
        println!("{n} compared, {bad} differ");
        assert_eq!(bad, 0);
    }
}
