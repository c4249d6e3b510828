//! Test helpers for the integrations: a recording HTTP server, a flush's
//! context and alerts, and receivers built from YAML snippets.

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_model::Labels;
use argus_template::alertmanager::Templates;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use parking_lot::Mutex;

use super::NotifyCtx;
use crate::alert::Alert;
use crate::config::{Config, Receiver};

/// One request the recorder saw.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A local HTTP server recording every request. It answers by path:
/// `.../status/NNN` with status NNN, `...gettoken` with a WeChat token,
/// `.../wxerr/message/send` with WeChat's "token expired" code, else 200.
pub(crate) struct Recorder {
    pub url: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

async fn record(
    State(seen): State<Arc<Mutex<Vec<Request>>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let path = uri.path().to_string();
    seen.lock().push(Request {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body,
    });
    if let Some(code) = path.split("/status/").nth(1) {
        let code = StatusCode::from_u16(code[..3].parse().unwrap()).unwrap();
        return (code, "<ErrorResponse><Error><Code>E</Code><Message>boom</Message></Error></ErrorResponse>".into());
    }
    if path.ends_with("gettoken") {
        return (StatusCode::OK, r#"{"access_token":"tok1","expires_in":7200}"#.into());
    }
    if path.contains("/wxerr/") {
        return (StatusCode::OK, r#"{"code":42001,"error":"access_token expired"}"#.into());
    }
    (StatusCode::OK, "{}".into())
}

impl Recorder {
    pub(crate) async fn start() -> Recorder {
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        let app = axum::Router::new().fallback(record).with_state(Arc::clone(&seen));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Recorder { url, seen }
    }

    pub(crate) fn requests(&self) -> Vec<Request> {
        self.seen.lock().clone()
    }
}

/// The context of a flush of group `{alertname="Down"}` to receiver `team`.
pub(crate) fn ctx() -> NotifyCtx {
    NotifyCtx {
        receiver: "team".into(),
        group_key: r#"{}:{alertname="Down"}"#.into(),
        group_labels: Labels::from_pairs([("alertname", "Down")]),
        external_url: "http://am.example:9093".into(),
        now_ms: 1_800_000_000_000,
        templates: Arc::new(Templates::new(&[]).unwrap()),
    }
}

pub(crate) fn firing(instance: &str) -> Alert {
    let mut a = Alert::new(Labels::from_pairs([("alertname", "Down"), ("instance", instance)]), 1_799_999_000_000);
    a.annotations = BTreeMap::from([("summary".to_string(), format!("{instance} is down"))]);
    a
}

pub(crate) fn resolved(instance: &str) -> Alert {
    let mut a = firing(instance);
    a.ends_at_ms = Some(1_799_999_999_000);
    a
}

/// The resolved receiver `team` with the given integration YAML (one line,
/// e.g. `discord_configs: [{webhook_url: 'http://...'}]`) and `global` YAML.
pub(crate) fn receiver_with_global(integrations: &str, global: &str) -> Receiver {
    let yaml = format!("global: {{{global}}}\nroute: {{receiver: team}}\nreceivers:\n- name: team\n  {integrations}\n");
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    cfg.receivers.into_iter().next().unwrap()
}

pub(crate) fn receiver(integrations: &str) -> Receiver {
    receiver_with_global(integrations, "")
}
