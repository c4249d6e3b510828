//! `${VAR}` expansion of configuration text, shared by prometheus.yml and
//! alertmanager.yml (`--config.expand-env`), so secrets can stay out of files.

/// Replaces `${NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`) with `lookup(NAME)`;
/// `$${NAME}` yields the literal `${NAME}`; anything else (`$1`, `${1}`,
/// `$NAME`, an unclosed `${`) is left alone, so relabel replacements survive.
///
/// Errors with the 1-based line and the name of the first variable that
/// `lookup` does not know.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, (usize, String)> {
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
            let value = lookup(name).ok_or_else(|| (line, name.to_string()))?;
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
        let check = |input: &str, want: &str| assert_eq!(expand_env(input, look).unwrap(), want, "{input}");
        check("bearer_token: ${TOKEN}", "bearer_token: s3cret");
        check("replacement: '${1}'", "replacement: '${1}'");
        check("a: $${TOKEN}", "a: ${TOKEN}");
        check("a: $TOKEN", "a: $TOKEN");
        check("a: ${TOKEN", "a: ${TOKEN");
        assert_eq!(expand_env("a: 1\nb: ${MISSING}", look), Err((2, "MISSING".to_string())));
    }
}
