//! Label matchers: `=`, `!=`, `=~`, `!~` with Prometheus semantics.
//!
//! Regexes are fully anchored (`^(?:re)$`) as in Prometheus, and the Perl
//! classes `\d \w \s \b` are rewritten to their ASCII forms because Go's RE2,
//! which Prometheus uses, defines them over ASCII while Rust's `regex` crate
//! defines them over Unicode. A matcher is applied to a label's value, where an
//! absent label has the value `""`.

use std::fmt;

use regex::Regex;

use crate::error::{Error, Result};

/// The comparison a [`Matcher`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Re,
    /// `!~`
    NotRe,
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Re => "=~",
            MatchOp::NotRe => "!~",
        })
    }
}

/// A label matcher, e.g. `job=~"api|web"`.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The comparison.
    pub op: MatchOp,
    /// The label name.
    pub name: String,
    /// The value or pattern as written.
    pub value: String,
    re: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.op == o.op && self.name == o.name && self.value == o.value
    }
}

impl Matcher {
    /// Builds a matcher; regex matchers compile their anchored pattern here.
    pub fn new(op: MatchOp, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let value = value.into();
        let re = match op {
            MatchOp::Re | MatchOp::NotRe => Some(compile_anchored(&value).map_err(|e| Error::BadRegex {
                name: name.clone(),
                pattern: value.clone(),
                reason: e.to_string(),
            })?),
            _ => None,
        };
        Ok(Matcher { op, name, value, re })
    }

    /// An equality matcher (never fails).
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher { op: MatchOp::Equal, name: name.into(), value: value.into(), re: None }
    }

    /// Whether label value `v` (`""` when the label is absent) satisfies the matcher.
    pub fn matches(&self, v: &str) -> bool {
        match self.op {
            MatchOp::Equal => v == self.value,
            MatchOp::NotEqual => v != self.value,
            MatchOp::Re => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::NotRe => !self.re.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }

    /// Whether the matcher accepts series that lack the label.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut q = String::new();
        crate::labels::go_quote_into(&mut q, &self.value);
        write!(f, "{}{}{}", self.name, self.op, q)
    }
}

/// Compiles `^(?:re)$` after translating Go RE2's ASCII-only Perl classes.
pub fn compile_anchored(re: &str) -> std::result::Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{})$", go_classes_to_ascii(re)))
}

/// Rewrites `\d \D \w \W \s \S \b \B` into explicit ASCII forms so that the Rust
/// engine matches what Go's RE2 matches.
fn go_classes_to_ascii(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 16);
    let mut in_class = false;
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let (inside, outside) = match n {
                    'd' => ("0-9", "[0-9]"),
                    'D' => ("", "[^0-9]"),
                    'w' => ("0-9A-Za-z_", "[0-9A-Za-z_]"),
                    'W' => ("", "[^0-9A-Za-z_]"),
                    's' => ("\\t\\n\\x0C\\r ", "[\\t\\n\\x0C\\r ]"),
                    'S' => ("", "[^\\t\\n\\x0C\\r ]"),
                    'b' if !in_class => ("", "(?-u:\\b)"),
                    'B' if !in_class => ("", "(?-u:\\B)"),
                    _ => ("", ""),
                };
                if in_class && !inside.is_empty() {
                    out.push_str(inside);
                } else if !in_class && !outside.is_empty() {
                    out.push_str(outside);
                } else {
                    out.push('\\');
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` and a leading `]` belong to the class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class like [:alpha:]; copy through to the closing `:]`.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: MatchOp, pat: &str, v: &str, want: bool) {
        let m = Matcher::new(op, "l", pat).unwrap();
        assert_eq!(m.matches(v), want, "{m} on {v:?}");
    }

    #[test]
    fn anchored_and_ascii_classes() {
        check(MatchOp::Re, "a.*", "abc", true);
        check(MatchOp::Re, "b", "abc", false);
        check(MatchOp::Re, "a|b", "b", true);
        check(MatchOp::Re, r"\d+", "123", true);
        check(MatchOp::Re, r"\d+", "١٢٣", false); // Arabic-Indic digits: Unicode \d only
        check(MatchOp::Re, r"\w+", "é", false);
        check(MatchOp::Re, r"[\d]+x", "12x", true);
        check(MatchOp::Re, r"\s", "\u{a0}", false);
        check(MatchOp::Re, r"\S+", "é", true);
        check(MatchOp::Re, r"[^\]]+", "ab", true);
        check(MatchOp::NotRe, "", "", false);
        check(MatchOp::NotRe, "", "x", true);
        check(MatchOp::NotEqual, "x", "", true);
        check(MatchOp::Re, r"(?i)FOO", "foo", true);
        check(MatchOp::Re, r"[[:alpha:]]+", "abc", true);
    }

    #[test]
    fn bad_regex_names_the_matcher() {
        let e = Matcher::new(MatchOp::Re, "job", "(").unwrap_err().to_string();
        assert!(e.contains("job=~\"(\""), "{e}");
    }

    #[test]
    fn empty_match() {
        assert!(Matcher::new(MatchOp::Re, "l", "|a").unwrap().matches_empty());
        assert!(!Matcher::equal("l", "a").matches_empty());
    }
}
