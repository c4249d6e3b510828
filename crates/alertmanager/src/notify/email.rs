//! The email integration over SMTP (Alertmanager 0.25's `notify/email`):
//! port 465 means implicit TLS, otherwise `require_tls` (default true)
//! demands STARTTLS and `false` sends in the clear; TLS uses `tls_config`
//! (CA, client certificate and key, server name, skip-verify). When a
//! username is set, the first mechanism of the server's AUTH list that has
//! its secret configured is used, as Go's `auth()`: CRAM-MD5 (`auth_secret`),
//! PLAIN (`auth_identity`, password; refused on an unencrypted connection
//! to anything but localhost, as Go's `smtp.PlainAuth`) or LOGIN. `From`,
//! `To` and `Subject` default to the configured addresses and
//! `email.default.subject`; every header and both bodies (text first, then
//! HTML, as multipart/alternative) are expanded from templates. lettre
//! formats the message and speaks the protocol; the AUTH exchange is ours
//! because lettre has no CRAM-MD5. Failures after the message was built are
//! retried, as in Alertmanager.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Identity, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::{Address, Message};
use rustls::pki_types::pem::PemObject;

use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::EmailConfig;

/// A configured email integration.
#[derive(Debug)]
pub(crate) struct Email {
    conf: EmailConfig,
}

const DEFAULT_SUBJECT: &str = r#"{{ template "email.default.subject" . }}"#;

const TIMEOUT: Duration = Duration::from_secs(30);

fn permanent(e: impl std::fmt::Display) -> NotifyError {
    NotifyError::permanent(e.to_string())
}

fn retryable(e: impl std::fmt::Display) -> NotifyError {
    NotifyError::retryable(e.to_string())
}

/// An SMTP authentication exchange (RFC 4954), as Go's `net/smtp` runs it.
enum Auth {
    CramMd5 { user: String, secret: String },
    Plain { identity: String, user: String, password: String },
    Login { user: String, password: String },
}

/// The decoded text of a `334` challenge.
fn challenge(r: &Response) -> Result<Vec<u8>, NotifyError> {
    let text = r.message().next().unwrap_or("");
    B64.decode(text.trim()).map_err(|e| retryable(format!("illegal base64 data in challenge: {e}")))
}

/// A raw command line (lettre's commands end their own lines too).
struct Line(String);

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

impl Auth {
    fn kind(&self) -> &'static str {
        match self {
            Auth::CramMd5 { .. } => "*smtp.cramMD5Auth",
            Auth::Plain { .. } => "*smtp.plainAuth",
            Auth::Login { .. } => "*email.loginAuth",
        }
    }

    async fn run(&self, conn: &mut AsyncSmtpConnection, host: &str) -> Result<(), NotifyError> {
        let fail = |e: &dyn std::fmt::Display| retryable(format!("{} auth: {e}", self.kind()));
        let cmd = |s: String| Line(s);
        match self {
            Auth::CramMd5 { user, secret } => {
                let r = conn.command(cmd("AUTH CRAM-MD5".into())).await.map_err(|e| fail(&e))?;
                let reply = super::md5::cram_md5_reply(user, secret, &challenge(&r)?);
                conn.command(cmd(B64.encode(reply))).await.map_err(|e| fail(&e))?;
            }
            Auth::Plain { identity, user, password } => {
                // Go's smtp.PlainAuth only sends credentials over TLS or to localhost.
                if !conn.is_encrypted() && !["localhost", "127.0.0.1", "::1"].contains(&host) {
                    return Err(fail(&"unencrypted connection"));
                }
                let creds = B64.encode(format!("{identity}\0{user}\0{password}"));
                conn.command(cmd(format!("AUTH PLAIN {creds}"))).await.map_err(|e| fail(&e))?;
            }
            Auth::Login { user, password } => {
                let mut r = conn.command(cmd("AUTH LOGIN".into())).await.map_err(|e| fail(&e))?;
                // Answer the server's prompts until it stops asking (235).
                for _ in 0..3 {
                    if !r.has_code(334) {
                        break;
                    }
                    let prompt = String::from_utf8_lossy(&challenge(&r)?).to_string();
                    let answer = match prompt.as_str() {
                        "Username:" => user,
                        "Password:" => password,
                        other => return Err(fail(&format!("unexpected server challenge: {other}"))),
                    };
                    r = conn.command(cmd(B64.encode(answer))).await.map_err(|e| fail(&e))?;
                }
            }
        }
        Ok(())
    }
}

/// Parses an address list as Go's `mail.ParseAddressList` (simplified: comma separated).
fn parse_list(s: &str) -> Result<Vec<Mailbox>, NotifyError> {
    s.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| a.parse::<Mailbox>().map_err(|e| permanent(format!("parse 'to' addresses: {e}"))))
        .collect()
}

impl Email {
    pub(crate) fn new(conf: EmailConfig) -> Self {
        Email { conf }
    }

    /// TLS settings for the smarthost: `tls_config` with its client certificate.
    fn tls_parameters(&self, host: &str) -> Result<TlsParameters, NotifyError> {
        let tls_conf = self.conf.tls_config.clone().unwrap_or_default();
        let server_name = if tls_conf.server_name.is_empty() { host.to_string() } else { tls_conf.server_name.clone() };
        let mut params =
            TlsParameters::builder(server_name).dangerous_accept_invalid_certs(tls_conf.insecure_skip_verify);
        if !tls_conf.ca_file.is_empty() {
            let pem = std::fs::read(&tls_conf.ca_file)
                .map_err(|e| permanent(format!("parse TLS configuration: unable to load specified CA cert: {e}")))?;
            params = params
                .add_root_certificate(lettre::transport::smtp::client::Certificate::from_pem(&pem).map_err(permanent)?);
        }
        if !tls_conf.cert_file.is_empty() || !tls_conf.key_file.is_empty() {
            let read = |f: &str| {
                std::fs::read(f).map_err(|e| {
                    permanent(format!("parse TLS configuration: unable to use specified client cert ({f}): {e}"))
                })
            };
            let (cert, key) = (read(&tls_conf.cert_file)?, read(&tls_conf.key_file)?);
            // lettre's rustls backend takes the "PEM" certificate as DER (and only one).
            let der = rustls::pki_types::CertificateDer::from_pem_slice(&cert)
                .map_err(|e| permanent(format!("parse TLS configuration: unable to use specified client cert: {e}")))?;
            let identity = Identity::from_pem(der.as_ref(), &key)
                .map_err(|e| permanent(format!("parse TLS configuration: unable to use client cert: {e}")))?;
            params = params.identify_with(identity);
        }
        params.build_rustls().map_err(|e| permanent(format!("parse TLS configuration: {e}")))
    }

    fn password(&self) -> Result<String, NotifyError> {
        let c = &self.conf;
        if c.auth_password_file.is_empty() {
            return Ok(c.auth_password.expose().to_string());
        }
        std::fs::read_to_string(&c.auth_password_file)
            .map(|s| s.trim().to_string())
            .map_err(|e| retryable(format!("could not read {}: {e}", c.auth_password_file)))
    }

    /// Go's `auth(mechs)`: the first usable mechanism of the server's list.
    fn choose_auth(&self, mechs: &str) -> Result<Auth, NotifyError> {
        let c = &self.conf;
        let mut errs = Vec::new();
        for mech in mechs.split(' ') {
            match mech {
                "CRAM-MD5" => {
                    if c.auth_secret.is_empty() {
                        errs.push("missing secret for CRAM-MD5 auth mechanism".to_string());
                        continue;
                    }
                    return Ok(Auth::CramMd5 { user: c.auth_username.clone(), secret: c.auth_secret.expose().into() });
                }
                "PLAIN" | "LOGIN" => {
                    let password = match self.password() {
                        Ok(p) => p,
                        Err(e) => {
                            errs.push(e.message);
                            continue;
                        }
                    };
                    if password.is_empty() {
                        errs.push(format!("missing password for {mech} auth mechanism"));
                        continue;
                    }
                    let user = c.auth_username.clone();
                    return Ok(if mech == "PLAIN" {
                        Auth::Plain { identity: c.auth_identity.clone(), user, password }
                    } else {
                        Auth::Login { user, password }
                    });
                }
                _ => {}
            }
        }
        if errs.is_empty() {
            errs.push(format!("unknown auth mechanism: {mechs}"));
        }
        Err(retryable(format!("find auth mechanism: {}", errs.join("; "))))
    }

    /// One SMTP session: connect, STARTTLS, AUTH, MAIL/RCPT/DATA, QUIT.
    async fn deliver(&self, envelope: &Envelope, body: &[u8]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let (host, port) =
            c.smarthost.rsplit_once(':').ok_or_else(|| permanent(format!("invalid smarthost {:?}", c.smarthost)))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port.parse().map_err(|_| permanent(format!("invalid smarthost port {port:?}")))?;
        super::http::install_crypto_provider();
        let hello = ClientId::Domain(if c.hello.is_empty() { "localhost".into() } else { c.hello.clone() });
        let wrapper = if port == 465 { Some(self.tls_parameters(host)?) } else { None };
        let what =
            if wrapper.is_some() { "establish TLS connection to server" } else { "establish connection to server" };
        let mut conn = AsyncSmtpConnection::connect_tokio1((host, port), Some(TIMEOUT), &hello, wrapper, None)
            .await
            .map_err(|e| retryable(format!("{what}: {e}")))?;
        let res = self.session(&mut conn, host, port, &hello, envelope, body).await;
        // Clean up without caring whether the server says goodbye nicely.
        let _ = conn.quit().await;
        res
    }

    async fn session(
        &self,
        conn: &mut AsyncSmtpConnection,
        host: &str,
        port: u16,
        hello: &ClientId,
        envelope: &Envelope,
        body: &[u8],
    ) -> Result<(), NotifyError> {
        let c = &self.conf;
        if port != 465 && c.require_tls.unwrap_or(true) {
            if !conn.can_starttls() {
                return Err(retryable(format!(
                    "'require_tls' is true (default) but {:?} does not advertise the STARTTLS extension",
                    c.smarthost
                )));
            }
            let params = self.tls_parameters(host)?;
            conn.starttls(params, hello).await.map_err(|e| retryable(format!("send STARTTLS command: {e}")))?;
        }
        if !c.auth_username.is_empty() {
            // lettre's server info drops mechanisms it does not know (CRAM-MD5),
            // so ask again for the raw list, in the server's order.
            let ehlo = conn
                .command(Ehlo::new(hello.clone()))
                .await
                .map_err(|e| retryable(format!("send EHLO command: {e}")))?;
            let mechs = ehlo.message().skip(1).find_map(|l| {
                let (kw, rest) = l.split_once(' ').unwrap_or((l, ""));
                kw.eq_ignore_ascii_case("AUTH").then(|| rest.to_string())
            });
            if let Some(mechs) = mechs {
                let auth = self.choose_auth(&mechs)?;
                auth.run(conn, host).await?;
            }
        }
        conn.send(envelope, body).await.map_err(|e| retryable(format!("send email: {e}")))?;
        Ok(())
    }

    /// The message for `alerts`.
    fn message(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<Message, NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts).to_value();
        let mut headers = c.headers.clone();
        headers.entry("Subject".into()).or_insert_with(|| DEFAULT_SUBJECT.into());
        headers.entry("To".into()).or_insert_with(|| c.to.clone());
        headers.entry("From".into()).or_insert_with(|| c.from.clone());
        let from = ctx.text(&c.from, &data)?;
        let from: Mailbox = from.parse().map_err(|e| permanent(format!("parse 'from' addresses: {e}")))?;
        let to = parse_list(&ctx.text(&c.to, &data)?)?;
        let envelope = lettre::address::Envelope::new(
            Some(from.email.clone()),
            to.iter().map(|m| m.email.clone()).collect::<Vec<Address>>(),
        )
        .map_err(permanent)?;
        let mut b = Message::builder().envelope(envelope);
        for (k, v) in &headers {
            let value = ctx.text(v, &data).map_err(|e| permanent(format!("execute {k:?} header template: {e}")))?;
            let name =
                HeaderName::new_from_ascii(k.clone()).map_err(|e| permanent(format!("invalid header {k:?}: {e}")))?;
            b = b.raw_header(HeaderValue::new(name, value));
        }
        let mut parts = MultiPart::alternative().build();
        let mut any = false;
        if !c.text.is_empty() {
            parts = parts.singlepart(SinglePart::plain(ctx.text(&c.text, &data)?));
            any = true;
        }
        if !c.html.is_empty() {
            let html = ctx
                .templates
                .execute_html(&c.html, &data)
                .map_err(|e| permanent(format!("execute html template: {e}")))?;
            parts = parts.singlepart(SinglePart::html(html));
            any = true;
        }
        if !any {
            parts = parts.singlepart(SinglePart::plain(String::new()));
        }
        b.multipart(parts).map_err(permanent)
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let msg = self.message(ctx, alerts)?;
        self.deliver(msg.envelope(), &msg.formatted()).await
    }
}
