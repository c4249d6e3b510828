//! Notifying receivers: one module per integration, and the per-integration
//! stages of Alertmanager 0.25's notification pipeline that run on every
//! aggregation-group flush: dedup against the notification log, send with
//! retries (exponential backoff until the flush's deadline), and record the
//! successful notification in the log.
//!
//! The stages before these (inhibition, time intervals, silences) live in
//! `crate::pipeline`, which fans a flush out to every integration here.

pub(crate) mod data;
mod discord;
mod email;
pub(crate) mod http;
mod log;
mod md5;
mod msteams;
mod opsgenie;
mod pagerduty;
mod pushover;
mod sigv4;
mod slack;
mod sns;
mod telegram;
#[cfg(test)]
mod testutil;
mod util;
mod victorops;
mod webex;
mod webhook;
mod wechat;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use argus_model::Labels;
use argus_template::alertmanager::Templates;

use crate::alert::Alert;
use crate::config::Receiver;
use crate::metrics::{Metrics, integration as ilabel};
use crate::nflog::{NotificationLog, ReceiverKey, hash_alert, needs_update};

pub(crate) use data::Data;

/// A failed notification attempt; `retry` says whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyError {
    /// Whether a later attempt may succeed (transport errors, 5xx).
    pub retry: bool,
    /// What went wrong.
    pub message: String,
}

impl NotifyError {
    pub(crate) fn retryable(message: String) -> Self {
        NotifyError { retry: true, message }
    }

    pub(crate) fn permanent(message: String) -> Self {
        NotifyError { retry: false, message }
    }
}

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What every integration needs to know about the flush it notifies.
#[derive(Clone)]
pub(crate) struct NotifyCtx {
    pub receiver: String,
    pub group_key: String,
    pub group_labels: Labels,
    pub external_url: String,
    pub now_ms: i64,
    pub templates: Arc<Templates>,
}

impl NotifyCtx {
    pub(crate) fn data(&self, alerts: &[Alert]) -> Data {
        Data::new(&self.receiver, &self.group_labels, alerts, &self.external_url, self.now_ms)
    }

    /// Expands a notification text template, as `tmpl.ExecuteTextString`.
    pub(crate) fn text(&self, text: &str, data: &argus_template::Value) -> Result<String, NotifyError> {
        if text.is_empty() {
            return Ok(String::new());
        }
        self.templates.execute_text(text, data).map_err(|e| NotifyError::permanent(format!("template: {e}")))
    }
}

enum Kind {
    Webhook(Box<webhook::Webhook>),
    Log(log::LogNotifier),
    Email(Box<email::Email>),
    Slack(Box<slack::Slack>),
    Opsgenie(Box<opsgenie::Opsgenie>),
    Pagerduty(Box<pagerduty::Pagerduty>),
    Telegram(Box<telegram::Telegram>),
    Wechat(Box<wechat::Wechat>),
    Pushover(Box<pushover::Pushover>),
    VictorOps(Box<victorops::VictorOps>),
    Sns(Box<sns::Sns>),
    Discord(Box<discord::Discord>),
    Webex(Box<webex::Webex>),
    MsTeams(Box<msteams::MsTeams>),
}

/// One integration of a receiver.
pub(crate) struct Integration {
    pub name: &'static str,
    pub idx: u32,
    pub send_resolved: bool,
    kind: Kind,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.name, self.idx)
    }
}

impl Integration {
    /// The key the notification log files it under.
    pub(crate) fn key(&self, receiver: &str) -> ReceiverKey {
        ReceiverKey { group_name: receiver.to_string(), integration: self.name.to_string(), idx: self.idx }
    }

    /// Sends one notification (one attempt).
    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        match &self.kind {
            Kind::Webhook(n) => n.notify(ctx, alerts).await,
            Kind::Log(n) => n.notify(ctx, alerts).await,
            Kind::Email(n) => n.notify(ctx, alerts).await,
            Kind::Slack(n) => n.notify(ctx, alerts).await,
            Kind::Opsgenie(n) => n.notify(ctx, alerts).await,
            Kind::Pagerduty(n) => n.notify(ctx, alerts).await,
            Kind::Telegram(n) => n.notify(ctx, alerts).await,
            Kind::Wechat(n) => n.notify(ctx, alerts).await,
            Kind::Pushover(n) => n.notify(ctx, alerts).await,
            Kind::VictorOps(n) => n.notify(ctx, alerts).await,
            Kind::Sns(n) => n.notify(ctx, alerts).await,
            Kind::Discord(n) => n.notify(ctx, alerts).await,
            Kind::Webex(n) => n.notify(ctx, alerts).await,
            Kind::MsTeams(n) => n.notify(ctx, alerts).await,
        }
    }
}

/// Builds a receiver's integrations, in Alertmanager's order.
pub(crate) fn build_receiver(r: &Receiver) -> Result<Vec<Arc<Integration>>, String> {
    let mut out = Vec::new();
    let mut push = |name: &'static str, idx: usize, send_resolved: bool, kind: Kind| {
        out.push(Arc::new(Integration { name, idx: u32::try_from(idx).unwrap_or(u32::MAX), send_resolved, kind }));
    };
    let ctx = |e: String| format!("receiver {:?}: {e}", r.name);
    for (i, c) in r.webhook_configs.iter().enumerate() {
        push("webhook", i, c.send_resolved, Kind::Webhook(Box::new(webhook::Webhook::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.email_configs.iter().enumerate() {
        push("email", i, c.send_resolved, Kind::Email(Box::new(email::Email::new(c.clone()))));
    }
    for (i, c) in r.pagerduty_configs.iter().enumerate() {
        push(
            "pagerduty",
            i,
            c.send_resolved,
            Kind::Pagerduty(Box::new(pagerduty::Pagerduty::new(c.clone()).map_err(ctx)?)),
        );
    }
    for (i, c) in r.slack_configs.iter().enumerate() {
        push("slack", i, c.send_resolved, Kind::Slack(Box::new(slack::Slack::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.opsgenie_configs.iter().enumerate() {
        push(
            "opsgenie",
            i,
            c.send_resolved,
            Kind::Opsgenie(Box::new(opsgenie::Opsgenie::new(c.clone()).map_err(ctx)?)),
        );
    }
    for (i, c) in r.telegram_configs.iter().enumerate() {
        push(
            "telegram",
            i,
            c.send_resolved,
            Kind::Telegram(Box::new(telegram::Telegram::new(c.clone()).map_err(ctx)?)),
        );
    }
    for (i, c) in r.log_configs.iter().enumerate() {
        push("log", i, c.send_resolved, Kind::Log(log::LogNotifier));
    }
    for (i, c) in r.wechat_configs.iter().enumerate() {
        push("wechat", i, c.send_resolved, Kind::Wechat(Box::new(wechat::Wechat::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.pushover_configs.iter().enumerate() {
        push(
            "pushover",
            i,
            c.send_resolved,
            Kind::Pushover(Box::new(pushover::Pushover::new(c.clone()).map_err(ctx)?)),
        );
    }
    for (i, c) in r.victorops_configs.iter().enumerate() {
        push(
            "victorops",
            i,
            c.send_resolved,
            Kind::VictorOps(Box::new(victorops::VictorOps::new(c.clone()).map_err(ctx)?)),
        );
    }
    for (i, c) in r.sns_configs.iter().enumerate() {
        push("sns", i, c.send_resolved, Kind::Sns(Box::new(sns::Sns::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.discord_configs.iter().enumerate() {
        push("discord", i, c.send_resolved, Kind::Discord(Box::new(discord::Discord::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.webex_configs.iter().enumerate() {
        push("webex", i, c.send_resolved, Kind::Webex(Box::new(webex::Webex::new(c.clone()).map_err(ctx)?)));
    }
    for (i, c) in r.msteams_configs.iter().enumerate() {
        let n = msteams::MsTeams::new(c.clone()).map_err(ctx)?;
        push("msteams", i, c.send_resolved, Kind::MsTeams(Box::new(n)));
    }
    Ok(out)
}

/// Backoff of the retry stage: cenkalti/backoff's defaults (500ms initial,
/// ×1.5, ±50% jitter, at most 60s), never giving up by itself.
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff { next: Duration::from_millis(500) }
    }

    fn step(&mut self) -> Duration {
        let cur = self.next;
        self.next = (self.next.mul_f64(1.5)).min(Duration::from_secs(60));
        // Jitter from the clock's sub-second noise: good enough to spread retries.
        let noise = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| f64::from(d.subsec_nanos() % 1000) / 1000.0)
            .unwrap_or(0.5);
        cur.mul_f64(0.5 + noise)
    }
}

/// Per-integration stages of one flush: dedup, retry, log. Returns an error
/// when the notification could not be sent before `deadline`.
/// `Ok(true)` means a notification was sent (or counted as sent), `Ok(false)`
/// that the log said nothing changed.
pub(crate) async fn notify_integration(
    integ: &Integration,
    ctx: &NotifyCtx,
    alerts: &[Alert],
    log: (&NotificationLog, &Metrics),
    repeat_interval: Duration,
    deadline: Instant,
    attempt_timeout: Duration,
) -> Result<bool, String> {
    let (nflog, metrics) = log;
    let key = integ.key(&ctx.receiver);
    // Dedup stage.
    let (mut firing, mut resolved) = (Vec::new(), Vec::new());
    for a in alerts {
        let h = hash_alert(&a.labels);
        if a.resolved_at(ctx.now_ms) { resolved.push(h) } else { firing.push(h) }
    }
    let firing_set: HashSet<u64> = firing.iter().copied().collect();
    let resolved_set: HashSet<u64> = resolved.iter().copied().collect();
    metrics.nflog_queries.inc();
    let entry = nflog.query(&key, &ctx.group_key);
    let repeat_ms = i64::try_from(repeat_interval.as_millis()).unwrap_or(i64::MAX);
    if !needs_update(entry.as_ref(), &firing_set, &resolved_set, integ.send_resolved, repeat_ms, ctx.now_ms) {
        return Ok(false);
    }
    // Retry stage.
    let sent: Vec<Alert> = if integ.send_resolved {
        alerts.to_vec()
    } else {
        if firing.is_empty() {
            // Only resolved alerts and no send_resolved: count as notified so the
            // log forgets the firing ones.
            nflog.log(&key, &ctx.group_key, firing, resolved, repeat_ms.saturating_mul(2), ctx.now_ms);
            return Ok(true);
        }
        alerts.iter().filter(|a| !a.resolved_at(ctx.now_ms)).cloned().collect()
    };
    let mut backoff = Backoff::new();
    let mut attempts = 0u32;
    let mut last_err: Option<NotifyError> = None;
    loop {
        attempts += 1;
        let start = Instant::now();
        let remaining = deadline.saturating_duration_since(start);
        if remaining.is_zero() {
            let why = last_err.map_or_else(|| "context deadline exceeded".to_string(), |e| e.message);
            return Err(format!(
                "{}/{}[{}]: notify retry canceled after {} attempts: {why}",
                ctx.receiver,
                integ.name,
                integ.idx,
                attempts - 1
            ));
        }
        let res = match tokio::time::timeout(attempt_timeout.min(remaining), integ.notify(ctx, &sent)).await {
            Ok(r) => r,
            Err(_) => Err(NotifyError::retryable("context deadline exceeded".into())),
        };
        let labels = ilabel(integ.name);
        metrics.notification_latency.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
        metrics.notifications.get_or_create(&labels).inc();
        match res {
            Ok(()) => {
                tracing::debug!(receiver = %ctx.receiver, integration = integ.name, attempts, "notify success");
                // Set-notifies stage.
                nflog.log(&key, &ctx.group_key, firing, resolved, repeat_ms.saturating_mul(2), ctx.now_ms);
                return Ok(true);
            }
            Err(e) => {
                metrics.notifications_failed.get_or_create(&labels).inc();
                if !e.retry {
                    return Err(format!(
                        "{}/{}[{}]: notify retry canceled due to unrecoverable error after {attempts} attempts: {e}",
                        ctx.receiver, integ.name, integ.idx
                    ));
                }
                if last_err.as_ref().is_none_or(|l| l.message != e.message) {
                    tracing::warn!(receiver = %ctx.receiver, integration = integ.name, attempts, err = %e, "notify attempt failed, will retry later");
                }
                last_err = Some(e);
            }
        }
        let wait = backoff.step();
        tokio::time::sleep_until((Instant::now() + wait).min(deadline)).await;
    }
}
