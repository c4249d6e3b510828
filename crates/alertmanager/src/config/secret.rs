//! Secret strings and URLs: kept in memory as written, shown as `<secret>`.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A string that must never be revealed when the configuration is shown or
/// logged; `Debug`, `Display` and `Serialize` print `<secret>` (or nothing when empty).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The real value, for the code that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no value was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "" } else { "<secret>" })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Parses an http(s) URL as Alertmanager's `config.URL` does, with its wording.
pub(crate) fn parse_url(s: &str) -> Result<String, String> {
    let (scheme, rest) = match s.split_once(':') {
        Some((scheme, rest)) if scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => {
            (scheme, rest)
        }
        _ => ("", s),
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("unsupported scheme {:?} for URL", scheme.to_ascii_lowercase()));
    }
    let host = rest.strip_prefix("//").map(|r| r.split(['/', '?', '#']).next().unwrap_or("")).unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return Err("missing host for URL".to_string());
    }
    Ok(s.to_string())
}
