//! TLS (CA file, insecure_skip_verify, server_name) and credentials
//! (bearer from a file, basic auth), checked by the target itself.

mod common;

use std::sync::{Arc, Mutex};

use argus_scrape::Health;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use common::*;
use tokio::io::AsyncWriteExt;

/// An HTTPS target on 127.0.0.1 with a self-signed certificate for `names`;
/// returns its address and the certificate PEM.
async fn tls_target(names: &[&str]) -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let pem = ck.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let addr = serve_raw(move |s| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(s).await else { return };
            let mut head = Vec::new();
            let mut b = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tokio::io::AsyncReadExt::read(&mut tls, &mut b).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&b[..n]),
                }
            }
            let body = "tls_metric 1\n";
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(resp.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    })
    .await;
    (addr, pem)
}

fn job(name: &str, target: &str, extra: &str) -> String {
    format!("- job_name: {name}\n  scheme: https\n  static_configs: [{{targets: ['{target}']}}]\n{extra}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_ca_file_insecure_and_server_name() {
    let (ip_target, ip_pem) = tls_target(&["127.0.0.1"]).await;
    let (named_target, named_pem) = tls_target(&["argus.test"]).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ip_pem).unwrap();
    let named_ca = dir.path().join("named.pem");
    std::fs::write(&named_ca, &named_pem).unwrap();
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\nscrape_configs:\n{}{}{}{}{}",
        job("ca", &ip_target, &format!("  tls_config: {{ca_file: '{}'}}\n", ca.display())),
        job("insecure", &named_target, "  tls_config: {insecure_skip_verify: true}\n"),
        job(
            "server_name",
            &named_target,
            &format!("  tls_config: {{ca_file: '{}', server_name: argus.test}}\n", named_ca.display())
        ),
        job("wrong_name", &named_target, &format!("  tls_config: {{ca_file: '{}'}}\n", named_ca.display())),
        job("no_ca", &ip_target, ""),
    );
    let (m, st) = manager(&y).await;
    for job in ["ca", "insecure", "server_name"] {
        eventually(job, || (!series(&st, "tls_metric", &[("job", job)]).is_empty()).then_some(())).await;
    }
    let wants = [
        (
            "wrong_name",
            format!("Get \"https://{named_target}/metrics\": x509: certificate is valid for argus.test, not 127.0.0.1"),
        ),
        ("no_ca", format!("Get \"https://{ip_target}/metrics\": x509: certificate signed by unknown authority")),
    ];
    for (job, want) in wants {
        let err = eventually(job, || {
            m.targets(argus_scrape::TargetState::Active)
                .active_targets
                .into_iter()
                .find(|t| t.scrape_pool == job && t.health == Health::Down)
                .map(|t| t.last_error)
        })
        .await;
        assert_eq!(err, want, "{job}");
        assert!(series(&st, "tls_metric", &[("job", job)]).is_empty());
    }
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_and_basic_auth_checked_by_target() {
    let seen = Arc::new(Mutex::new(Vec::<HeaderMap>::new()));
    let s = seen.clone();
    let router = axum::Router::new()
        .route(
            "/bearer",
            get(|h: HeaderMap| async move {
                if h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some("Bearer s3cret") {
                    (StatusCode::OK, "authed 1\n")
                } else {
                    (StatusCode::UNAUTHORIZED, "no\n")
                }
            }),
        )
        .route(
            "/basic",
            get(move |h: HeaderMap| {
                s.lock().unwrap().push(h.clone());
                async move {
                    // "user:pw" in base64.
                    if h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some("Basic dXNlcjpwdw==") {
                        (StatusCode::OK, "basic_authed 1\n")
                    } else {
                        (StatusCode::UNAUTHORIZED, "no\n")
                    }
                }
            }),
        );
    let addr = serve(router).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "pw").unwrap();
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\nscrape_configs:\n\
         - job_name: good\n  metrics_path: /bearer\n  authorization: {{credentials_file: '{}'}}\n  static_configs: [{{targets: ['{addr}']}}]\n\
         - job_name: bad\n  metrics_path: /bearer\n  bearer_token: wrong\n  static_configs: [{{targets: ['{addr}']}}]\n\
         - job_name: basic\n  metrics_path: /basic\n  basic_auth: {{username: user, password_file: '{}'}}\n  static_configs: [{{targets: ['{addr}']}}]\n",
        token.display(),
        pw.display()
    );
    let (m, st) = manager(&y).await;
    eventually("bearer", || (!series(&st, "authed", &[("job", "good")]).is_empty()).then_some(())).await;
    eventually("basic", || (!series(&st, "basic_authed", &[]).is_empty()).then_some(())).await;
    let err = eventually("bad token fails", || {
        m.targets(argus_scrape::TargetState::Active)
            .active_targets
            .into_iter()
            .find(|t| t.scrape_pool == "bad" && t.health == Health::Down)
            .map(|t| t.last_error)
    })
    .await;
    assert_eq!(err, "server returned HTTP status 401 Unauthorized");
    // The scrape request's headers, as Prometheus 2.42 sends them.
    let h = seen.lock().unwrap()[0].clone();
    assert_eq!(h.get(header::ACCEPT).unwrap(), argus_model::exposition::SCRAPE_ACCEPT_HEADER);
    assert_eq!(h.get("x-prometheus-scrape-timeout-seconds").unwrap(), "0.1");
    assert_eq!(h.get(header::ACCEPT_ENCODING).unwrap(), "gzip");
    m.stop().await;
}

/// OAuth2 client credentials: the token server checks the client's
/// credentials and form, hands out `tok<n>` valid for 11 s (1 s once Go's
/// 10 s expiry margin is taken off), and the target sees the bearer token,
/// cached across scrapes and renewed once it expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_is_fetched_cached_and_refreshed() {
    use axum::routing::post;
    let issued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let forms = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let (i, f) = (issued.clone(), forms.clone());
    let token_server = serve(axum::Router::new().route(
        "/token",
        post(move |h: HeaderMap, body: String| {
            let (i, f) = (i.clone(), f.clone());
            async move {
                let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                f.lock().unwrap().push((auth.clone(), body));
                // "client:s3cret" in base64.
                if auth != "Basic Y2xpZW50OnMzY3JldA==" {
                    return (StatusCode::UNAUTHORIZED, String::from(r#"{"error":"invalid_client"}"#));
                }
                let n = i.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                (StatusCode::OK, format!(r#"{{"access_token":"tok{n}","token_type":"bearer","expires_in":11}}"#))
            }
        }),
    ))
    .await;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    let target = serve(axum::Router::new().route(
        "/metrics",
        get(move |h: HeaderMap| {
            let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            s.lock().unwrap().push(auth.clone());
            async move {
                if auth.starts_with("Bearer tok") {
                    (StatusCode::OK, "oauth_metric 1\n")
                } else {
                    (StatusCode::UNAUTHORIZED, "no\n")
                }
            }
        }),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let y = format!(
        "global: {{scrape_interval: 200ms, scrape_timeout: 200ms}}\nscrape_configs:\n\
         - job_name: oauth\n  static_configs: [{{targets: ['{target}']}}]\n  oauth2:\n    client_id: client\n    \
         client_secret_file: '{}'\n    scopes: [read, write]\n    token_url: 'http://{token_server}/token'\n    \
         endpoint_params: {{audience: argus}}\n",
        secret.display()
    );
    let (m, st) = manager(&y).await;
    eventually("scraped with a token", || (!series(&st, "oauth_metric", &[]).is_empty()).then_some(())).await;
    assert_eq!(seen.lock().unwrap()[0], "Bearer tok1");
    let (_, form) = forms.lock().unwrap()[0].clone();
    assert_eq!(form, "grant_type=client_credentials&scope=read+write&audience=argus");
    // Several scrapes share tok1, then tok2 replaces it after expiry.
    eventually("token refreshed", || seen.lock().unwrap().iter().any(|a| a == "Bearer tok2").then_some(())).await;
    let seen = seen.lock().unwrap().clone();
    let first = seen.iter().filter(|a| *a == "Bearer tok1").count();
    assert!(first >= 3, "tok1 cached across scrapes, used {first} times: {seen:?}");
    assert!(seen.iter().all(|a| a.starts_with("Bearer tok")), "{seen:?}");

    // A wrong secret: the scrape fails with the token endpoint's answer.
    std::fs::write(&secret, "wrong").unwrap();
    let err = eventually("token request fails", || {
        m.targets(argus_scrape::TargetState::Active)
            .active_targets
            .into_iter()
            .find(|t| t.health == Health::Down)
            .map(|t| t.last_error)
    })
    .await;
    assert!(err.contains("oauth2: cannot fetch token: 401 Unauthorized"), "{err}");
    m.stop().await;
}
