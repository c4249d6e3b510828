//! Opt-in `${VAR}` expansion of alertmanager.yml before decoding, with the same
//! rules as the scrape config's `--config.expand-env`, so that secrets such as
//! the lumen seed's `${LUMEN_ALERT_TOKEN}` can come from the environment.

use std::path::Path;

use crate::error::{Error, Result};

/// How to read an alertmanager.yml.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Replace `${VAR}` with the environment variable `VAR` before parsing;
    /// `$${VAR}` stays as the literal `${VAR}`, an unset variable is an error,
    /// and `$VAR` without braces is left alone (Go templates use `$`).
    pub expand_env: bool,
}

/// Replaces `${NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`) using `lookup`.
pub(crate) fn expand(text: &str, path: &Path, lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    argus_model::expand_env(text, lookup).map_err(|(line, name)| Error::Env { path: path.to_path_buf(), line, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let look = |k: &str| (k == "TOKEN").then(|| "s3cret".to_string());
        let p = Path::new("am.yml");
        let check = |input: &str, want: &str| assert_eq!(expand(input, p, look).unwrap(), want, "{input}");
        check("credentials: ${TOKEN}", "credentials: s3cret");
        check("text: '{{ $labels.x }}'", "text: '{{ $labels.x }}'");
        check("a: $${TOKEN}", "a: ${TOKEN}");
        check("a: ${TOKEN", "a: ${TOKEN");
        let err = expand("a: 1\nb: ${MISSING}", p, look).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot expand alertmanager config am.yml:2: environment variable MISSING is not set"
        );
    }
}
