//! JSON shapes of the Prometheus v1 API, byte-compatible with 2.42: the
//! `{"status":"success","data":...}` envelope, timestamps as seconds with
//! exactly the fraction Prometheus prints, values as strings in Go's format.

use std::fmt::Write as _;

use argus_model::Labels;
use argus_promql::Value;

/// Seconds with up to three fraction digits, as Prometheus' `marshalTimestamp`
/// writes them (`1.5` s is `1.500`, whole seconds have no fraction).
pub(crate) fn timestamp(out: &mut String, t: i64) {
    let (neg, t) = if t < 0 { (true, t.unsigned_abs()) } else { (false, t as u64) };
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{}", t / 1000);
    let frac = t % 1000;
    if frac != 0 {
        let _ = write!(out, ".{frac:03}");
    }
}

/// A sample value as Prometheus' API writes it: a JSON string holding Go's
/// `strconv.FormatFloat(v, 'f' or 'e', -1, 64)`, `NaN`, `+Inf` or `-Inf`.
pub(crate) fn value_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let abs = v.abs();
    if abs != 0.0 && ((abs as f32) < 1e-6 || (abs as f32) >= 1e21) {
        go_exp(v)
    } else {
        // Rust's Display is the shortest round-trip form without an exponent,
        // which is what Go's 'f' with precision -1 prints.
        format!("{v}")
    }
}

/// Go's `'e'` format with shortest precision: `1e-07`, `1.5e+21`.
fn go_exp(v: f64) -> String {
    let s = format!("{v:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    let pad = if digits.len() < 2 { "0" } else { "" };
    format!("{mant}e{sign}{pad}{digits}")
}

pub(crate) fn string(out: &mut String, s: &str) {
    // serde_json's escaping matches Go's encoding/json for valid UTF-8
    // except for <, > and & (Go escapes them as \u003c, ...); do the same.
    let js = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    for c in js.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

pub(crate) fn labels(out: &mut String, ls: &Labels) {
    out.push('{');
    for (i, l) in ls.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, &l.name);
        out.push(':');
        string(out, &l.value);
    }
    out.push('}');
}

fn point(out: &mut String, t: i64, v: f64) {
    out.push('[');
    timestamp(out, t);
    out.push_str(",\"");
    out.push_str(&value_string(v));
    out.push_str("\"]");
}

/// `{"resultType":...,"result":...}` for a query value.
pub(crate) fn query_data(out: &mut String, v: &Value) {
    out.push_str("{\"resultType\":\"");
    out.push_str(v.type_name());
    out.push_str("\",\"result\":");
    match v {
        Value::Scalar(s) => point(out, s.t, s.v),
        Value::String { t, v } => {
            out.push('[');
            timestamp(out, *t);
            out.push(',');
            string(out, v);
            out.push(']');
        }
        Value::Vector(samples) => {
            out.push('[');
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                labels(out, &s.labels);
                out.push_str(",\"value\":");
                point(out, s.t, s.v);
                out.push('}');
            }
            out.push(']');
        }
        Value::Matrix(series) => {
            out.push('[');
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                labels(out, &s.labels);
                out.push_str(",\"values\":[");
                for (j, p) in s.points.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    point(out, p.t, p.v);
                }
                out.push_str("]}");
            }
            out.push(']');
        }
        _ => out.push_str("null"),
    }
    out.push('}');
}

/// The success envelope around already-encoded `data`, with optional warnings.
pub(crate) fn success(data: &str, warnings: &[String]) -> String {
    let mut out = String::with_capacity(data.len() + 64);
    out.push_str("{\"status\":\"success\",\"data\":");
    out.push_str(data);
    if !warnings.is_empty() {
        out.push_str(",\"warnings\":[");
        for (i, w) in warnings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(&mut out, w);
        }
        out.push(']');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_like_prometheus() {
        let f = |t| {
            let mut s = String::new();
            timestamp(&mut s, t);
            s
        };
        assert_eq!(f(1_500), "1.500");
        assert_eq!(f(1_000), "1");
        assert_eq!(f(1_005), "1.005");
        assert_eq!(f(-1_500), "-1.500");
        assert_eq!(f(1_672_617_600_781), "1672617600.781");
    }

    #[test]
    fn values_like_go() {
        assert_eq!(value_string(1.0), "1");
        assert_eq!(value_string(0.1), "0.1");
        assert_eq!(value_string(1234567.0), "1234567");
        assert_eq!(value_string(1e-7), "1e-07");
        assert_eq!(value_string(1.5e21), "1.5e+21");
        assert_eq!(value_string(1e20), "100000000000000000000");
        assert_eq!(value_string(-0.000001), "-0.000001");
        assert_eq!(value_string(f64::NAN), "NaN");
        assert_eq!(value_string(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value_string(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn strings_escape_like_go() {
        let mut s = String::new();
        string(&mut s, "a<b>&\"\n");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\n""#);
    }
}
