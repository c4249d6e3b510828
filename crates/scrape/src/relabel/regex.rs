//! Relabeling regexes with Go RE2 semantics: fully anchored (`^(?:re)$`) as
//! Prometheus compiles them, and with `\d \w \s \b` kept ASCII-only as in Go,
//! where Rust's defaults are Unicode-aware.

use regex::Regex;

/// A compiled, fully anchored relabeling regex and the text the user wrote.
#[derive(Debug, Clone)]
pub struct RelabelRegex {
    source: String,
    re: Regex,
}

impl RelabelRegex {
    /// Compiles `source` as Prometheus does; the error is Go-shaped
    /// (`error parsing regexp: ...`).
    pub fn new(source: &str) -> Result<Self, String> {
        let anchored = format!("^(?:{})$", go_to_rust(source));
        let re = Regex::new(&anchored).map_err(|e| go_error(&e, source))?;
        Ok(RelabelRegex { source: source.to_string(), re })
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The anchored, compiled regex.
    pub fn regex(&self) -> &Regex {
        &self.re
    }

    /// Whether `s` matches entirely.
    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

impl PartialEq for RelabelRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Words a compile error as Go's `regexp.Compile` does for the common cases
/// (`error parsing regexp: missing closing ): `^(?:(a)$``).
fn go_error(e: &regex::Error, source: &str) -> String {
    let text = e.to_string();
    let last = text.lines().rev().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or(text.as_str());
    let code = match last {
        "unclosed group" => "missing closing )",
        "unopened group" => "unexpected )",
        "unclosed character class" => "missing closing ]",
        "repetition operator missing expression" => "missing argument to repetition operator",
        "invalid escape sequence" | "unrecognized escape sequence" => "invalid escape sequence",
        "invalid repetition count range, the start must be <= the end" | "decimal literal invalid" => {
            "invalid repeat count"
        }
        other => other,
    };
    format!("error parsing regexp: {code}: `^(?:{source})$`")
}

/// Rewrites Perl classes to their ASCII meaning in Go.
fn go_to_rust(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (n, in_class) {
                    ('d', false) => Some("[0-9]"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some(r"[\t\n\f\r ]"),
                    ('S', false) => Some(r"[^\t\n\f\r ]"),
                    ('b', false) => Some(r"(?-u:\b)"),
                    ('B', false) => Some(r"(?-u:\B)"),
                    ('d', true) => Some("0-9"),
                    ('D', true) => Some("[:^digit:]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', true) => Some("[:^word:]"),
                    ('s', true) => Some(r"\t\n\f\r "),
                    ('S', true) => Some("[:^space:]"),
                    _ => None,
                };
                match rep {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                class_start = false;
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class like [:alpha:] inside a bracket expression.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
                class_start = false;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            '[' if in_class => {
                // Go treats a nested '[' as a literal; Rust would open a nested class.
                out.push_str(r"\[");
                class_start = false;
            }
            _ => {
                out.push(c);
                class_start = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_semantics() {
        fn check(re: &str, s: &str, want: bool) {
            assert_eq!(RelabelRegex::new(re).unwrap().is_match(s), want, "{re} ~ {s}");
        }
        check("a", "a", true);
        check("a", "ba", false);
        check("a|b", "b", true);
        check(r"\d+", "123", true);
        check(r"\d+", "١٢٣", false);
        check(r"\w+", "é", false);
        check(r"[\w.]+", "a.b", true);
        check(r"[^\d]+", "abc", true);
        check(r"\s", "\u{a0}", false);
        check(r"\\d", r"\d", true);
        check("[]a]+", "]a", true);
        check("[[:alpha:]]+", "ab", true);
        check("(.*)", "", true);
        check("", "", true);
        check("", "x", false);
        assert!(RelabelRegex::new("(a").unwrap_err().starts_with("error parsing regexp"));
    }
}
