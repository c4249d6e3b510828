//! Relabeling regexes with Go RE2 semantics: fully anchored (`^(?:re)$`) as
//! Prometheus compiles them. The pattern is translated before Rust's `regex`
//! sees it, so that Go's syntax and meaning win where the two differ: `\d \w
//! \s \b` stay ASCII-only, `\Q...\E` quotes, `\123` is octal, any escaped
//! ASCII punctuation is literal, `{,3}` is literal text, while `(?<name>`,
//! repeat counts over 1000, nested repetition and unknown escapes are errors
//! with Go's message (`error parsing regexp: invalid escape sequence: `\C``).

use regex::Regex;

/// Marker for Go's "missing closing )" (its message shows the whole anchored regex).
const MISSING_PAREN: &str = "missing closing )";

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
        let translated = go_to_rust(source).map_err(|m| match m.as_str() {
            MISSING_PAREN => format!("error parsing regexp: missing closing ): `^(?:{source})$`"),
            _ => format!("error parsing regexp: {m}"),
        })?;
        let anchored = format!("^(?:{translated})$");
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

/// Go's repeat count `{n}`, `{n,}` or `{n,m}` at the start of `s`: its
/// length in bytes and whether it is valid (counts at most 1000, n <= m).
/// `None` if `s` does not start with repeat syntax (then `{` is a literal).
fn repeat_count(s: &str) -> Option<(usize, bool)> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let inner = body.get(..end)?;
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner, None),
    };
    let num = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse::<u64>().unwrap_or(u64::MAX))
    };
    let lo = num(lo)?;
    let hi = match hi {
        None => Some(lo),
        Some("") => None,
        Some(h) => Some(num(h)?),
    };
    let valid = lo <= 1000 && hi.is_none_or(|h| h <= 1000 && lo <= h);
    Some((end + 2, valid))
}

fn is_repeat_op(c: char) -> bool {
    matches!(c, '*' | '+' | '?')
}

/// Translates a Go regexp into an equivalent Rust one; `Err` is Go's
/// message for patterns Go rejects (without the `error parsing regexp: ` prefix).
fn go_to_rust(src: &str) -> Result<String, String> {
    let mut out = String::with_capacity(src.len() + 16);
    let mut rest = src;
    let mut in_class = false;
    let mut class_start = false;
    let mut class_open_at = 0;
    // Whether the previous item can take a repetition operator, and whether it already has one.
    let mut can_repeat = false;
    let mut repeated: Option<String> = None;
    let mut lazy_used = false;
    while let Some(c) = rest.chars().next() {
        let after = rest.get(c.len_utf8()..).unwrap_or("");
        if in_class {
            match c {
                '\\' => {
                    let (text, used) = class_escape(after)?;
                    out.push_str(&text);
                    rest = after.get(used..).unwrap_or("");
                }
                '[' if after.starts_with(':') => {
                    let end = after.find(":]").map(|i| i + 2).unwrap_or(after.len());
                    out.push('[');
                    out.push_str(after.get(..end).unwrap_or(""));
                    rest = after.get(end..).unwrap_or("");
                }
                '[' => {
                    out.push_str("\\[");
                    rest = after;
                }
                ']' if !class_start => {
                    in_class = false;
                    out.push(']');
                    rest = after;
                    can_repeat = true;
                    repeated = None;
                }
                _ => {
                    out.push(c);
                    rest = after;
                }
            }
            class_start = false;
            continue;
        }
        // A repetition operator: check what it applies to.
        let repeat_len = if is_repeat_op(c) {
            Some((1, true))
        } else if c == '{' {
            repeat_count(rest)
        } else {
            None
        };
        if let Some((len, valid)) = repeat_len {
            let op = rest.get(..len).unwrap_or("");
            if !valid {
                return Err(format!("invalid repeat count: `{op}`"));
            }
            if let Some(prev) = &repeated {
                // One `?` right after a repetition makes it lazy; anything else nests.
                let lazy = c == '?' && !lazy_used;
                if !lazy {
                    return Err(format!("invalid nested repetition operator: `{prev}{op}`"));
                }
                lazy_used = true;
            } else if !can_repeat {
                return Err(format!("missing argument to repetition operator: `{op}`"));
            }
            if repeated.is_none() {
                lazy_used = false;
            }
            out.push_str(op);
            repeated = Some(format!("{}{op}", repeated.take().unwrap_or_default()));
            rest = rest.get(len..).unwrap_or("");
            continue;
        }
        repeated = None;
        match c {
            '\\' => {
                let (text, used, repeatable) = escape(after)?;
                out.push_str(&text);
                rest = after.get(used..).unwrap_or("");
                can_repeat = repeatable;
            }
            '[' => {
                in_class = true;
                class_start = true;
                class_open_at = src.len() - rest.len();
                out.push('[');
                rest = after;
                if let Some(r) = rest.strip_prefix('^') {
                    out.push('^');
                    rest = r;
                }
            }
            '(' => {
                out.push('(');
                rest = after;
                if let Some(flags) = after.strip_prefix('?') {
                    let end = if flags.starts_with("P<") { flags.find('>') } else { flags.find([':', ')']) };
                    let body = end.and_then(|e| flags.get(..e)).unwrap_or("");
                    let named = flags.starts_with("P<") && end.is_some();
                    if !named && (end.is_none() || !body.chars().all(|f| matches!(f, 'i' | 'm' | 's' | 'U' | '-'))) {
                        let shown: String = flags.chars().take(1).collect();
                        return Err(format!("invalid or unsupported Perl syntax: `(?{shown}`"));
                    }
                    let used = 1 + end.unwrap_or(0) + 1;
                    out.push_str(after.get(..used).unwrap_or(""));
                    rest = after.get(used..).unwrap_or("");
                }
                can_repeat = false;
            }
            '{' => {
                // Not a valid repeat: a literal brace in Go.
                out.push_str("\\{");
                rest = after;
                can_repeat = true;
            }
            '|' => {
                out.push('|');
                rest = after;
                can_repeat = false;
            }
            '^' | '$' => {
                out.push(c);
                rest = after;
                can_repeat = true;
            }
            _ => {
                out.push(c);
                rest = after;
                can_repeat = true;
            }
        }
    }
    if in_class {
        return Err(format!("missing closing ]: `{})$`", src.get(class_open_at..).unwrap_or("")));
    }
    Ok(out)
}

/// An escape outside a character class (the text after the backslash):
/// (Rust text, bytes used, whether it can be repeated).
fn escape(after: &str) -> Result<(String, usize, bool), String> {
    let Some(n) = after.chars().next() else {
        return Err("trailing backslash at end of expression: ``".to_string());
    };
    let ascii = |s: &str| Ok((s.to_string(), 1, true));
    match n {
        'd' => ascii("[0-9]"),
        'D' => ascii("[^0-9]"),
        'w' => ascii("[0-9A-Za-z_]"),
        'W' => ascii("[^0-9A-Za-z_]"),
        's' => ascii(r"[\t\n\f\r ]"),
        'S' => ascii(r"[^\t\n\f\r ]"),
        'b' => Ok((r"(?-u:\b)".to_string(), 1, false)),
        'B' => Ok((r"(?-u:\B)".to_string(), 1, false)),
        'A' | 'z' => Ok((format!("\\{n}"), 1, false)),
        'Q' => {
            let body = after.get(1..).unwrap_or("");
            let Some(e) = body.find("\\E") else {
                // Go's `\Q` then swallows the `)$` Prometheus appends.
                return Err(MISSING_PAREN.to_string());
            };
            let (lit, used) = (body.get(..e).unwrap_or(""), 1 + e + 2);
            if lit.is_empty() {
                return Ok((String::new(), used, false));
            }
            Ok((format!("(?:{})", regex::escape(lit)), used, true))
        }
        _ => {
            let (text, used) = common_escape(after)?;
            Ok((text, used, true))
        }
    }
}

/// An escape inside a character class: (Rust text, bytes used).
fn class_escape(after: &str) -> Result<(String, usize), String> {
    let Some(n) = after.chars().next() else {
        return Err("missing closing ]".to_string());
    };
    let t = |s: &str| Ok((s.to_string(), 1));
    match n {
        'd' => t("0-9"),
        'D' => t("[:^digit:]"),
        'w' => t("0-9A-Za-z_"),
        'W' => t("[:^word:]"),
        's' => t(r"\t\n\f\r "),
        'S' => t("[:^space:]"),
        _ => common_escape(after),
    }
}

/// Escapes valid both in and out of classes: punctuation, control letters,
/// octal, hex, Unicode classes. Anything else is Go's invalid escape.
fn common_escape(after: &str) -> Result<(String, usize), String> {
    let Some(n) = after.chars().next() else {
        return Err("trailing backslash at end of expression: ``".to_string());
    };
    match n {
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((regex::escape(&c.to_string()), 1)),
        'a' | 'f' | 't' | 'n' | 'r' | 'v' => Ok((format!("\\{n}"), 1)),
        'p' | 'P' | 'x' => {
            // Unicode classes and hex escapes mean the same in both; copy them.
            let len = if after.get(1..).is_some_and(|r| r.starts_with('{')) {
                after.find('}').map(|i| i + 1).unwrap_or(after.len())
            } else {
                (if n == 'x' { 3 } else { 2 }).min(after.len())
            };
            Ok((format!("\\{}", after.get(..len).unwrap_or("")), len))
        }
        '0'..='7' => {
            let digits = after.bytes().take(3).take_while(|b| (b'0'..=b'7').contains(b)).count();
            if n != '0' && digits < 2 {
                return Err(format!("invalid escape sequence: `\\{n}`"));
            }
            let value = u32::from_str_radix(after.get(..digits).unwrap_or("0"), 8).unwrap_or(0);
            Ok((format!("\\x{{{value:x}}}"), digits))
        }
        c => Err(format!("invalid escape sequence: `\\{c}`")),
    }
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
        check(r"\Qa.b\E", "a.b", true);
        check(r"\Qa.b\E", "axb", false);
        check(r"x\Q*\E", "x*", true);
        check(r"\12", "\n", true);
        check(r"\_\ \-", "_ -", true);
        check("a{,3}", "a{,3}", true);
        check("a{2}", "aa", true);
        check("a*?b", "aab", true);
        check("(?i)A", "a", true);
        check("(?P<n>a)", "a", true);
        check(r"\pL+", "é", true);
        check("[a-c]+", "abc", true);
        #[track_caller]
        fn bad(re: &str, msg: &str) {
            assert_eq!(RelabelRegex::new(re).unwrap_err(), format!("error parsing regexp: {msg}"), "{re}");
        }
        bad("(?<n>a)", "invalid or unsupported Perl syntax: `(?<`");
        bad("(?z)", "invalid or unsupported Perl syntax: `(?z`");
        bad("a{1001}", "invalid repeat count: `{1001}`");
        bad("x{2,1}", "invalid repeat count: `{2,1}`");
        bad("a**", "invalid nested repetition operator: `**`");
        bad("*", "missing argument to repetition operator: `*`");
        bad(r"\1", r"invalid escape sequence: `\1`");
        bad(r"\C", r"invalid escape sequence: `\C`");
        bad(r"\Z", r"invalid escape sequence: `\Z`");
        bad(r"\E", r"invalid escape sequence: `\E`");
        bad("[a", "missing closing ]: `[a)$`");
        bad(r"a\Qb", r"missing closing ): `^(?:a\Qb)$`");
        bad("a???", "invalid nested repetition operator: `???`");
        check("a??", "", true);
    }
}
