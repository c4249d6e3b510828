//! Parser glue: from Prometheus 2.42 query text to a `promql-parser` AST.
//!
//! `promql-parser` follows Prometheus 3.x, so two adjustments happen here
//! before and after its parse:
//!
//! * `holt_winters(` (2.42's name) is rewritten to
//!   `double_exponential_smoothing(` (3.x's name for the same function), and
//!   the evaluator treats that AST node as `holt_winters`.
//! * Functions and aggregators that exist only in 3.x (`first_over_time`,
//!   `mad_over_time`, `limitk`, `info`, `double_exponential_smoothing` spelled
//!   out, ...) are rejected with 2.42's error for any unknown name,
//!   `unknown function with name "<name>"`, positioned at the name.
//!   3.x-only selector syntax (`{"a" or "b"}` alternatives) is rejected too.
//!
//! The scan that finds function names skips string literals and comments, so
//! a label value or comment that happens to spell a function name is left alone.
//! When `promql-parser` rejects a query, `syntax::explain` re-reads it with
//! 2.42's lexer, grammar and type rules to report the first error with its
//! `line:col` and 2.42's wording; only if that check finds nothing does the
//! message fall back to `promql-parser`'s own wording, without a position.

use std::time::UNIX_EPOCH;

use promql_parser::parser::{self, AtModifier, Expr};

use crate::error::{Error, Result};
use crate::syntax;

/// 2.42's spelling of 3.x's `double_exponential_smoothing`.
const HOLT_WINTERS: &str = "holt_winters";
/// The AST name that stands for `holt_winters`.
pub(crate) const DOUBLE_EXP_SMOOTHING: &str = "double_exponential_smoothing";

/// Names `promql-parser` accepts as calls that Prometheus 2.42 does not know.
const ONLY_IN_3X: &[&str] = &[
    "double_exponential_smoothing",
    "first_over_time",
    "histogram_avg",
    "histogram_quantiles",
    "histogram_stddev",
    "histogram_stdvar",
    "info",
    "integral",
    "mad_over_time",
    "max_of",
    "min_of",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
    "start_timestamp",
    "sort_by_label",
    "sort_by_label_desc",
    "limitk",
    "limit_ratio",
    "step",
    "range",
];

/// Parses 2.42 query text into an AST the evaluator understands.
pub(crate) fn parse(query: &str) -> Result<Expr> {
    let text = rewrite_function_names(query)?;
    // `promql-parser` can panic on some inputs (e.g. a numeric duration too
    // large for `Duration`); query text is untrusted, so contain that here.
    let parsed = std::panic::catch_unwind(|| parser::parse(&text))
        .map_err(|_| Error::Parse("parse error: invalid query".into()))?;
    let expr = parsed.map_err(|e| {
        // Prometheus 2.42 names the position; `promql-parser` does not, so
        // the 2.42 check re-reads the text to find it.
        Error::Parse(syntax::explain(query).unwrap_or_else(|| format!("parse error: {}", prometheus_wording(&e))))
    })?;
    check_2_42(&expr)?;
    Ok(expr)
}

/// Rewords `promql-parser` messages the way Prometheus 2.42 words them
/// (type names, quoting), for the common cases where only the wording differs.
fn prometheus_wording(msg: &str) -> String {
    let mut m = msg.to_string();
    for (from, to) in [
        ("expected type matrix", "expected type range vector"),
        ("expected type vector", "expected type instant vector"),
        ("got matrix", "got range vector"),
        ("got vector", "got instant vector"),
        ("type scalar in aggregation expression", "type scalar in aggregation parameter"),
        ("type string in aggregation expression", "type string in aggregation parameter"),
        ("unexpected end of input inside brackets", "unclosed left bracket"),
        ("of type scalar or vector, got: matrix", "of type scalar or instant vector, got \"range vector\""),
    ] {
        m = m.replace(from, to);
    }
    // Prometheus quotes names with Go's %q: double quotes.
    for prefix in ["function ", "with name ", "operator ", "call to "] {
        if let Some(i) = m.find(&format!("{prefix}'")) {
            let start = i + prefix.len();
            if let Some(len) = m[start + 1..].find('\'') {
                let name = m[start + 1..start + 1 + len].to_string();
                m.replace_range(start..start + len + 2, &format!("\"{name}\""));
            }
        }
    }
    m
}

/// What the scanner saw last, to spot numbers where 2.42 wants a duration.
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// `[` or a `:` inside brackets: a range or subquery step follows.
    RangeStart,
    /// `offset`, possibly followed by `-`.
    Offset,
    Other,
}

fn parse_err(query: &str, pos: usize, msg: &str) -> Error {
    let (line, col) = line_col(query, pos);
    Error::Parse(format!("{line}:{col}: parse error: {msg}"))
}

/// Renames `holt_winters(` and rejects 3.x-only syntax that `promql-parser`
/// accepts: 3.x-only calls, and bare numbers as ranges, steps or offsets
/// (`x[300]`, `x offset 300`). Strings and comments are skipped.
fn rewrite_function_names(query: &str) -> Result<String> {
    let b = query.as_bytes();
    let mut out = String::with_capacity(query.len() + 16);
    let mut i = 0;
    let mut last_copied = 0;
    let mut prev = Prev::Other;
    let mut in_brackets = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                i = skip_string(b, i);
                prev = Prev::Other;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' => {
                in_brackets = true;
                prev = Prev::RangeStart;
                i += 1;
            }
            b']' => {
                in_brackets = false;
                prev = Prev::Other;
                i += 1;
            }
            b':' if in_brackets => {
                prev = Prev::RangeStart;
                i += 1;
            }
            b'-' if prev == Prev::Offset => i += 1,
            c if c.is_ascii_whitespace() => i += 1,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                    i += 1;
                }
                let name = &query[start..i];
                prev = if name == "offset" { Prev::Offset } else { Prev::Other };
                if !is_call(b, i) {
                    continue;
                }
                let after_at = prev_non_space(b, start) == Some(b'@');
                if name == HOLT_WINTERS {
                    out.push_str(&query[last_copied..start]);
                    out.push_str(DOUBLE_EXP_SMOOTHING);
                    last_copied = i;
                } else if ONLY_IN_3X.contains(&name) || (matches!(name, "start" | "end") && !after_at) {
                    let (line, col) = line_col(query, start);
                    return Err(Error::Parse(format!(
                        "{line}:{col}: parse error: unknown function with name \"{name}\""
                    )));
                }
            }
            c if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                // Consume the whole number or duration, so `5m` is not read as an identifier `m`.
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'.'
                        || (matches!(b[i], b'+' | b'-') && matches!(b[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
                let tok = &query[start..i];
                let bare_number = tok.parse::<f64>().is_ok() || tok.starts_with("0x");
                match prev {
                    Prev::RangeStart if bare_number => {
                        return Err(parse_err(query, start, "missing unit character in duration"));
                    }
                    Prev::Offset if bare_number => {
                        return Err(parse_err(
                            query,
                            start,
                            &format!("unexpected number \"{tok}\" in offset, expected duration"),
                        ));
                    }
                    _ => {}
                }
                prev = Prev::Other;
            }
            _ => {
                prev = Prev::Other;
                i += 1;
            }
        }
    }
    out.push_str(&query[last_copied..]);
    Ok(out)
}

fn skip_string(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\\' && q != b'`' {
            i += 2;
            continue;
        }
        if b[i] == q {
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn is_call(b: &[u8], mut i: usize) -> bool {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    b.get(i) == Some(&b'(')
}

fn prev_non_space(b: &[u8], mut i: usize) -> Option<u8> {
    while i > 0 {
        i -= 1;
        if !b[i].is_ascii_whitespace() {
            return Some(b[i]);
        }
    }
    None
}

fn line_col(q: &str, pos: usize) -> (usize, usize) {
    let before = &q[..pos];
    let line = before.matches('\n').count() + 1;
    let col = pos - before.rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

/// Rejects 3.x-only constructs that survive `promql-parser`.
fn check_2_42(expr: &Expr) -> Result<()> {
    let bad = |m: &str| Err(Error::Parse(format!("parse error: {m}")));
    let or_matchers = |m: &promql_parser::label::Matchers| {
        if m.or_matchers.is_empty() { Ok(()) } else { bad("unexpected \"or\" in label matching") }
    };
    match expr {
        Expr::VectorSelector(vs) => {
            or_matchers(&vs.matchers)?;
            check_at(&vs.at)
        }
        Expr::MatrixSelector(ms) => {
            or_matchers(&ms.vs.matchers)?;
            check_at(&ms.vs.at)
        }
        Expr::Aggregate(a) => {
            check_2_42(&a.expr)?;
            a.param.as_deref().map_or(Ok(()), check_2_42)
        }
        Expr::Unary(u) => check_2_42(&u.expr),
        Expr::Binary(b) => {
            if b.modifier.as_ref().is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some()) {
                return bad("unexpected fill modifier");
            }
            check_2_42(&b.lhs)?;
            check_2_42(&b.rhs)
        }
        Expr::Paren(p) => check_2_42(&p.expr),
        Expr::Subquery(s) => {
            check_at(&s.at)?;
            check_2_42(&s.expr)
        }
        Expr::Call(c) => c.args.args.iter().try_for_each(|a| check_2_42(a)),
        Expr::Extension(_) => bad("unsupported expression"),
        _ => Ok(()),
    }
}

/// Rejects `@` times whose milliseconds do not fit an int64, as 2.42 does
/// (`promql-parser` saturates them instead).
fn check_at(at: &Option<AtModifier>) -> Result<()> {
    let Some(AtModifier::At(st)) = at else { return Ok(()) };
    let ms = match st.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis(),
        Err(e) => e.duration().as_millis(),
    };
    if ms >= i64::MAX as u128 / 1000 * 1000 {
        let secs = ms as f64 / 1000.0;
        return Err(Error::Parse(format!("1:1: parse error: timestamp out of bounds for @ modifier: {secs:.6}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holt_winters_is_mapped_and_3x_names_rejected() {
        assert!(parse("holt_winters(x[5m], 0.5, 0.5)").is_ok());
        assert!(parse(r#"x{a="holt_winters("}"#).is_ok());
        let e = parse("sum(x) + mad_over_time(x[5m])").unwrap_err();
        assert_eq!(e.to_string(), "1:10: parse error: unknown function with name \"mad_over_time\"");
        assert!(parse("double_exponential_smoothing(x[5m], 0.5, 0.5)").is_err());
        assert!(parse("limitk(2, x)").is_err());
        assert!(parse("x @ start()").is_ok());
        assert!(parse("start()").is_err());
        assert!(parse("rate(x[5m])").is_ok());
        assert_eq!(
            parse("rate(x)").unwrap_err().to_string(),
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"
        );
        assert_eq!(
            parse("x offset 300").unwrap_err().to_string(),
            "1:10: parse error: unexpected number \"300\" in offset, expected duration"
        );
        assert_eq!(parse("x[300]").unwrap_err().to_string(), "1:3: parse error: missing unit character in duration");
    }
}
