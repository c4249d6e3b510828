//! HTTP-level tests of the integrations through `drill`,
//! against a local server that records requests.

use std::sync::Arc;

use argus_alertmanager::{Config, drill};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use parking_lot::Mutex;
use serde_json::Value;

type Seen = Arc<Mutex<Vec<(String, Option<String>, Value)>>>;

async fn record(State(seen): State<Seen>, uri: Uri, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    seen.lock().push((uri.path().to_string(), auth, serde_json::from_str(&body).unwrap_or(Value::Null)));
    if uri.path().contains("fail") {
        return (StatusCode::BAD_REQUEST, "nope".into());
    }
    if uri.path().ends_with("/gettoken") {
        return (StatusCode::OK, r#"{"access_token":"t"}"#.into());
    }
    (StatusCode::OK, r#"{"ok":true}"#.into())
}

async fn server() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new().fallback(record).with_state(Arc::clone(&seen));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_reaches_slack_telegram_webhook_and_reports_failures() {
    let (url, seen) = server().await;
    let yaml = format!(
        r#"
route: {{receiver: team}}
receivers:
- name: team
  slack_configs:
  - api_url: '{url}/slack'
    channel: '#ops'
    title: 'plain title'
    text: 'plain text'
    username: argus
    color: danger
    pretext: ''
    footer: ''
    fallback: 'fb'
    callback_id: ''
    icon_emoji: ''
    icon_url: ''
    title_link: ''
    fields: [{{title: t, value: v}}]
  telegram_configs:
  - api_url: '{url}'
    bot_token: 'TOKEN'
    chat_id: 42
    message: 'hello telegram'
  webhook_configs:
  - url: '{url}/hook'
    http_config:
      authorization: {{credentials: s3cret}}
  pagerduty_configs:
  - routing_key: rk
    url: '{url}/pd'
    description: 'plain summary'
    client: argus
    client_url: ''
    severity: critical
    details: {{firing: f, resolved: r, num_firing: '1', num_resolved: '0'}}
  opsgenie_configs:
  - api_key: gk
    api_url: '{url}/og/'
    message: 'og message'
    description: ''
    source: argus
    tags: 'a, b'
- name: broken
  webhook_configs:
  - url: '{url}/fail'
  discord_configs:
  - webhook_url: 'http://127.0.0.1:9/discord'
"#
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let results = drill(&cfg, Some("team")).await;
    assert_eq!(results.len(), 5, "{results:?}");
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    {
        let seen = seen.lock();
        let slack = seen.iter().find(|(p, ..)| p == "/slack").expect("slack request");
        assert_eq!(slack.2["channel"], "#ops");
        assert_eq!(slack.2["username"], "argus");
        assert_eq!(slack.2["attachments"][0]["title"], "plain title");
        assert_eq!(slack.2["attachments"][0]["text"], "plain text");
        assert_eq!(slack.2["attachments"][0]["fields"][0]["value"], "v");
        assert_eq!(slack.2["attachments"][0]["mrkdwn_in"], serde_json::json!(["fallback", "pretext", "text"]));
        let tg = seen.iter().find(|(p, ..)| p == "/botTOKEN/sendMessage").expect("telegram request");
        assert_eq!(tg.2["chat_id"], "42");
        assert_eq!(tg.2["text"], "hello telegram");
        assert_eq!(tg.2["parse_mode"], "HTML");
        let pd = seen.iter().find(|(p, ..)| p == "/pd").expect("pagerduty request");
        assert_eq!(pd.2["routing_key"], "rk");
        assert_eq!(pd.2["event_action"], "trigger");
        assert_eq!(pd.2["dedup_key"].as_str().unwrap().len(), 64);
        assert_eq!(pd.2["payload"]["summary"], "plain summary");
        assert_eq!(pd.2["payload"]["severity"], "critical");
        assert_eq!(pd.2["payload"]["custom_details"]["num_firing"], "1");
        let og = seen.iter().find(|(p, ..)| p == "/og/v2/alerts").expect("opsgenie request");
        assert_eq!(og.1.as_deref(), Some("GenieKey gk"));
        assert_eq!(og.2["message"], "og message");
        assert_eq!(og.2["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(og.2["alias"].as_str().unwrap().len(), 64);
        let hook = seen.iter().find(|(p, ..)| p == "/hook").expect("webhook request");
        assert_eq!(hook.1.as_deref(), Some("Bearer s3cret"));
        assert_eq!(hook.2["alerts"][0]["labels"]["alertname"], "ArgusDrill");
    }
    let broken = drill(&cfg, Some("broken")).await;
    assert_eq!(broken.len(), 2);
    assert!(broken.iter().all(|r| !r.ok));
    assert!(broken[0].error.starts_with("unexpected status code 400"), "{:?}", broken[0]);
    // Nothing listens on port 9: a transport error.
    assert!(broken[1].integration.starts_with("discord"), "{:?}", broken[1]);
    assert!(!broken[1].error.is_empty(), "{:?}", broken[1]);
    let unknown = drill(&cfg, Some("nobody")).await;
    assert_eq!(unknown.len(), 1);
    assert!(!unknown[0].ok);
    assert_eq!(drill(&cfg, None).await.len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_reaches_discord_webex_wechat_victorops_and_sns() {
    let (url, seen) = server().await;
    let yaml = format!(
        r#"
route: {{receiver: team}}
receivers:
- name: team
  discord_configs: [{{webhook_url: '{url}/discord'}}]
  webex_configs: [{{api_url: '{url}/webex', room_id: r, http_config: {{authorization: {{credentials: wt}}}}}}]
  wechat_configs: [{{api_url: '{url}/wx/', api_secret: s, corp_id: c}}]
  victorops_configs: [{{api_url: '{url}/vo/', api_key: k, routing_key: rk}}]
  sns_configs: [{{api_url: '{url}/sns', topic_arn: 'arn:aws:sns:us-east-1:1:t', sigv4: {{region: us-east-1, access_key: a, secret_key: b}}}}]
"#
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let results = drill(&cfg, Some("team")).await;
    let names: Vec<&str> = results.iter().map(|r| r.integration.as_str()).collect();
    assert_eq!(names, ["wechat[0]", "victorops[0]", "sns[0]", "discord[0]", "webex[0]"], "{results:?}");
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    let seen = seen.lock();
    let paths: Vec<&str> = seen.iter().map(|(p, ..)| p.as_str()).collect();
    for p in ["/discord", "/webex", "/wx/gettoken", "/wx/message/send", "/vo/k/rk", "/sns/"] {
        assert!(paths.contains(&p), "{p} not in {paths:?}");
    }
    let webex = seen.iter().find(|(p, ..)| p == "/webex").unwrap();
    assert_eq!(webex.1.as_deref(), Some("Bearer wt"));
    assert!(seen.iter().find(|(p, ..)| p == "/sns/").unwrap().1.as_deref().unwrap().starts_with("AWS4-HMAC-SHA256 "));
}
