//! The email integration over SMTP with lettre (Alertmanager 0.25's
//! `notify/email`): port 465 means implicit TLS, otherwise `require_tls`
//! (default true) demands STARTTLS and `false` sends in the clear; PLAIN or
//! LOGIN authentication when a username is set; `From`, `To` and `Subject`
//! default to the configured addresses and `email.default.subject`; every
//! header and both bodies (text first, then HTML, as multipart/alternative)
//! are expanded from templates.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::EmailConfig;

/// A configured email integration.
#[derive(Debug)]
pub(crate) struct Email {
    conf: EmailConfig,
}

const DEFAULT_SUBJECT: &str = r#"{{ template "email.default.subject" . }}"#;

fn permanent(e: impl std::fmt::Display) -> NotifyError {
    NotifyError::permanent(e.to_string())
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

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, NotifyError> {
        let c = &self.conf;
        let (host, port) =
            c.smarthost.rsplit_once(':').ok_or_else(|| permanent(format!("invalid smarthost {:?}", c.smarthost)))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port.parse().map_err(|_| permanent(format!("invalid smarthost port {port:?}")))?;
        super::http::install_crypto_provider();
        let tls_conf = c.tls_config.clone().unwrap_or_default();
        let server_name = if tls_conf.server_name.is_empty() { host.to_string() } else { tls_conf.server_name.clone() };
        let mut params =
            TlsParameters::builder(server_name).dangerous_accept_invalid_certs(tls_conf.insecure_skip_verify);
        if !tls_conf.ca_file.is_empty() {
            let pem = std::fs::read(&tls_conf.ca_file).map_err(|e| permanent(format!("read CA file: {e}")))?;
            params = params
                .add_root_certificate(lettre::transport::smtp::client::Certificate::from_pem(&pem).map_err(permanent)?);
        }
        let params = params.build_rustls().map_err(permanent)?;
        let tls = if port == 465 {
            Tls::Wrapper(params)
        } else if c.require_tls.unwrap_or(true) {
            Tls::Required(params)
        } else {
            Tls::None
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)))
            .hello_name(ClientId::Domain(if c.hello.is_empty() { "localhost".into() } else { c.hello.clone() }));
        if !c.auth_username.is_empty() {
            let password = if c.auth_password_file.is_empty() {
                c.auth_password.expose().to_string()
            } else {
                std::fs::read_to_string(&c.auth_password_file)
                    .map_err(|e| permanent(format!("could not read {}: {e}", c.auth_password_file)))?
                    .trim()
                    .to_string()
            };
            b = b
                .credentials(Credentials::new(c.auth_username.clone(), password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(b.build())
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
        let transport = self.transport()?;
        match transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(NotifyError::permanent(format!("send email: {e}"))),
            Err(e) => Err(NotifyError::retryable(format!("send email to {}: {e}", self.conf.smarthost))),
        }
    }
}
