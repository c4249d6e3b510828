//! The email integration's SMTP session against an in-test server that
//! offers STARTTLS (with a required client certificate) and
//! `AUTH CRAM-MD5 PLAIN LOGIN`: the mechanism Alertmanager 0.25 would pick
//! (the first in the server's list whose secret is configured), the
//! CRAM-MD5 exchange of RFC 2195, and `tls_config.cert_file`/`key_file`.

use std::sync::Arc;

use argus_alertmanager::{Config, drill};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use parking_lot::Mutex;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What the server saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    commands: Vec<String>,
    /// Decoded AUTH exchanges: (mechanism, what the client sent).
    auth: Vec<(String, String)>,
    client_cert: bool,
    data: String,
}

/// RFC 2195's example challenge, so the expected reply is the RFC's.
const CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

struct Pki {
    ca_pem: String,
    server: rustls::ServerConfig,
    client_cert_pem: String,
    client_key_pem: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server_cert =
        CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&server_key, &issuer).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert =
        CertificateParams::new(vec!["argus".to_string()]).unwrap().signed_by(&client_key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .build()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert.der().clone()], key)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server,
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

async fn line(r: &mut BufReader<Box<dyn Io>>) -> String {
    let mut l = String::new();
    r.read_line(&mut l).await.unwrap();
    l.trim_end().to_string()
}

async fn reply(r: &mut BufReader<Box<dyn Io>>, text: &str) {
    r.get_mut().write_all(text.as_bytes()).await.unwrap();
    r.get_mut().flush().await.unwrap();
}

fn b64(s: &str) -> String {
    B64.encode(s)
}

fn unb64(s: &str) -> String {
    String::from_utf8(B64.decode(s).unwrap()).unwrap()
}

/// One SMTP session; `tls` offers STARTTLS with `pki`'s server config.
async fn session(sock: tokio::net::TcpStream, tls: Option<Arc<rustls::ServerConfig>>, seen: Arc<Mutex<Seen>>) {
    let mut r: BufReader<Box<dyn Io>> = BufReader::new(Box::new(sock));
    reply(&mut r, "220 test ESMTP\r\n").await;
    let mut encrypted = false;
    loop {
        let cmd = line(&mut r).await;
        if cmd.is_empty() {
            return;
        }
        seen.lock().commands.push(cmd.clone());
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let starttls = if tls.is_some() && !encrypted { "250-STARTTLS\r\n" } else { "" };
            reply(&mut r, &format!("250-test\r\n{starttls}250 AUTH CRAM-MD5 PLAIN LOGIN\r\n")).await;
        } else if upper == "STARTTLS" {
            reply(&mut r, "220 go ahead\r\n").await;
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(tls.as_ref().unwrap()));
            let stream = acceptor.accept(r.into_inner()).await.unwrap();
            seen.lock().client_cert = stream.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
            r = BufReader::new(Box::new(stream));
            encrypted = true;
        } else if upper == "AUTH CRAM-MD5" {
            reply(&mut r, &format!("334 {}\r\n", b64(CHALLENGE))).await;
            let answer = unb64(&line(&mut r).await);
            seen.lock().auth.push(("CRAM-MD5".into(), answer));
            reply(&mut r, "235 ok\r\n").await;
        } else if let Some(creds) = cmd.strip_prefix("AUTH PLAIN ") {
            seen.lock().auth.push(("PLAIN".into(), unb64(creds).replace('\0', "|")));
            reply(&mut r, "235 ok\r\n").await;
        } else if upper == "AUTH LOGIN" {
            reply(&mut r, &format!("334 {}\r\n", b64("Username:"))).await;
            let user = unb64(&line(&mut r).await);
            reply(&mut r, &format!("334 {}\r\n", b64("Password:"))).await;
            let pass = unb64(&line(&mut r).await);
            seen.lock().auth.push(("LOGIN".into(), format!("{user}|{pass}")));
            reply(&mut r, "235 ok\r\n").await;
        } else if upper == "DATA" {
            reply(&mut r, "354 go\r\n").await;
            loop {
                let l = line(&mut r).await;
                if l == "." {
                    break;
                }
                seen.lock().data.push_str(&l);
                seen.lock().data.push('\n');
            }
            reply(&mut r, "250 queued\r\n").await;
        } else if upper == "QUIT" {
            reply(&mut r, "221 bye\r\n").await;
            return;
        } else {
            reply(&mut r, "250 ok\r\n").await;
        }
    }
}

async fn smtp_server(tls: Option<rustls::ServerConfig>) -> (String, Arc<Mutex<Seen>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let tls = tls.map(Arc::new);
    let s = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            tokio::spawn(session(sock, tls.clone(), Arc::clone(&s)));
        }
    });
    (addr, seen)
}

async fn send(email_config: &str) -> Vec<argus_alertmanager::DrillResult> {
    let yaml = format!(
        "route: {{receiver: mail}}\nreceivers:\n- name: mail\n  email_configs:\n  - {{to: ops@example.org, from: am@example.org, {email_config}}}\n"
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    drill(&cfg, Some("mail")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_client_certificate_and_cram_md5() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let (ca, cert, key) = (
        write("ca.pem", &pki.ca_pem),
        write("client.pem", &pki.client_cert_pem),
        write("client.key", &pki.client_key_pem),
    );
    let (addr, seen) = smtp_server(Some(pki.server)).await;
    let res = send(&format!(
        "smarthost: '{addr}', auth_username: tim, auth_secret: tanstaaftanstaaf, auth_password: pw, \
         tls_config: {{ca_file: '{ca}', cert_file: '{cert}', key_file: '{key}', server_name: localhost}}"
    ))
    .await;
    assert!(res.iter().all(|r| r.ok), "{res:?}");
    let seen = seen.lock().clone();
    assert!(seen.client_cert, "the client certificate was presented: {seen:?}");
    assert!(seen.commands.iter().any(|c| c == "STARTTLS"), "{seen:?}");
    // CRAM-MD5 comes first in the server's list and has its secret: RFC 2195's answer.
    assert_eq!(seen.auth, vec![("CRAM-MD5".to_string(), "tim b913a602c7eda7a495b4e6e7334d3890".to_string())]);
    assert!(seen.data.contains("Subject: [FIRING:1]"), "{}", seen.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mechanism_is_the_first_with_a_secret() {
    // No auth_secret: CRAM-MD5 is skipped and PLAIN (next in the list) is used,
    // with the identity; localhost may authenticate without TLS, as in Go.
    let (addr, seen) = smtp_server(None).await;
    let res =
        send(&format!("smarthost: '{addr}', require_tls: false, auth_username: u, auth_password: p, auth_identity: i"))
            .await;
    assert!(res.iter().all(|r| r.ok), "{res:?}");
    assert_eq!(seen.lock().auth, vec![("PLAIN".to_string(), "i|u|p".to_string())]);
    assert!(!seen.lock().commands.iter().any(|c| c == "STARTTLS"));

    // Neither a secret nor a password: no mechanism fits; the error lists why.
    let (addr, _) = smtp_server(None).await;
    let res = send(&format!("smarthost: '{addr}', require_tls: false, auth_username: u")).await;
    assert!(!res[0].ok);
    assert!(res[0].error.contains("missing secret for CRAM-MD5 auth mechanism"), "{res:?}");
    assert!(res[0].error.contains("missing password for PLAIN auth mechanism"), "{res:?}");

    // require_tls (the default) against a server without STARTTLS fails.
    let (addr, _) = smtp_server(None).await;
    let res = send(&format!("smarthost: '{addr}', auth_username: u, auth_password: p")).await;
    assert!(res[0].error.contains("does not advertise the STARTTLS extension"), "{res:?}");
}
