//! Series descriptions of the test scripts: `name{l="v"} 1+2x3 _ stale 4`,
//! and the number and duration syntax they use.

use argus_model::{Labels, METRIC_NAME, stale_nan};

/// Parses a Prometheus duration such as `5m`, `1h30m`, `100ms`, `0s` into ms.
pub fn parse_duration(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n: i64 = s.get(start..i)?.parse().ok()?;
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let mult = match s.get(ustart..i)? {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    Some(total)
}

/// Parses a number the way the scripts write them: Go integer literals with
/// base prefixes first, then floats including `Inf` and `NaN` in any case.
pub fn parse_number(s: &str) -> Option<f64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bn) = lower.strip_prefix("0b") {
        i64::from_str_radix(bn, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit()) {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        None
    };
    let v = match int {
        Some(i) => i as f64,
        None => match lower.as_str() {
            "inf" | "infinity" => f64::INFINITY,
            "nan" => f64::NAN,
            l if l.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-')) && !l.is_empty() => {
                l.parse::<f64>().ok()?
            }
            _ => return None,
        },
    };
    Some(if neg { -v } else { v })
}

/// Splits `labels values...` and parses the label set.
pub fn parse_series(line: &str) -> Result<(Labels, Vec<Option<f64>>), String> {
    let (labels, rest) = parse_labels(line)?;
    let mut values = Vec::new();
    for tok in rest.split_whitespace() {
        expand_value(tok, &mut values)?;
    }
    Ok((labels, values))
}

/// Parses the leading metric notation of a line; returns it and the rest.
pub fn parse_labels(line: &str) -> Result<(Labels, &str), String> {
    let original = line;
    let line = line.trim();
    // Prometheus' wording and position when the label set does not lex.
    let lex_error = |fallback: String| crate::syntax::metric_lex_error(original).unwrap_or(fallback);
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).unwrap_or(line.len());
    let name = &line[..name_end];
    let mut pairs: Vec<(String, String)> = Vec::new();
    if !name.is_empty() {
        pairs.push((METRIC_NAME.to_string(), name.to_string()));
    }
    let mut rest = &line[name_end..];
    if rest.starts_with('{') {
        let close = find_close(rest).ok_or_else(|| lex_error(format!("unclosed label set in {line:?}")))?;
        parse_pairs(&rest[1..close], &mut pairs).map_err(lex_error)?;
        rest = &rest[close + 1..];
    }
    Ok((Labels::from_pairs(pairs), rest))
}

fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_pairs(s: &str, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let mut rest = s.trim();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(|| format!("bad label pair in {s:?}"))?;
        let name = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let (value, used) = unquote(after).ok_or_else(|| format!("bad label value in {s:?}"))?;
        out.push((name, value));
        rest = after[used..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(())
}

/// Reads one quoted string at the start of `s`; returns it and the bytes used.
fn unquote(s: &str) -> Option<(String, usize)> {
    let mut chars = s.char_indices();
    let (_, q) = chars.next()?;
    if !matches!(q, '"' | '\'' | '`') {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if c == q {
            return Some((out, i + c.len_utf8()));
        }
        if c == '\\' && q != '`' {
            let (_, e) = chars.next()?;
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (0..n).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    None
}

fn expand_value(tok: &str, out: &mut Vec<Option<f64>>) -> Result<(), String> {
    let bad = || format!("invalid value {tok:?}");
    if tok == "_" {
        out.push(None);
        return Ok(());
    }
    if tok == "stale" {
        out.push(Some(stale_nan()));
        return Ok(());
    }
    let Some((head, times)) =
        tok.rsplit_once('x').filter(|(h, t)| !h.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty())
    else {
        out.push(Some(parse_number(tok).ok_or_else(bad)?));
        return Ok(());
    };
    let k: usize = times.parse().map_err(|_| bad())?;
    if head == "_" {
        out.extend(std::iter::repeat_n(None, k));
        return Ok(());
    }
    // Find the `+`/`-` between A and B (not a sign, not an exponent's).
    let hb = head.as_bytes();
    let op = (1..hb.len()).find(|&i| matches!(hb[i], b'+' | b'-') && !matches!(hb[i - 1], b'e' | b'E'));
    let (start, step) = match op {
        Some(i) => {
            let a = if &head[..i] == "stale" { stale_nan() } else { parse_number(&head[..i]).ok_or_else(bad)? };
            let b = parse_number(&head[i + 1..]).ok_or_else(bad)?;
            (a, if hb[i] == b'-' { -b } else { b })
        }
        None => (parse_number(head).ok_or_else(bad)?, 0.0),
    };
    let mut v = start;
    out.push(Some(v));
    for _ in 0..k {
        if step != 0.0 {
            v += step;
        }
        out.push(Some(v));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str, want: &[Option<f64>]) {
        let (_, got) = parse_series(&format!("x {s}")).unwrap();
        assert_eq!(got, want, "{s}");
    }

    #[test]
    fn expansions() {
        check("1+2x3", &[Some(1.0), Some(3.0), Some(5.0), Some(7.0)]);
        check("1-1x2", &[Some(1.0), Some(0.0), Some(-1.0)]);
        check("-2+4x1", &[Some(-2.0), Some(2.0)]);
        check("_x2 1x1", &[None, None, Some(1.0), Some(1.0)]);
        check("1e3", &[Some(1000.0)]);
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        let (ls, _) = parse_labels(r#"m{a="x}", b='y',} 1"#).unwrap();
        assert_eq!(ls.to_string(), r#"{__name__="m", a="x}", b="y"}"#);
    }
}
