//! `argus drill`: sends one synthetic firing alert through every integration
//! of every receiver (or of one) and reports which worked, so a new
//! alertmanager.yml can be checked end to end before it matters. Each
//! integration gets one attempt (no retries, no notification log).

use std::sync::Arc;
use std::time::Duration;

use argus_model::Labels;
use argus_template::alertmanager::Templates;

use crate::alert::{Alert, now_ms};
use crate::config::Config;
use crate::notify::{NotifyCtx, build_receiver};

/// The outcome for one integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillResult {
    /// The receiver's name.
    pub receiver: String,
    /// The integration, e.g. `webhook[0]`.
    pub integration: String,
    /// Whether the notification was accepted.
    pub ok: bool,
    /// Why not (empty when `ok`).
    pub error: String,
}

fn fail(receiver: &str, integration: &str, error: String) -> DrillResult {
    DrillResult { receiver: receiver.to_string(), integration: integration.to_string(), ok: false, error }
}

/// Sends a test alert through each receiver of `config` (only `receiver`
/// when given; an unknown name yields one failed row). Each attempt times out
/// after 30 seconds. Must run within a tokio runtime.
pub async fn drill(config: &Config, receiver: Option<&str>) -> Vec<DrillResult> {
    let mut out = Vec::new();
    let receivers: Vec<_> = config.receivers.iter().filter(|r| receiver.is_none_or(|n| n == r.name)).collect();
    if let (Some(name), true) = (receiver, receivers.is_empty()) {
        out.push(fail(name, "-", format!("no receiver named {name:?}")));
        return out;
    }
    let mut texts = Vec::new();
    for pattern in &config.templates {
        for p in glob::glob(pattern).into_iter().flatten().flatten() {
            if let Ok(t) = std::fs::read_to_string(&p) {
                texts.push((p.display().to_string(), t));
            }
        }
    }
    let templates = match Templates::new(&texts) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            out.push(fail("-", "-", format!("cannot parse templates: {e}")));
            return out;
        }
    };
    let now = now_ms();
    let labels = Labels::from_pairs([("alertname", "ArgusDrill"), ("severity", "none")]);
    let mut alert = Alert::new(labels.clone(), now);
    alert.annotations.insert("summary".into(), "Test notification sent by argus drill".into());
    alert.updated_at_ms = now;
    for r in receivers {
        let integrations = match build_receiver(r) {
            Ok(i) => i,
            Err(e) => {
                out.push(fail(&r.name, "-", e));
                continue;
            }
        };
        let ctx = NotifyCtx {
            receiver: r.name.clone(),
            group_key: format!("{{}}:{{alertname=\"ArgusDrill\"}}/drill/{}", r.name),
            group_labels: Labels::from_pairs([("alertname", "ArgusDrill")]),
            external_url: String::new(),
            now_ms: now,
            templates: Arc::clone(&templates),
        };
        for integ in integrations {
            let name = format!("{}[{}]", integ.name, integ.idx);
            let res =
                tokio::time::timeout(Duration::from_secs(30), integ.notify(&ctx, std::slice::from_ref(&alert))).await;
            out.push(match res {
                Ok(Ok(())) => {
                    DrillResult { receiver: r.name.clone(), integration: name, ok: true, error: String::new() }
                }
                Ok(Err(e)) => fail(&r.name, &name, e.message),
                Err(_) => fail(&r.name, &name, "timed out after 30s".into()),
            });
        }
    }
    out
}
