//! `${VAR}` expansion of the config text (opt-in), done before YAML decoding
//! so that any field can take a secret from the environment.

use std::path::Path;

use super::error::{ConfigError, Location, Result};

/// Replaces `${NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`) using `lookup`;
/// `$${NAME}` yields the literal `${NAME}`; anything else is left alone.
pub(crate) fn expand(text: &str, path: &Path, lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut line = 1;
    while let Some(i) = rest.find('$') {
        let (before, from_dollar) = rest.split_at(i);
        line += before.matches('\n').count();
        out.push_str(before);
        if let Some(escaped) = from_dollar.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
            continue;
        }
        if let Some(after) = from_dollar.strip_prefix("${")
            && let Some(end) = after.find('}')
            && let Some(name) = after.get(..end).filter(|n| is_var_name(n))
        {
            let value = lookup(name).ok_or_else(|| ConfigError::Env {
                location: Location { path: path.to_path_buf(), line: Some(line), column: None },
                name: name.to_string(),
            })?;
            out.push_str(&value);
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        out.push('$');
        rest = from_dollar.get(1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

fn is_var_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let look = |k: &str| (k == "TOKEN").then(|| "s3cret".to_string());
        let p = Path::new("p.yml");
        let check = |input: &str, want: &str| assert_eq!(expand(input, p, look).unwrap(), want, "{input}");
        check("bearer_token: ${TOKEN}", "bearer_token: s3cret");
        check("replacement: '${1}'", "replacement: '${1}'");
        check("replacement: '$1'", "replacement: '$1'");
        check("a: $${TOKEN}", "a: ${TOKEN}");
        check("a: $TOKEN", "a: $TOKEN");
        check("a: ${TOKEN", "a: ${TOKEN");
        let err = expand("a: 1\nb: ${MISSING}", p, look).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Env { location, name } if location.line == Some(2) && name == "MISSING"),
            "{err}"
        );
    }
}
