//! The HTTP client part of the resolved config: Prometheus' (common/config)
//! `HTTPClientConfig.Validate` and TLS settings, bearer tokens folded into
//! `authorization`, and the URL checks Go's `url.Parse` makes on the URLs a
//! config names (proxy, HTTP SD, remote storage).

use super::raw;
use super::resolve::Ctx;
use super::types::*;

/// The failures of Go's `url.Parse` that a config can hit, worded as Go
/// does (`parse ":x": missing protocol scheme`).
pub(crate) fn go_url_parse(url: &str) -> std::result::Result<(), String> {
    let fail = |m: String| Err(format!("parse {url:?}: {m}"));
    if url.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return fail("net/url: invalid control character in URL".to_string());
    }
    let bytes = url.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
        if *b == b'%' && !(hex(i + 1) && hex(i + 2)) {
            let bad: String = url.get(i..).unwrap_or("").chars().take(3).collect();
            return fail(format!("invalid URL escape {bad:?}"));
        }
    }
    let no_fragment = url.split('#').next().unwrap_or("");
    let (scheme, rest) = match go_scheme(no_fragment) {
        Ok(x) => x,
        Err(m) => return fail(m.to_string()),
    };
    let rest = rest.split('?').next().unwrap_or("");
    if scheme.is_empty() && !rest.starts_with('/') {
        let first = rest.split('/').next().unwrap_or("");
        if first.contains(':') {
            return fail("first path segment in URL cannot contain colon".to_string());
        }
    }
    if let Some(auth_and_path) = rest.strip_prefix("//") {
        let authority = auth_and_path.split('/').next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        let port = if let Some(after_bracket) = host.strip_prefix('[') {
            match after_bracket.split_once(']') {
                Some((_, after)) => after,
                None => return fail("missing ']' in host".to_string()),
            }
        } else {
            host.rfind(':').and_then(|i| host.get(i..)).unwrap_or("")
        };
        if !port.is_empty() {
            let digits = port.strip_prefix(':').unwrap_or("x");
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return fail(format!("invalid port {port:?} after host"));
            }
        }
    }
    Ok(())
}

/// Go's `getScheme`.
fn go_scheme(s: &str) -> std::result::Result<(&str, &str), &'static str> {
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme"),
            ':' => return Ok((s.get(..i).unwrap_or(""), s.get(i + 1..).unwrap_or(""))),
            _ => return Ok(("", s)),
        }
    }
    Ok(("", s))
}

/// Splits a URL into (scheme, host) the way Go's `url.Parse` would see them.
pub(super) fn split_url(url: &str) -> (String, String) {
    let Some((scheme, rest)) = url.split_once(':') else {
        return (String::new(), String::new());
    };
    let valid_scheme = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !valid_scheme {
        return (String::new(), String::new());
    }
    let host = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .map(|h| h.rsplit('@').next().unwrap_or(""))
        .unwrap_or("");
    (scheme.to_lowercase(), host.to_string())
}

pub(super) fn resolve_tls(t: Option<raw::TlsConfig>, ctx: &Ctx) -> std::result::Result<TlsConfig, String> {
    let t = t.unwrap_or_default();
    let version = |v: &Option<String>| -> std::result::Result<Option<TlsVersion>, String> {
        Ok(match v.as_deref() {
            None | Some("") => None,
            Some("TLS10") => Some(TlsVersion::Tls10),
            Some("TLS11") => Some(TlsVersion::Tls11),
            Some("TLS12") => Some(TlsVersion::Tls12),
            Some("TLS13") => Some(TlsVersion::Tls13),
            Some(other) => return Err(format!("unknown TLS version: {other}")),
        })
    };
    let min_version = version(&t.min_version)?;
    let max_version = version(&t.max_version)?;
    // A certificate without its key (or the reverse) is not a load error in
    // 2.42: promtool reports it (see `check_files`) and the client fails later.
    Ok(TlsConfig {
        ca_file: ctx.join_opt(&t.ca_file),
        cert_file: ctx.join_opt(&t.cert_file),
        key_file: ctx.join_opt(&t.key_file),
        server_name: t.server_name.filter(|s| !s.is_empty()),
        insecure_skip_verify: t.insecure_skip_verify.map(|b| b.0).unwrap_or(false),
        min_version,
        max_version,
    })
}

/// Prometheus' `HTTPClientConfig.Validate`, folding bearer tokens into `authorization`.
pub(super) fn resolve_http_client(h: raw::HttpClient, ctx: &Ctx) -> std::result::Result<HttpClientConfig, String> {
    let bearer = h.bearer_token.clone().filter(|s| !s.is_empty());
    let bearer_file = h.bearer_token_file.clone().filter(|s| !s.is_empty());
    if bearer.is_some() && bearer_file.is_some() {
        return Err("at most one of bearer_token & bearer_token_file must be configured".to_string());
    }
    if (h.basic_auth.is_some() || h.oauth2.is_some()) && (bearer.is_some() || bearer_file.is_some()) {
        return Err(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".to_string()
        );
    }
    if let Some(b) = &h.basic_auth
        && b.password.as_deref().is_some_and(|p| !p.is_empty())
        && b.password_file.as_deref().is_some_and(|p| !p.is_empty())
    {
        return Err("at most one of basic_auth password & password_file must be configured".to_string());
    }
    let authorization = match &h.authorization {
        Some(a) => {
            if bearer.is_some() || bearer_file.is_some() {
                return Err("authorization is not compatible with bearer_token & bearer_token_file".to_string());
            }
            let creds = a.credentials.clone().filter(|s| !s.is_empty());
            let creds_file = a.credentials_file.clone().filter(|s| !s.is_empty());
            if creds.is_some() && creds_file.is_some() {
                return Err(
                    "at most one of authorization credentials & credentials_file must be configured".to_string()
                );
            }
            let mut kind = a.kind.as_deref().unwrap_or("").trim().to_string();
            if kind.is_empty() {
                kind = "Bearer".to_string();
            }
            if kind.eq_ignore_ascii_case("basic") {
                return Err(r#"authorization type cannot be set to "basic", use "basic_auth" instead"#.to_string());
            }
            if h.basic_auth.is_some() || h.oauth2.is_some() {
                return Err("at most one of basic_auth, oauth2 & authorization must be configured".to_string());
            }
            Some(Authorization { kind, credentials: creds, credentials_file: creds_file.map(|f| ctx.join(&f)) })
        }
        None => match (bearer, bearer_file) {
            (Some(t), _) => {
                Some(Authorization { kind: "Bearer".to_string(), credentials: Some(t), credentials_file: None })
            }
            (None, Some(f)) => Some(Authorization {
                kind: "Bearer".to_string(),
                credentials: None,
                credentials_file: Some(ctx.join(&f)),
            }),
            (None, None) => None,
        },
    };
    let oauth2 = match h.oauth2 {
        Some(o) => {
            if h.basic_auth.is_some() {
                return Err("at most one of basic_auth, oauth2 & authorization must be configured".to_string());
            }
            let client_id = o.client_id.clone().unwrap_or_default();
            let secret = o.client_secret.clone().filter(|s| !s.is_empty());
            let secret_file = o.client_secret_file.clone().filter(|s| !s.is_empty());
            let token_url = o.token_url.clone().unwrap_or_default();
            if client_id.is_empty() {
                return Err("oauth2 client_id must be configured".to_string());
            }
            if secret.is_none() && secret_file.is_none() {
                return Err("either oauth2 client_secret or client_secret_file must be configured".to_string());
            }
            if token_url.is_empty() {
                return Err("oauth2 token_url must be configured".to_string());
            }
            if secret.is_some() && secret_file.is_some() {
                return Err("at most one of oauth2 client_secret & client_secret_file must be configured".to_string());
            }
            Some(OAuth2 {
                client_id,
                client_secret: secret,
                client_secret_file: secret_file.map(|f| ctx.join(&f)),
                scopes: o.scopes.unwrap_or_default(),
                token_url,
                endpoint_params: o.endpoint_params.unwrap_or_default(),
                tls_config: resolve_tls(o.tls_config, ctx)?,
                proxy_url: o.proxy_url.filter(|s| !s.is_empty()),
            })
        }
        None => None,
    };
    if let Some(p) = h.proxy_url.as_deref() {
        go_url_parse(p)?;
    }
    Ok(HttpClientConfig {
        basic_auth: h.basic_auth.map(|b| BasicAuth {
            username: b.username.unwrap_or_default(),
            password: b.password.filter(|s| !s.is_empty()),
            password_file: ctx.join_opt(&b.password_file),
        }),
        authorization,
        oauth2,
        tls_config: resolve_tls(h.tls_config, ctx)?,
        proxy_url: h.proxy_url.filter(|s| !s.is_empty()),
        follow_redirects: h.follow_redirects.unwrap_or(true),
        enable_http2: h.enable_http2.unwrap_or(true),
    })
}
