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
