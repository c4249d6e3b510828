//! Alertmanager's matcher syntax (`foo="bar"`, `foo=~"a|b"`, `foo!=bar`,
//! `{a="b",c=~"d"}`) and ordered matcher lists.
//!
//! The parser follows Alertmanager 0.25's `pkg/labels/parse.go` character for
//! character, including its quirks: the outer `{`/`}` are optional, values may be
//! unquoted, `\n`, `\"` and `\\` are the only escapes (any other backslash is
//! literal), and a comma splits matchers only outside double quotes.

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use argus_model::{Labels, MatchOp, Matcher};
use regex::Regex;

use crate::error::{Error, Result};

static MATCHER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$")
        .expect("invariant: the matcher regex is valid")
});

/// Parses a comma-separated list of matchers, optionally inside `{...}`.
pub fn parse_matchers(s: &str) -> Result<Vec<Matcher>> {
    let s = s.strip_prefix('{').unwrap_or(s);
    let s = s.strip_suffix('}').unwrap_or(s);
    let mut tokens = Vec::new();
    let mut token = String::new();
    let (mut inside_quotes, mut escaped) = (false, false);
    for c in s.chars() {
        match c {
            ',' if !inside_quotes => {
                tokens.push(std::mem::take(&mut token));
                continue;
            }
            ',' => {}
            '"' => {
                if escaped {
                    escaped = false;
                } else {
                    inside_quotes = !inside_quotes;
                }
            }
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        token.push(c);
    }
    let last = token.trim();
    if !last.is_empty() {
        tokens.push(last.to_string());
    }
    tokens.iter().map(|t| parse_matcher(t)).collect()
}

/// Parses one matcher such as `foo=~"a|b"` or `foo=bar`.
pub fn parse_matcher(s: &str) -> Result<Matcher> {
    let caps = MATCHER_RE.captures(s).ok_or_else(|| Error::Matcher(format!("bad matcher format: {s}")))?;
    let (name, op, raw) = match (caps.get(1), caps.get(2), caps.get(3)) {
        (Some(n), Some(o), Some(v)) => (n.as_str(), o.as_str(), v.as_str()),
        _ => return Err(Error::Matcher(format!("bad matcher format: {s}"))),
    };
    let unescaped_quote = || Error::Matcher(format!("matcher value contains unescaped double quote: {raw}"));
    let (body, mut expect_trailing_quote) = match raw.strip_prefix('"') {
        Some(b) => (b, true),
        None => (raw, false),
    };
    let mut value = String::with_capacity(body.len());
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        let last = i + c.len_utf8() == body.len();
        if escaped {
            escaped = false;
            match c {
                'n' => value.push('\n'),
                '"' | '\\' => value.push(c),
                _ => {
                    value.push('\\');
                    value.push(c);
                }
            }
            continue;
        }
        match c {
            '\\' if !last => escaped = true,
            '\\' => value.push('\\'),
            '"' => {
                if !expect_trailing_quote || !last {
                    return Err(unescaped_quote());
                }
                expect_trailing_quote = false;
            }
            _ => value.push(c),
        }
    }
    if expect_trailing_quote {
        return Err(unescaped_quote());
    }
    let op = match op {
        "=" => MatchOp::Equal,
        "!=" => MatchOp::NotEqual,
        "=~" => MatchOp::Re,
        _ => MatchOp::NotRe,
    };
    new_matcher(op, name, &value)
}

/// Builds a matcher, wording a bad regex as Go's `regexp` package would start it.
pub(crate) fn new_matcher(op: MatchOp, name: &str, value: &str) -> Result<Matcher> {
    Matcher::new(op, name, value).map_err(|e| match e {
        argus_model::Error::BadRegex { reason, .. } => Error::Matcher(go_regexp_error(&reason, value)),
        other => Error::Matcher(other.to_string()),
    })
}

/// Words a Rust regex syntax error as Go's `regexp.Compile` would for the
/// anchored pattern `^(?:value)$`, for the common mistakes; others keep Rust's text.
fn go_regexp_error(reason: &str, value: &str) -> String {
    let rust = reason.lines().rev().find(|l| l.starts_with("error:")).map(|l| l.trim_start_matches("error:").trim());
    let full = format!("^(?:{value})$");
    let (what, arg) = match rust.unwrap_or(reason) {
        "unclosed group" => ("missing closing )".to_string(), full.clone()),
        "unopened group" => ("unexpected )".to_string(), full.clone()),
        "unclosed character class" => {
            let from = full.rfind('[').unwrap_or(0);
            ("missing closing ]".to_string(), full.get(from..).unwrap_or(&full).to_string())
        }
        "repetition operator missing expression" => {
            let op = value.chars().find(|c| "*+?".contains(*c)).map(String::from).unwrap_or_default();
            ("missing argument to repetition operator".to_string(), op)
        }
        other => (other.to_string(), full.clone()),
    };
    format!("error parsing regexp: {what}: `{arg}`")
}

/// An ordered list of matchers that all have to match, as Alertmanager's
/// `labels.Matchers`; displayed as `{a="b",c=~"d"}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matchers(pub Vec<Matcher>);

impl Matchers {
    /// Whether every matcher accepts `labels` (a missing label has the value `""`).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.0.iter().all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
    }

    /// Sorts by name, then value, then match type, as Alertmanager does.
    pub fn sort(&mut self) {
        self.0.sort_by(cmp_matcher);
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of matchers.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

fn op_rank(op: MatchOp) -> u8 {
    match op {
        MatchOp::Equal => 0,
        MatchOp::NotEqual => 1,
        MatchOp::Re => 2,
        MatchOp::NotRe => 3,
    }
}

fn cmp_matcher(a: &Matcher, b: &Matcher) -> Ordering {
    a.name.cmp(&b.name).then_with(|| a.value.cmp(&b.value)).then_with(|| op_rank(a.op).cmp(&op_rank(b.op)))
}

/// Writes one matcher as Alertmanager's `Matcher.String()`: the value in double
/// quotes with only `\`, newline and `"` escaped.
pub fn matcher_string(m: &Matcher) -> String {
    let mut v = String::with_capacity(m.value.len() + 2);
    for c in m.value.chars() {
        match c {
            '\\' => v.push_str("\\\\"),
            '\n' => v.push_str("\\n"),
            '"' => v.push_str("\\\""),
            c => v.push(c),
        }
    }
    format!("{}{}\"{}\"", m.name, m.op, v)
}

impl fmt::Display for Matchers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&matcher_string(m))?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, want: std::result::Result<&str, &str>) {
        let got = parse_matchers(input).map(|v| Matchers(v).to_string()).map_err(|e| e.am_message());
        assert_eq!(got, want.map(|s| s.to_string()).map_err(|s| s.to_string()), "input {input:?}");
    }

    // Cases from Alertmanager 0.25's pkg/labels/parse_test.go and the docs.
    #[test]
    fn parse_table() {
        check(r#"{foo="bar"}"#, Ok(r#"{foo="bar"}"#));
        check(r#"{foo=~"bar.*"}"#, Ok(r#"{foo=~"bar.*"}"#));
        check(r#"{foo!="bar"}"#, Ok(r#"{foo!="bar"}"#));
        check(r#"{foo!~"bar.*"}"#, Ok(r#"{foo!~"bar.*"}"#));
        check(r#"{foo="bar", baz!="quux"}"#, Ok(r#"{foo="bar",baz!="quux"}"#));
        check(r#"{foo="bar", baz!~"quux.*"}"#, Ok(r#"{foo="bar",baz!~"quux.*"}"#));
        check(r#"{foo="bar",baz!~".*quux", derp="wat"}"#, Ok(r#"{foo="bar",baz!~".*quux",derp="wat"}"#));
        check(r#"{foo="bar", instance=~"some-api.*"}"#, Ok(r#"{foo="bar",instance=~"some-api.*"}"#));
        check(r#"{foo=""}"#, Ok(r#"{foo=""}"#));
        check(r#"{foo="bar,quux", job="job1"}"#, Ok(r#"{foo="bar,quux",job="job1"}"#));
        check(r#"{foo = "bar", dings != "bums", }"#, Ok(r#"{foo="bar",dings!="bums"}"#));
        check(r#"foo=bar,dings!=bums"#, Ok(r#"{foo="bar",dings!="bums"}"#));
        check(
            r#"{quote="She said: \"Hi, ladies! That's gender-neutral…\""}"#,
            Ok(r#"{quote="She said: \"Hi, ladies! That's gender-neutral…\""}"#),
        );
        check(r#"statuscode=~"5..""#, Ok(r#"{statuscode=~"5.."}"#));
        check(r#"tags=~"^(?:.*,)?dev(?:,.*)?$""#, Ok(r#"{tags=~"^(?:.*,)?dev(?:,.*)?$"}"#));
        check(r#"tags=~"\\d""#, Ok(r#"{tags=~"\\d"}"#));
        check(r#"trickier==\\=\=\""#, Ok(r#"{trickier="=\\=\\=\""}"#));
        check(
            r#"contains_quote != "\"" , contains_comma !~ "foo,bar" , "#,
            Ok(r#"{contains_quote!="\"",contains_comma!~"foo,bar"}"#),
        );
        check(r#"union="quan_tum""#, Ok(r#"{union="quan_tum"}"#));
        check(r#"foo=bar}"#, Ok(r#"{foo="bar"}"#));
        check(r#"{foo=bar}}"#, Ok(r#"{foo="bar}"}"#));
        check(r#"foo:bar="baz""#, Ok(r#"{foo:bar="baz"}"#));
        check("severity = \"page\"", Ok(r#"{severity="page"}"#));
        check(r#"{foo=\n}"#, Ok("{foo=\"\\n\"}"));
        check(r#"{foo=~"invalid[regexp"}"#, Err("error parsing regexp: missing closing ]: `[regexp)$`"));
        check(r#"{foo="bar"baz"}"#, Err(r#"matcher value contains unescaped double quote: "bar"baz""#));
        check(r#"{foo="bar\"}"#, Err(r#"matcher value contains unescaped double quote: "bar\""#));
        check(r#"{foo=bar"}"#, Err(r#"matcher value contains unescaped double quote: bar""#));
        check(r#"{foo}"#, Err("bad matcher format: foo"));
        check(r#"{foo=bar,,baz=qux}"#, Err("bad matcher format: "));
        check(r#"a b"#, Err("bad matcher format: a b"));
        check(r#"{}"#, Ok("{}"));
    }

    #[test]
    fn sorting_and_matching() {
        let mut m = Matchers(parse_matchers(r#"b="1", a=~"x|y", a="z""#).unwrap());
        m.sort();
        assert_eq!(m.to_string(), r#"{a=~"x|y",a="z",b="1"}"#);
        assert!(!m.matches(&Labels::from_pairs([("a", "z"), ("b", "1")])));
        let m = Matchers(parse_matchers(r#"a!="", b!~"c""#).unwrap());
        assert!(m.matches(&Labels::from_pairs([("a", "z")])));
        assert!(!m.matches(&Labels::empty()));
    }
}
