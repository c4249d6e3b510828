//! Config loading: Prometheus' defaults and messages, the seed and upstream
//! testdata configs, and a differential table against Debian's
//! `promtool check config` (skipped with a message when promtool is absent).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::*;

fn load_str(yaml: &str) -> Result<Config> {
    parse(yaml, Path::new("prometheus.yml"), &LoadOptions::default())
}

fn err(yaml: &str) -> ConfigError {
    load_str(yaml).unwrap_err()
}

#[test]
fn defaults() {
    let c = load_str("").unwrap();
    assert_eq!(c.global, GlobalConfig::default());
    let c = load_str("global:\nscrape_configs:\n- job_name: a\n  static_configs: [{targets: ['h:1']}]\n").unwrap();
    let j = &c.scrape_configs[0];
    assert_eq!((j.scrape_interval, j.scrape_timeout), (Duration::from_secs(60), Duration::from_secs(10)));
    assert_eq!((j.metrics_path.as_str(), j.scheme.as_str()), ("/metrics", "http"));
    assert!(j.honor_timestamps && !j.honor_labels);
    assert!(j.http_client.follow_redirects && j.http_client.enable_http2);
    // The timeout defaults to min(global timeout, interval).
    let c = load_str("global: {scrape_interval: 5s}\nscrape_configs: [{job_name: a}, {job_name: b, scrape_interval: 1m}, {job_name: c, scrape_interval: 2s}]").unwrap();
    assert_eq!(c.global.scrape_timeout, Duration::from_secs(5));
    let t: Vec<_> = c.scrape_configs.iter().map(|s| (s.scrape_interval, s.scrape_timeout)).collect();
    assert_eq!(
        t,
        vec![
            (Duration::from_secs(5), Duration::from_secs(5)),
            (Duration::from_secs(60), Duration::from_secs(5)),
            (Duration::from_secs(2), Duration::from_secs(2)),
        ]
    );
    // bearer_token folds into authorization; relative files join the config directory.
    let c = parse(
        "scrape_configs: [{job_name: a, bearer_token_file: tok, file_sd_configs: [{files: ['sd/*.json']}]}]\nrule_files: ['r/*.yml']",
        Path::new("/etc/argus/prometheus.yml"),
        &LoadOptions::default(),
    )
    .unwrap();
    let a = c.scrape_configs[0].http_client.authorization.clone().unwrap();
    assert_eq!((a.kind.as_str(), a.credentials_file), ("Bearer", Some(PathBuf::from("/etc/argus/tok"))));
    assert_eq!(c.scrape_configs[0].discovery.file_sd_configs[0].files, vec![PathBuf::from("/etc/argus/sd/*.json")]);
    assert_eq!(c.scrape_configs[0].discovery.file_sd_configs[0].refresh_interval, Duration::from_secs(300));
    assert_eq!(c.rule_files, vec![PathBuf::from("/etc/argus/r/*.yml")]);
    let c = load_str("remote_write: [{url: 'http://x'}]\nremote_read: [{url: 'http://y'}]\nalerting: {alertmanagers: [{static_configs: [{targets: ['a:1']}]}]}").unwrap();
    assert_eq!(c.remote_write[0].queue_config, QueueConfig::default());
    assert_eq!(c.remote_write[0].remote_timeout, Duration::from_secs(30));
    assert!(c.remote_read[0].filter_external_labels);
    let am = &c.alerting.alertmanagers[0];
    assert_eq!(
        (am.scheme.as_str(), am.path_prefix.as_str(), am.timeout, am.api_version),
        ("http", "/", Duration::from_secs(10), AlertmanagerApiVersion::V2)
    );
}

#[test]
fn messages_and_locations() {
    let e = err("scrape_configs:\n- job_name: a\n  foo: 1\n");
    assert_eq!(e.message(), "field foo not found in type config.ScrapeConfig");
    assert!(matches!(&e, ConfigError::Parse { location, .. } if location.line == Some(3)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cannot parse config prometheus.yml:3:3: field foo not found in type config.ScrapeConfig"
    );
    assert_eq!(err("global:\n  sample_limit: 5\n").message(), "field sample_limit not found in type config.plain");
    assert_eq!(
        err("remote_write:\n- url: http://x\n  queue_config: {foo: 1}\n").message(),
        "field foo not found in type config.QueueConfig"
    );
    let e = err("scrape_configs:\n- job_name: a\n- job_name: b\n  scrape_interval: 5s\n  scrape_timeout: 6s\n");
    assert_eq!(e.message(), "scrape timeout greater than scrape interval for scrape config with job name \"b\"");
    assert_eq!(e.job(), Some("b"));
    assert!(matches!(&e, ConfigError::Invalid { location, .. } if location.line == Some(3)), "{e:?}");
    assert_eq!(
        err("scrape_configs: [{job_name: a}, {job_name: a}]").message(),
        "found multiple scrape configs with job name \"a\""
    );
    let e = err("scrape_configs:\n- job_name: x\n  relabel_configs: [{action: nope}]\n");
    assert_eq!((e.message().as_str(), e.job()), ("unknown relabel action \"nope\"", Some("x")));
    assert_eq!(err("global: {scrape_interval: 15}").message(), "not a valid duration string: \"15\"");
    assert_eq!(
        err("global: {scrape_interval: 1m, scrape_interval: 2m}").message(),
        "field scrape_interval already set in type config.plain"
    );
}

#[test]
fn env_expansion_is_opt_in() {
    // SAFETY-free: the variable name is unique to this test.
    let yaml = "scrape_configs: [{job_name: a, bearer_token: '${ARGUS_TEST_TOKEN_4}'}]";
    let c = load_str(yaml).unwrap();
    assert_eq!(
        c.scrape_configs[0].http_client.authorization.as_ref().unwrap().credentials.as_deref(),
        Some("${ARGUS_TEST_TOKEN_4}")
    );
    let e = parse(yaml, Path::new("p.yml"), &LoadOptions { expand_env: true }).unwrap_err();
    assert_eq!(e.message(), "environment variable ARGUS_TEST_TOKEN_4 is not set");
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

#[test]
fn seed_config_loads() {
    let p = shared().join("fixtures/seeds/prometheus.yml");
    if !p.exists() {
        eprintln!("skipping: {} not found", p.display());
        return;
    }
    let c = load(&p, &LoadOptions::default()).unwrap();
    assert_eq!(c.global.external_labels.get("metric_realm"), Some("prod"));
    assert_eq!(c.rule_files.len(), 5);
    let jobs: Vec<_> = c.scrape_configs.iter().map(|s| s.job_name.as_str()).collect();
    assert_eq!(jobs, ["limen-backend", "pushgateway", "node", "photo-api"]);
    let limen = c.scrape_config("limen-backend").unwrap();
    assert_eq!((limen.metrics_path.as_str(), limen.scrape_timeout), ("/api/metrics", Duration::from_secs(10)));
    assert!(c.scrape_config("pushgateway").unwrap().honor_labels);
    let photo = c.scrape_config("photo-api").unwrap();
    assert_eq!(photo.scrape_interval, Duration::from_secs(30));
    assert_eq!(photo.metric_relabel_configs.len(), 1);
    // The limen target's job label comes from the target group, instance too.
    let set = crate::target::targets_from_groups(&limen.discovery.static_configs, limen, false);
    assert_eq!(set.active.len(), 1);
    assert_eq!(set.active[0].labels().get("job"), Some("limen"));
    assert_eq!(set.active[0].labels().get("instance"), Some("backend"));
    assert_eq!(set.active[0].url(), "http://localhost:18443/api/metrics");
    assert!(check_files(&c).is_ok());
    // Reloading the same file yields an equal config (reload can skip unchanged jobs).
    assert_eq!(load(&p, &LoadOptions::default()).unwrap(), c);
    // promtool agrees the seed config is valid.
    if let Some(m) = differential(p.parent().unwrap(), &["prometheus.yml".to_string()]) {
        assert!(m.is_empty(), "{m:?}");
    }
}

/// Our verdict on a config file: `Ok` or the message promtool would print.
fn our_verdict(path: &Path) -> std::result::Result<(), String> {
    let cfg = load(path, &LoadOptions::default()).map_err(|e| e.promtool_message())?;
    check_files(&cfg).map(|_| ())
}

/// promtool's verdict, or `None` if promtool is not installed.
fn promtool_verdict(dir: &Path, file: &str) -> Option<std::result::Result<(), String>> {
    let out = Command::new("promtool").arg("check").arg("config").arg(file).current_dir(dir).output().ok()?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if text.contains("is valid prometheus config file syntax") { Some(Ok(())) } else { Some(Err(text)) }
}

/// Compares verdicts; when both fail, promtool's output must contain our message.
fn differential(dir: &Path, files: &[String]) -> Option<Vec<String>> {
    let mut mismatches = Vec::new();
    for f in files {
        let theirs = promtool_verdict(dir, f)?;
        let ours = our_verdict(&dir.join(f)).map_err(|m| m.replace(&format!("{}/", dir.display()), ""));
        match (&ours, &theirs) {
            (Ok(()), Ok(())) => {}
            (Err(o), Err(t)) if t.contains(o.as_str()) => {}
            // The Go type named after "into" is a guess (Go may say model.LabelNames).
            (Err(o), Err(t)) if o.contains("cannot unmarshal") && t.contains(o.split(" into ").next().unwrap_or(o)) => {
            }
            (Err(o), Err(t)) => {
                mismatches.push(format!("{f}: message differs\n  ours:     {o}\n  promtool: {}", t.trim()))
            }
            _ => mismatches.push(format!("{f}: verdict differs\n  ours:     {ours:?}\n  promtool: {theirs:?}")),
        }
    }
    Some(mismatches)
}

/// Good and bad configs: every one promtool accepts we accept, and vice versa.
const TABLE: &[(&str, &str)] = &[
    ("empty", ""),
    ("minimal", "scrape_configs: [{job_name: a, static_configs: [{targets: ['h:1']}]}]"),
    (
        "global_full",
        "global: {scrape_interval: 30s, scrape_timeout: 20s, evaluation_interval: 1m, query_log_file: q.log, external_labels: {a: b}}",
    ),
    ("global_timeout_gt", "global: {scrape_interval: 10s, scrape_timeout: 11s}"),
    ("global_timeout_default_gt", "global: {scrape_timeout: 2m}"),
    ("global_unknown", "global: {sample_limit: 5}"),
    ("global_int_duration", "global: {scrape_interval: 15}"),
    ("global_zero_int", "global: {scrape_timeout: 0}"),
    ("global_bad_label", "global: {external_labels: {'1a': b}}"),
    ("top_unknown", "foo: 1"),
    ("scrape_config_files", "scrape_config_files: [a]"),
    (
        "storage_tracing",
        "storage: {tsdb: {out_of_order_time_window: 1h}, exemplars: {max_exemplars: 10}}\ntracing: {endpoint: 'x:1', client_type: grpc}",
    ),
    (
        "job_full",
        "scrape_configs:\n- job_name: a\n  honor_labels: true\n  honor_timestamps: false\n  params: {module: [x]}\n  scrape_interval: 30s\n  scrape_timeout: 5s\n  metrics_path: /m\n  scheme: https\n  body_size_limit: 10MB\n  sample_limit: 1\n  target_limit: 1\n  label_limit: 1\n  label_name_length_limit: 1\n  label_value_length_limit: 1\n  follow_redirects: false\n  enable_http2: false\n  proxy_url: 'http://p:1'\n  tls_config: {insecure_skip_verify: true, server_name: x, min_version: TLS12, max_version: TLS13}\n  basic_auth: {username: u, password: p}\n",
    ),
    ("job_unknown", "scrape_configs:\n- job_name: a\n  foo: 1"),
    ("job_no_name", "scrape_configs: [{scrape_interval: 1m}]"),
    ("job_null", "scrape_configs:\n-"),
    ("job_dup", "scrape_configs: [{job_name: a}, {job_name: a}]"),
    ("job_timeout_gt", "scrape_configs: [{job_name: a, scrape_interval: 5s, scrape_timeout: 6s}]"),
    ("job_interval_below_global_timeout", "scrape_configs: [{job_name: a, scrape_interval: 5s}]"),
    ("job_zero_interval", "scrape_configs: [{job_name: a, scrape_interval: 0s}]"),
    ("job_scheme_any", "scrape_configs: [{job_name: a, scheme: ftp}]"),
    ("job_body_int", "scrape_configs: [{job_name: a, body_size_limit: 1000}]"),
    ("job_body_frac", "scrape_configs: [{job_name: a, body_size_limit: 1.5MB}]"),
    ("job_body_kib", "scrape_configs: [{job_name: a, body_size_limit: 512KiB}]"),
    ("job_classic_histograms", "scrape_configs: [{job_name: a, scrape_classic_histograms: true}]"),
    ("job_no_proxy", "scrape_configs: [{job_name: a, no_proxy: x}]"),
    ("job_k8s_sd", "scrape_configs: [{job_name: a, kubernetes_sd_configs: [{role: pod}]}]"),
    ("job_url_target", "scrape_configs: [{job_name: a, static_configs: [{targets: ['http://h']}]}]"),
    (
        "job_url_target_relabeled",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [__address__], target_label: __param_target}, {target_label: __address__, replacement: 'bb:1'}], static_configs: [{targets: ['http://h']}]}]",
    ),
    (
        "job_url_target_kept",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [__address__], target_label: __param_target}], static_configs: [{targets: ['http://h']}]}]",
    ),
    (
        "job_relabel_drops_address",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: labeldrop, regex: __address__}], static_configs: [{targets: ['h:1']}]}]",
    ),
    (
        "job_relabel_bad_interval",
        "scrape_configs: [{job_name: a, relabel_configs: [{target_label: __scrape_interval__, replacement: x}], static_configs: [{targets: ['h:1']}]}]",
    ),
    ("job_empty_target", "scrape_configs: [{job_name: a, static_configs: [{targets: ['']}]}]"),
    ("group_unknown", "scrape_configs: [{job_name: a, static_configs: [{targets: [a], foo: 1}]}]"),
    (
        "group_int_label",
        "scrape_configs: [{job_name: a, static_configs: [{targets: [1234], labels: {port: 8080, ok: true}}]}]",
    ),
    ("group_bad_label", "scrape_configs: [{job_name: a, static_configs: [{targets: [a], labels: {'a-b': x}}]}]"),
    ("bearer_both", "scrape_configs: [{job_name: a, bearer_token: x, bearer_token_file: y}]"),
    ("basic_and_bearer", "scrape_configs: [{job_name: a, basic_auth: {username: u}, bearer_token: x}]"),
    ("basic_pw_both", "scrape_configs: [{job_name: a, basic_auth: {username: u, password: p, password_file: f}}]"),
    ("authz_basic", "scrape_configs: [{job_name: a, authorization: {type: Basic}}]"),
    ("authz_and_bearer", "scrape_configs: [{job_name: a, authorization: {credentials: x}, bearer_token: y}]"),
    ("authz_and_basic", "scrape_configs: [{job_name: a, authorization: {credentials: x}, basic_auth: {username: u}}]"),
    ("authz_both_creds", "scrape_configs: [{job_name: a, authorization: {credentials: x, credentials_file: y}}]"),
    ("authz_missing_file", "scrape_configs: [{job_name: a, authorization: {credentials_file: /nonexistent/x}}]"),
    (
        "oauth2_ok",
        "scrape_configs: [{job_name: a, oauth2: {client_id: a, client_secret: b, token_url: 'http://t', scopes: [s], endpoint_params: {a: b}}}]",
    ),
    ("oauth2_no_id", "scrape_configs: [{job_name: a, oauth2: {client_secret: b, token_url: 'http://t'}}]"),
    ("oauth2_no_secret", "scrape_configs: [{job_name: a, oauth2: {client_id: a, token_url: 'http://t'}}]"),
    ("oauth2_no_url", "scrape_configs: [{job_name: a, oauth2: {client_id: a, client_secret: b}}]"),
    ("tls_bad_version", "scrape_configs: [{job_name: a, tls_config: {min_version: TLS14}}]"),
    ("tls_cert_no_key", "scrape_configs: [{job_name: a, tls_config: {cert_file: /etc/hostname}}]"),
    ("tls_key_no_cert", "scrape_configs: [{job_name: a, tls_config: {key_file: /etc/hostname}}]"),
    (
        "tls_missing_files",
        "scrape_configs: [{job_name: a, tls_config: {cert_file: /nonexistent/c, key_file: /nonexistent/k}}]",
    ),
    ("tls_ca_inline", "scrape_configs: [{job_name: a, tls_config: {ca: x}}]"),
    (
        "relabel_all_actions",
        "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - {source_labels: [a], target_label: b}\n  - {source_labels: [a], action: keep}\n  - {source_labels: [a], action: drop, regex: x}\n  - {source_labels: [a], target_label: b, action: keepequal}\n  - {source_labels: [a], target_label: b, action: dropequal}\n  - {source_labels: [a], target_label: b, action: hashmod, modulus: 3}\n  - {action: labelmap, regex: '__meta_(.+)'}\n  - {action: labeldrop, regex: x}\n  - {action: labelkeep, regex: '.*'}\n  - {source_labels: [a], target_label: b, action: Lowercase}\n  - {source_labels: [a], target_label: b, action: UPPERCASE}\n  metric_relabel_configs:\n  - {source_labels: [__name__], regex: 'go_.*', action: drop}\n",
    ),
    ("relabel_unknown_action", "scrape_configs: [{job_name: a, relabel_configs: [{action: foo}]}]"),
    ("relabel_empty_action", "scrape_configs: [{job_name: a, relabel_configs: [{action: ''}]}]"),
    ("relabel_unknown_field", "scrape_configs: [{job_name: a, relabel_configs: [{foo: 1}]}]"),
    ("relabel_bad_regex", "scrape_configs: [{job_name: a, relabel_configs: [{regex: '(a'}]}]"),
    ("relabel_no_target", "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a]}]}]"),
    ("relabel_bad_target", "scrape_configs: [{job_name: a, relabel_configs: [{target_label: '1a'}]}]"),
    ("relabel_dollar_target", "scrape_configs: [{job_name: a, relabel_configs: [{target_label: 'x_${1}'}]}]"),
    (
        "relabel_hashmod_no_mod",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: hashmod, target_label: a}]}]",
    ),
    (
        "relabel_hashmod_dollar",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: hashmod, target_label: '$1', modulus: 2}]}]",
    ),
    (
        "relabel_lower_replacement",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: lowercase, target_label: a, replacement: x}]}]",
    ),
    (
        "relabel_labelmap_bad",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: labelmap, replacement: 'a-b'}]}]",
    ),
    (
        "relabel_keepequal_regex",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: keepequal, source_labels: [a], target_label: b, regex: '(.*)'}]}]",
    ),
    (
        "relabel_keepequal_sep",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: keepequal, source_labels: [a], target_label: b, separator: ';'}]}]",
    ),
    (
        "relabel_labeldrop_source",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: labeldrop, regex: a, source_labels: [b]}]}]",
    ),
    (
        "relabel_labelkeep_target",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: labelkeep, regex: a, target_label: b}]}]",
    ),
    ("relabel_null", "scrape_configs:\n- job_name: a\n  relabel_configs:\n  -\n"),
    (
        "relabel_bad_source",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: ['a-b'], target_label: c}]}]",
    ),
    (
        "file_sd_ok",
        "scrape_configs: [{job_name: a, file_sd_configs: [{files: ['nonexistent/*.json', 'x.yml'], refresh_interval: 1m}]}]",
    ),
    ("file_sd_bad_ext", "scrape_configs: [{job_name: a, file_sd_configs: [{files: [a.txt]}]}]"),
    ("file_sd_bad_glob", "scrape_configs: [{job_name: a, file_sd_configs: [{files: ['a/*/b.json']}]}]"),
    ("file_sd_empty", "scrape_configs: [{job_name: a, file_sd_configs: [{files: []}]}]"),
    (
        "http_sd_ok",
        "scrape_configs: [{job_name: a, http_sd_configs: [{url: 'http://sd/x', refresh_interval: 30s, basic_auth: {username: u, password: p}}]}]",
    ),
    ("http_sd_scheme", "scrape_configs: [{job_name: a, http_sd_configs: [{url: 'ftp://x'}]}]"),
    ("http_sd_no_url", "scrape_configs: [{job_name: a, http_sd_configs: [{refresh_interval: 30s}]}]"),
    ("http_sd_no_host", "scrape_configs: [{job_name: a, http_sd_configs: [{url: 'http:///x'}]}]"),
    (
        "dns_sd_ok",
        "scrape_configs: [{job_name: a, dns_sd_configs: [{names: [_x._tcp.example.com]}, {names: [a.example.com], type: A, port: 80}, {names: [b], type: aaaa, port: 1}]}]",
    ),
    ("dns_sd_no_port", "scrape_configs: [{job_name: a, dns_sd_configs: [{names: [a], type: MX}]}]"),
    ("dns_sd_ns", "scrape_configs: [{job_name: a, dns_sd_configs: [{names: [a], type: NS}]}]"),
    ("dns_sd_no_names", "scrape_configs: [{job_name: a, dns_sd_configs: [{type: SRV}]}]"),
    ("rule_files_missing", "rule_files: [nonexistent.yml]"),
    ("rule_files_glob", "rule_files: ['nonexistent/*.yml']"),
    ("rule_files_bad_glob", "rule_files: ['a/*/b.yml']"),
    (
        "alerting_full",
        "alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: replica}]\n  alertmanagers:\n  - scheme: https\n    path_prefix: /am\n    timeout: 5s\n    api_version: v1\n    static_configs: [{targets: ['a:1']}]\n    file_sd_configs: [{files: [nonexistent.json]}]\n",
    ),
    ("alerting_bad_api", "alerting: {alertmanagers: [{api_version: v3}]}"),
    ("alerting_unknown", "alerting: {foo: 1}"),
    ("alertmanager_unknown", "alerting: {alertmanagers: [{foo: 1}]}"),
    ("alertmanager_url_target", "alerting: {alertmanagers: [{static_configs: [{targets: ['http://a']}]}]}"),
    (
        "alertmanager_url_target_kept",
        "alerting: {alertmanagers: [{relabel_configs: [{source_labels: [__address__], target_label: x}], static_configs: [{targets: ['http://a']}]}]}",
    ),
    (
        "remote_write_full",
        "remote_write:\n- url: 'http://x'\n  name: a\n  remote_timeout: 10s\n  headers: {X-A: b}\n  send_exemplars: true\n  send_native_histograms: true\n  write_relabel_configs: [{source_labels: [__name__], regex: 'x', action: drop}]\n  queue_config: {capacity: 10, max_shards: 2, min_shards: 1, max_samples_per_send: 5, batch_send_deadline: 1s, min_backoff: 10ms, max_backoff: 1s, retry_on_http_429: true}\n  metadata_config: {send: false, send_interval: 2m, max_samples_per_send: 10}\n",
    ),
    ("remote_write_no_url", "remote_write: [{name: a}]"),
    ("remote_write_dup", "remote_write: [{url: 'http://x', name: a}, {url: 'http://y', name: a}]"),
    ("remote_write_dup_unnamed", "remote_write: [{url: 'http://x'}, {url: 'http://y'}]"),
    ("remote_write_auth_header", "remote_write: [{url: 'http://x', headers: {Authorization: x}}]"),
    ("remote_write_host_header", "remote_write: [{url: 'http://x', headers: {Host: x}}]"),
    ("remote_write_sigv4_basic", "remote_write: [{url: 'http://x', sigv4: {region: r}, basic_auth: {username: u}}]"),
    ("remote_write_azuread", "remote_write: [{url: 'http://x', azuread: {cloud: AzurePublic}}]"),
    ("remote_write_sample_age", "remote_write: [{url: 'http://x', queue_config: {sample_age_limit: 1s}}]"),
    (
        "remote_read_full",
        "remote_read: [{url: 'http://x', name: b, read_recent: true, required_matchers: {a: b}, filter_external_labels: false, remote_timeout: 1m, headers: {X-A: b}}]",
    ),
    ("remote_read_no_url", "remote_read: [{name: b}]"),
    ("remote_read_dup", "remote_read: [{url: 'http://x', name: a}, {url: 'http://y', name: a}]"),
    ("yaml_syntax", "scrape_configs: [\n"),
    (
        "relabel_unicode_target",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], target_label: 'aé'}]}]",
    ),
    (
        "relabel_unicode_labelmap",
        "scrape_configs: [{job_name: a, relabel_configs: [{action: labelmap, replacement: '${é}'}]}]",
    ),
    (
        "regex_00",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\Qa.b\\E', target_label: b}]}]",
    ),
    (
        "regex_01",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '(?<n>a)', target_label: b}]}]",
    ),
    (
        "regex_02",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a{1001}', target_label: b}]}]",
    ),
    (
        "regex_03",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\12', target_label: b}]}]",
    ),
    (
        "regex_04",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\1', target_label: b}]}]",
    ),
    (
        "regex_05",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\C', target_label: b}]}]",
    ),
    (
        "regex_06",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\z', target_label: b}]}]",
    ),
    (
        "regex_07",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '(?i)A', target_label: b}]}]",
    ),
    (
        "regex_08",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\pL', target_label: b}]}]",
    ),
    (
        "regex_09",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a**', target_label: b}]}]",
    ),
    (
        "regex_10",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '[[:word:]]', target_label: b}]}]",
    ),
    (
        "regex_11",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\Z', target_label: b}]}]",
    ),
    (
        "regex_12",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '(?P<n>a)', target_label: b}]}]",
    ),
    (
        "regex_13",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'x{2,1}', target_label: b}]}]",
    ),
    (
        "regex_14",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\8', target_label: b}]}]",
    ),
    (
        "regex_15",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '[a', target_label: b}]}]",
    ),
    (
        "regex_16",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '*', target_label: b}]}]",
    ),
    (
        "regex_17",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a)', target_label: b}]}]",
    ),
    (
        "regex_18",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a{,3}', target_label: b}]}]",
    ),
    (
        "regex_19",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\e', target_label: b}]}]",
    ),
    (
        "regex_20",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\_', target_label: b}]}]",
    ),
    (
        "regex_21",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\-', target_label: b}]}]",
    ),
    (
        "regex_22",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\ ', target_label: b}]}]",
    ),
    (
        "regex_23",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '\\E', target_label: b}]}]",
    ),
    (
        "regex_24",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a\\Qb', target_label: b}]}]",
    ),
    (
        "regex_25",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '(?z)', target_label: b}]}]",
    ),
    (
        "regex_26",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '[\\d\\W]+', target_label: b}]}]",
    ),
    (
        "regex_27",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: '(?s:.)+?', target_label: b}]}]",
    ),
    (
        "regex_28",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a+*', target_label: b}]}]",
    ),
    (
        "regex_29",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a??', target_label: b}]}]",
    ),
    (
        "regex_30",
        "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a], regex: 'a???', target_label: b}]}]",
    ),
    ("yaml_mapping_values", "a: b: c\n"),
    ("yaml_nested_flow", "global:\n  x: [1,\n"),
    ("yaml_bad_indent", "scrape_configs:\n- job_name: a\n   foo: 1\n"),
    ("yaml_tab", "global:\n\tscrape_interval: 1m\n"),
    ("yaml_unterminated_quote", "a: \"x\n"),
    ("yaml_unterminated_map", "global: {a: 1\n"),
    ("null_rule_file", "rule_files: [null]"),
    ("null_static", "scrape_configs: [{job_name: a, static_configs: [null]}]"),
    ("null_file_sd", "scrape_configs: [{job_name: a, file_sd_configs: [null]}]"),
    ("null_metric_relabel", "scrape_configs: [{job_name: a, metric_relabel_configs: [null]}]"),
    ("null_alert_relabel", "alerting: {alert_relabel_configs: [null]}"),
    ("null_am_relabel", "alerting: {alertmanagers: [{static_configs: [{targets: ['a:1']}], relabel_configs: [null]}]}"),
    ("null_remote_write", "remote_write: [null]"),
    ("null_write_relabel", "remote_write: [{url: 'http://x', write_relabel_configs: [null]}]"),
    ("source_labels_string", "scrape_configs: [{job_name: a, relabel_configs: [{source_labels: a, target_label: b}]}]"),
    ("params_string", "scrape_configs: [{job_name: a, params: {a: b}}]"),
    ("proxy_no_scheme", "scrape_configs: [{job_name: a, proxy_url: ':bad'}]"),
    ("proxy_bad_port", "scrape_configs: [{job_name: a, proxy_url: 'http://h:port'}]"),
    ("proxy_bad_escape", "scrape_configs: [{job_name: a, proxy_url: 'http://h/%zz'}]"),
    ("remote_write_relative_url", "remote_write: [{url: 'not a url'}]"),
    ("remote_write_no_scheme", "remote_write: [{url: ':x'}]"),
    ("remote_read_colon_segment", "remote_read: [{url: '1a:b'}]"),
    ("http_sd_bad_port", "scrape_configs: [{job_name: a, http_sd_configs: [{url: 'http://h:port/x'}]}]"),
    ("dns_port_out_of_range", "scrape_configs: [{job_name: a, dns_sd_configs: [{names: [a], type: A, port: 99999}]}]"),
    ("negative_limit", "scrape_configs: [{job_name: a, sample_limit: -1}]"),
    ("timeout_only_above_global_interval", "scrape_configs: [{job_name: a, scrape_timeout: 2m}]"),
    (
        "yaml11_bools",
        "scrape_configs:\n- job_name: a\n  honor_labels: yes\n  honor_timestamps: Off\n  tls_config: {insecure_skip_verify: Y}\n",
    ),
    ("yaml_quoted_bool", "scrape_configs:\n- job_name: a\n  honor_labels: \"true\"\n"),
    ("yaml_int_bool", "scrape_configs:\n- job_name: a\n  honor_labels: 1\n"),
    (
        "yaml_scalar_labels",
        "scrape_configs: [{job_name: a, static_configs: [{targets: [a], labels: {v: 1.5, w: 0x10, x: ~}}]}]",
    ),
    ("yaml_dup_key", "global: {scrape_interval: 1m, scrape_interval: 2m}"),
];

#[test]
fn promtool_differential_table() {
    let dir = std::env::temp_dir().join(format!("argus-config-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, yaml) in TABLE {
        let f = format!("{name}.yml");
        std::fs::write(dir.join(&f), yaml).unwrap();
        files.push(f);
    }
    let Some(mismatches) = differential(&dir, &files) else {
        eprintln!("skipping promtool differential: promtool not installed (apt-get install prometheus)");
        return;
    };
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        mismatches.is_empty(),
        "{} of {} configs disagree with promtool:\n{}",
        mismatches.len(),
        files.len(),
        mismatches.join("\n")
    );
}

#[test]
fn promtool_differential_testdata() {
    let dir = shared().join("testdata/promtool");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let mut files: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.contains("config") && f.ends_with(".yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let Some(mismatches) = differential(&dir, &files) else {
        eprintln!("skipping promtool differential: promtool not installed (apt-get install prometheus)");
        return;
    };
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
