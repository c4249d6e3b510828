//! Go RE2 compatibility for regexes PromQL compiles itself (`label_replace`).
//!
//! Go defines `\d \w \s \b` (and their negations) over ASCII; Rust's `regex`
//! defines them over Unicode. [`compile_anchored`] rewrites them into explicit
//! ASCII classes and anchors the pattern as Prometheus does (`^(?:re)$`).
//! `argus-model` has the same rewrite for label matchers but keeps it private.

use regex::Regex;

/// Compiles `^(?:re)$` with Go's ASCII-only Perl classes.
pub(crate) fn compile_anchored(re: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{})$", ascii_classes(re)))
}

fn ascii_classes(re: &str) -> String {
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
                // (inside a class, outside a class); empty means "keep as is".
                let (inside, outside) = match n {
                    'd' => ("0-9", "[0-9]"),
                    'D' => ("", "[^0-9]"),
                    'w' => ("0-9A-Za-z_", "[0-9A-Za-z_]"),
                    'W' => ("", "[^0-9A-Za-z_]"),
                    's' => ("\\t\\n\\x0C\\r ", "[\\t\\n\\x0C\\r ]"),
                    'S' => ("", "[^\\t\\n\\x0C\\r ]"),
                    'b' => ("", "(?-u:\\b)"),
                    'B' => ("", "(?-u:\\B)"),
                    _ => ("", ""),
                };
                let rep = if in_class { inside } else { outside };
                if rep.is_empty() {
                    out.push('\\');
                    out.push(n);
                } else {
                    out.push_str(rep);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if chars.peek() == Some(&':') => {
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

    fn check(re: &str, v: &str, want: bool) {
        assert_eq!(compile_anchored(re).unwrap().is_match(v), want, "{re} on {v:?}");
    }

    #[test]
    fn ascii_perl_classes() {
        check(r"\d+", "123", true);
        check(r"\d+", "١٢٣", false);
        check(r"\w+", "é", false);
        check(r"[\d]+x", "12x", true);
        check(r"\S+", "é", true);
        check(r"[^\]]+", "ab", true);
        check(r"(.*)", "", true);
        check("a|b", "b", true);
    }
}
