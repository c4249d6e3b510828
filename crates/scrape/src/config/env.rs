//! `${VAR}` expansion of the config text (opt-in), done before YAML decoding
//! so that any field can take a secret from the environment.

use std::path::Path;

use super::error::{ConfigError, Location, Result};

/// Replaces `${NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`) using `lookup`;
/// `$${NAME}` yields the literal `${NAME}`; anything else is left alone.
pub(crate) fn expand(text: &str, path: &Path, lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    argus_model::expand_env(text, lookup).map_err(|(line, name)| ConfigError::Env {
        location: Location { path: path.to_path_buf(), line: Some(line), column: None },
        name,
    })
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
