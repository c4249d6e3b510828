//! Loading the seeds' configs and Alertmanager's own config fixtures: which load,
//! which fail and with what message, what the resolved values are, and that
//! secrets never show in `Debug` output.

use std::path::{Path, PathBuf};
use std::time::Duration;

use argus_alertmanager::{Config, Error, amtool};
use argus_model::Labels;

fn shared(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(p)
}

fn check(file: &str, want: Result<(), &str>) {
    let got = Config::load_file(shared(file)).map(drop).map_err(|e| e.am_message());
    assert_eq!(got, want.map_err(str::to_string), "{file}");
}

#[test]
fn fixtures_load_or_fail_like_alertmanager() {
    let dir = "testdata/alertmanager/config/";
    check("fixtures/seeds/alertmanager.yml", Ok(()));
    check("fixtures/seeds/lumen_alertmanager.yml", Ok(()));
    check("testdata/alertmanager/examples/simple.yml", Ok(()));
    for (f, want) in [
        ("conf.empty-fields.yml", Ok(())),
        ("conf.good.yml", Ok(())),
        ("conf.group-by-all.yml", Ok(())),
        ("conf.http-config.good.yml", Ok(())),
        ("conf.nil-match_re-route.yml", Err(r#"invalid regexp value for "invalid_label""#)),
        ("conf.nil-source_match_re-inhibition.yml", Err(r#"invalid regexp value for "invalid_source_label""#)),
        ("conf.nil-target_match_re-inhibition.yml", Err(r#"invalid regexp value for "invalid_target_label""#)),
        (
            "conf.opsgenie-both-file-and-apikey.yml",
            Err("at most one of opsgenie_api_key & opsgenie_api_key_file must be configured"),
        ),
        ("conf.opsgenie-default-apikey-file.yml", Ok(())),
        (
            "conf.opsgenie-default-apikey-old-team.yml",
            Err("yaml: unmarshal errors:\n  line 16: field teams not found in type config.plain"),
        ),
        ("conf.opsgenie-default-apikey.yml", Ok(())),
        ("conf.opsgenie-no-apikey.yml", Err("no global OpsGenie API Key set either inline or in a file")),
        (
            "conf.slack-both-file-and-url.yml",
            Err("at most one of slack_api_url & slack_api_url_file must be configured"),
        ),
        ("conf.slack-default-api-url-file.yml", Ok(())),
        ("conf.slack-no-api-url.yml", Err("no global Slack API URL set either inline or in a file")),
        (
            "conf.smtp-both-password-and-file.yml",
            Err("at most one of smtp_auth_password & smtp_auth_password_file must be configured"),
        ),
        ("conf.smtp-no-username-or-password.yml", Ok(())),
        ("conf.smtp-password-global-and-local.yml", Ok(())),
        ("conf.sns-invalid.yml", Err("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config")),
        ("conf.sns-topic-arn.yml", Ok(())),
        (
            "conf.victorops-both-file-and-apikey.yml",
            Err("at most one of victorops_api_key & victorops_api_key_file must be configured"),
        ),
        ("conf.victorops-default-apikey-file.yml", Ok(())),
        ("conf.victorops-default-apikey.yml", Ok(())),
        ("conf.victorops-no-apikey.yml", Err("no global VictorOps API Key set")),
    ] {
        check(&format!("{dir}{f}"), want);
    }
}

#[test]
fn seeds_resolve_with_inheritance_and_defaults() {
    let cfg = Config::load_file(shared("fixtures/seeds/alertmanager.yml")).unwrap();
    assert_eq!(cfg.global.resolve_timeout, Duration::from_secs(300));
    assert!(!cfg.global.smtp_require_tls);
    let page = Labels::from_pairs([("alertname", "Down"), ("job", "api"), ("severity", "page")]);
    let routes = cfg.route.match_labels(&page);
    let names: Vec<_> = routes.iter().map(|r| r.opts.receiver.as_str()).collect();
    assert_eq!(names, ["oncall", "pager"]);
    assert_eq!(routes[0].opts.group_wait, Duration::from_secs(10));
    assert_eq!(routes[1].opts.group_wait, Duration::from_secs(30));
    assert_eq!(routes[1].opts.repeat_interval, Duration::from_secs(4 * 3600));
    assert_eq!(routes[1].group_key(&page), r#"{}/{severity="page"}:{alertname="Down", job="api"}"#);
    let warn = Labels::from_pairs([("severity", "warning")]);
    let r = &cfg.route.match_labels(&warn)[0];
    assert_eq!(r.opts.mute_time_intervals, ["nights"]);
    assert_eq!(r.opts.repeat_interval, Duration::from_secs(12 * 3600));
    assert!(cfg.time_intervals.contains_key("nights"));
    // Email inherits the global SMTP settings; webhook keeps its bearer token.
    let oncall = cfg.receiver("oncall").unwrap();
    assert_eq!(oncall.email_configs[0].smarthost, "localhost:2525");
    assert_eq!(oncall.email_configs[0].from, "alerts@system.local");
    assert_eq!(oncall.email_configs[0].require_tls, Some(false));
    let hook = &cfg.receiver("default").unwrap().webhook_configs[0];
    let auth = hook.http_config.as_ref().unwrap().authorization.as_ref().unwrap();
    assert_eq!((auth.kind.as_str(), auth.credentials.expose()), ("Bearer", "test-token"));
    assert!(hook.send_resolved);
    let sec = cfg.receiver("security").unwrap();
    assert_eq!(sec.opsgenie_configs[0].api_url.as_deref(), Some("http://127.0.0.1:5001/opsgenie/"));
    assert_eq!(cfg.receiver("pager").unwrap().pagerduty_configs[0].details.len(), 4);
}

#[test]
fn secrets_are_masked() {
    let cfg = Config::load_file(shared("testdata/alertmanager/config/conf.good.yml")).unwrap();
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("mysecret"), "a secret leaked into Debug output");
    assert!(shown.contains("<secret>"));
    let cfg = Config::load_file(shared("fixtures/seeds/alertmanager.yml")).unwrap();
    let shown = format!("{cfg:?}");
    for s in ["test-token", "0123456789abcdef0123456789abcdef", "opsgenie-test-key", "127.0.0.1:5001/slack"] {
        assert!(!shown.contains(s), "{s} leaked into Debug output");
    }
}

#[test]
fn errors_name_file_line_and_column() {
    let e =
        Config::load_str("route:\n  receiver: a\n  foo: 1\nreceivers:\n- name: a\n", Path::new("am.yml")).unwrap_err();
    assert!(matches!(e, Error::Yaml { line: 3, column: 3, .. }), "{e:?}");
    assert!(e.to_string().starts_with("cannot parse alertmanager config am.yml:3:3: "), "{e}");
    let e = Config::load_str("route:\n  receiver: b\nreceivers:\n- name: a\n", Path::new("am.yml")).unwrap_err();
    assert_eq!(e.to_string(), r#"cannot load alertmanager config am.yml: undefined receiver "b" used in route"#);
}

#[test]
fn check_config_summary_text() {
    let s = amtool::check_config(shared("fixtures/seeds/lumen_alertmanager.yml")).unwrap();
    assert!(s.to_string().ends_with(
        "  SUCCESS\nFound:\n - global config\n - route\n - 0 inhibit rules\n - 3 receivers\n - 0 templates\n\n"
    ));
}

#[test]
fn routes_muted_by_time_intervals() {
    use chrono::{DateTime, Utc};
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let cfg = Config::load_file(shared("fixtures/seeds/alertmanager.yml")).unwrap();
    let warn = Labels::from_pairs([("severity", "warning")]);
    let r = cfg.route.match_labels(&warn)[0];
    assert!(cfg.is_muted(r, at("2024-05-01T14:00:00Z"))); // 23:00 in Seoul
    assert!(!cfg.is_muted(r, at("2024-05-01T03:00:00Z"))); // 12:00 in Seoul
    assert!(!cfg.is_muted(&cfg.route, at("2024-05-01T14:00:00Z")));
    let yaml = "route:\n  receiver: a\n  routes:\n  - receiver: a\n    active_time_intervals: [office]\n\
                time_intervals:\n- name: office\n  time_intervals:\n  - weekdays: ['monday:friday']\n    times: [{start_time: '09:00', end_time: '17:00'}]\n\
                receivers: [{name: a}]\n";
    let cfg = Config::load_str(yaml, Path::new("t.yml")).unwrap();
    let r = &cfg.route.routes[0];
    assert!(!cfg.is_muted(r, at("2024-05-01T10:00:00Z"))); // Wednesday
    assert!(cfg.is_muted(r, at("2024-05-04T10:00:00Z"))); // Saturday
    assert!(cfg.is_muted(r, at("2024-05-01T17:00:00Z"))); // end is exclusive
}

#[test]
fn load_env_expansion() {
    let opts = argus_alertmanager::LoadOptions { expand_env: true };
    // The variables are unset here (tests do not mutate the environment), so the
    // first reference is reported with its line.
    let e = Config::load_file_with(shared("fixtures/seeds/lumen_alertmanager.yml"), &opts).unwrap_err();
    assert!(matches!(&e, Error::Env { line: 16, name, .. } if name == "LUMEN_ALERT_TOKEN"), "{e}");
}
