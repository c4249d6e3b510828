//! Differential test against Debian's amtool 0.25: `check-config`, `config routes`
//! and `config routes test` on the seeds' configs, Alertmanager's own config
//! fixtures and small generated cases must print the same stdout and exit with
//! the same code as our `amtool` module. Skipped (with a note) without amtool.

use std::path::{Path, PathBuf};
use std::process::Command;

use argus_alertmanager::{Config, amtool};
use argus_model::MatchOp;

const AMTOOL: &str = "/usr/bin/amtool";

/// Cases where we knowingly print something else, and why.
const KNOWN_DIFFS: &[(&str, &str)] = &[
    ("gen-msteams", "argus accepts msteams_configs (Alertmanager 0.26's Teams integration); 0.25 rejects the field"),
    ("integration-70", "argus accepts msteams_configs (Alertmanager 0.26's Teams integration); 0.25 rejects the field"),
];

/// An amtool invocation to run later (all of them run in parallel at the end).
struct Job {
    args: Vec<String>,
    dir: PathBuf,
}

struct Pending {
    case: String,
    what: String,
    job: Job,
    ours: (String, i32),
}

struct Diff {
    pending: Vec<Pending>,
    failures: Vec<String>,
    known: Vec<String>,
    agreed: usize,
}

impl Diff {
    fn compare(&mut self, case: &str, what: &str, job: Job, ours: (String, i32)) {
        self.pending.push(Pending { case: case.to_string(), what: what.to_string(), job, ours });
    }

    /// Runs the queued amtool invocations on a few threads and compares.
    fn finish(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 6);
        let chunk = pending.len().div_ceil(workers).max(1);
        let outs: Vec<(String, i32)> = std::thread::scope(|s| {
            let handles: Vec<_> = pending
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|p| exec(&p.job)).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
        });
        for (p, want) in pending.into_iter().zip(outs) {
            if want == p.ours {
                self.agreed += 1;
                continue;
            }
            let msg = format!(
                "{}: {}\n--- amtool (exit {}):\n{}--- argus (exit {}):\n{}",
                p.case, p.what, want.1, want.0, p.ours.1, p.ours.0
            );
            if KNOWN_DIFFS.iter().any(|(c, _)| *c == p.case || p.case.starts_with(&format!("{c} "))) {
                self.known.push(msg);
            } else {
                self.failures.push(msg);
            }
        }
    }
}

fn run(args: &[&str], dir: &Path) -> Job {
    Job { args: args.iter().map(|a| a.to_string()).collect(), dir: dir.to_path_buf() }
}

fn exec(job: &Job) -> (String, i32) {
    let out = Command::new(AMTOOL).args(&job.args).current_dir(&job.dir).output().expect("amtool runs");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Label sets worth testing for a config: none, each `=` matcher alone, the
/// `=` matchers along every path, and a literal alternative of simple regexes.
fn label_sets(cfg: &Config) -> Vec<Vec<String>> {
    fn pairs(r: &argus_alertmanager::Route) -> Vec<String> {
        r.matchers
            .0
            .iter()
            .filter_map(|m| match m.op {
                MatchOp::Equal => Some(format!("{}={}", m.name, m.value)),
                MatchOp::Re => {
                    let v = m.value.trim_start_matches("^(?:").trim_end_matches(")$");
                    let v = v.trim_start_matches("^(").trim_end_matches(")$");
                    let alt = v.split('|').next().unwrap_or("");
                    alt.chars().all(|c| c.is_ascii_alphanumeric() || c == '-').then(|| format!("{}={}", m.name, alt))
                }
                _ => None,
            })
            .collect()
    }
    fn walk(r: &argus_alertmanager::Route, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut p = path.clone();
        p.extend(pairs(r));
        for one in pairs(r) {
            out.push(vec![one]);
        }
        out.push(p.clone());
        for c in &r.routes {
            walk(c, p.clone(), out);
        }
    }
    let mut out = vec![vec![], vec!["alertname=Unrelated".to_string()]];
    walk(&cfg.route, Vec::new(), &mut out);
    let all: Vec<String> = out.iter().flatten().cloned().collect();
    out.push(all.clone());
    // Deterministic pseudo-random mixes of the labels above, last value winning
    // for a repeated name as in amtool.
    let mut vocab = all;
    vocab.sort();
    vocab.dedup();
    if vocab.len() > 2 {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..12 {
            let mut set = Vec::new();
            for _ in 0..3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                set.push(vocab[(seed >> 33) as usize % vocab.len()].clone());
            }
            out.push(set);
        }
    }
    out.sort();
    out.dedup();
    out
}

const GENERATED: &[(&str, &str)] = &[
    (
        "gen-unknown-types",
        "route:\n  receiver: a\ntime_intervals:\n- name: x\n  time_intervals:\n  - weekdays: [monday]\n    baz: 1\n    times: [{start_time: '01:00', end_time: '02:00', bar: 1}]\nreceivers:\n- name: a\n  sns_configs:\n  - topic_arn: x\n    sigv4: {foo: 1}\n  pagerduty_configs:\n  - routing_key: x\n    images: [{foo: 1}]\n    links: [{bar: 1}]\n  opsgenie_configs:\n  - api_key: x\n    responders: [{name: a, type: team, foo: 1}]\n  webhook_configs:\n  - url: http://x\n    http_config: {basic_auth: {foo: 1}, authorization: {bar: 1}}\n  - url: http://x\n    http_config: {oauth2: {client_id: a, client_secret: b, token_url: 'http://x', baz: 1}}\n",
    ),
    ("gen-inhibit-name", "route:\n  receiver: a\ninhibit_rules:\n- name: x\nreceivers:\n- name: a\n"),
    (
        "gen-merge-ok",
        "route:\n  receiver: a\n  routes:\n  - &common\n    matchers: [team=x]\n    receiver: a\n    group_wait: 1s\n  - <<: *common\n    receiver: b\nreceivers:\n- name: a\n- name: b\n",
    ),
    (
        "gen-unknown-many",
        "global:\n  foo: 1\n  resolve_timeout: 1m\nroute:\n  receiver: a\n  bar:\n    nested: [1, 2]\n    more: x\n  routes:\n  - receiver: a\n    baz: 1\n  - qux: 2\n    receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x\n    zap: 1\n    http_config:\n      tls_config:\n        zip: 2\nextra: 1\n",
    ),
    (
        "gen-unknown-and-invalid",
        "route:\n  receiver: a\n  foo: 1\nreceivers:\n- name: a\n  webhook_configs:\n  - send_resolved: true\n",
    ),
    ("gen-unknown-and-undefined", "route:\n  receiver: b\n  foo: 1\nreceivers:\n- name: a\n"),
    ("gen-unknown-and-type", "route:\n  receiver: a\n  foo: 1\n  continue: 5\nreceivers:\n- name: a\n"),
    ("gen-unknown-flow", "route: {receiver: a, foo: 1, bar: 2}\nreceivers:\n- name: a\n"),
    ("gen-unknown-seq-item", "route:\n  receiver: a\nreceivers:\n- foo: 1\n  name: a\n- bar: 2\n  name: b\n"),
    ("gen-unclosed-flow", "route:\n  receiver: a\n  group_by: [a\nreceivers:\n- name: a\n"),
    ("gen-unclosed-quote", "route:\n  receiver: 'a\n"),
    ("gen-bad-indent", "route:\n  receiver: a\n routes: []\nreceivers:\n- name: a\n"),
    (
        "gen-dup-nested-key",
        "route:\n  receiver: a\n  routes:\n  - receiver: a\n    continue: true\n    continue: false\nreceivers:\n- name: a\n",
    ),
    (
        "gen-bool-forms",
        "route:\n  receiver: a\n  routes:\n  - continue: on\n    receiver: a\n  - continue: No\nreceivers:\n- name: a\n  webhook_configs:\n  - {url: 'http://x', send_resolved: off}\n",
    ),
    (
        "gen-regex-unclosed-class",
        "route:\n  receiver: a\n  routes:\n  - matchers: ['a=~\"[x\"']\nreceivers:\n- name: a\n",
    ),
    ("gen-regex-unopened", "route:\n  receiver: a\n  routes:\n  - matchers: ['a=~\"x)\"']\nreceivers:\n- name: a\n"),
    ("gen-regex-repeat", "route:\n  receiver: a\n  routes:\n  - matchers: ['a=~\"*\"']\nreceivers:\n- name: a\n"),
    ("gen-match-re-bad", "route:\n  receiver: a\n  routes:\n  - match_re: {a: '('}\nreceivers:\n- name: a\n"),
    ("gen-match-bad-name", "route:\n  receiver: a\n  routes:\n  - match: {a-b: c}\nreceivers:\n- name: a\n"),
    ("gen-inhibit-bad-equal", "route:\n  receiver: a\ninhibit_rules:\n- equal: [a-b]\nreceivers:\n- name: a\n"),
    (
        "gen-inhibit-matchers",
        "route:\n  receiver: a\ninhibit_rules:\n- source_matchers: ['a=\"b\"']\n  target_matchers: ['c!~\"d\"']\n  equal: [e]\n- source_match: {a: b}\n  target_match_re: {c: d}\nreceivers:\n- name: a\n",
    ),
    (
        "gen-active-intervals",
        "route:\n  receiver: a\n  routes:\n  - receiver: a\n    active_time_intervals: [w]\n    mute_time_intervals: [m]\nmute_time_intervals:\n- name: m\n  time_intervals:\n  - weekdays: [saturday, sunday]\ntime_intervals:\n- name: w\n  time_intervals:\n  - times: [{start_time: '09:00', end_time: '17:00'}]\n    weekdays: ['monday:friday']\n    days_of_month: ['1:-1']\n    months: ['january:march', 'june']\n    years: ['2020:2030']\n    location: Europe/Berlin\nreceivers:\n- name: a\n",
    ),
    (
        "gen-root-mute",
        "route:\n  receiver: a\n  mute_time_intervals: [m]\nmute_time_intervals:\n- name: m\nreceivers:\n- name: a\n",
    ),
    ("gen-templates", "route:\n  receiver: a\ntemplates: ['*.tmpl', '/nonexistent/x/*.tmpl']\nreceivers:\n- name: a\n"),
    ("gen-dup-key", "route:\n  receiver: a\n  receiver: b\nreceivers:\n- name: a\n"),
    ("gen-merge-unknown", "x_defaults: &d\n  receiver: a\nroute:\n  <<: *d\nreceivers:\n- name: a\n"),
    ("gen-alias", "route:\n  receiver: &n a\nreceivers:\n- name: *n\n"),
    ("gen-tab", "route:\n\treceiver: a\nreceivers:\n- name: a\n"),
    ("gen-multidoc", "route:\n  receiver: a\nreceivers:\n- name: a\n---\nfoo: 1\n"),
    ("gen-null-route", "route:\nreceivers:\n- name: a\n"),
    ("gen-null-list", "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n"),
    ("gen-bool-as-string", "route:\n  receiver: true\nreceivers:\n- name: \"true\"\n"),
    ("gen-int-as-bool", "route:\n  receiver: a\n  continue: 1\nreceivers:\n- name: a\n"),
    ("gen-yes-bool", "route:\n  receiver: a\n  routes:\n  - continue: yes\nreceivers:\n- name: a\n"),
    ("gen-scalar-for-list", "route:\n  receiver: a\n  group_by: a\nreceivers:\n- name: a\n"),
    ("gen-null-group-by", "route:\n  receiver: a\n  group_by:\nreceivers:\n- name: a\n"),
    ("gen-bad-yaml", "route:\n  receiver: a\n   x: [\nreceivers:\n- name: a\n"),
    ("gen-receiver-no-name", "route:\n  receiver: a\nreceivers:\n- name: a\n- webhook_configs: []\n"),
    ("gen-interval-no-name", "route:\n  receiver: a\ntime_intervals:\n- time_intervals: []\nreceivers:\n- name: a\n"),
    ("gen-comments-only", "# nothing here\n\n"),
    ("gen-unknown-field", "route:\n  receiver: a\n  foo: 1\nreceivers:\n- name: a\n"),
    ("gen-unknown-two-fields", "route:\n  receiver: a\n  foo: 1\nbar: 2\nreceivers:\n- name: a\n"),
    (
        "gen-unknown-nested",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: http://x\n    http_config:\n      tls_config: {foo: 1}\n",
    ),
    ("gen-undefined-receiver", "route:\n  receiver: b\nreceivers:\n- name: a\n"),
    ("gen-no-root-receiver", "route:\n  group_by: [a]\nreceivers:\n- name: a\n"),
    ("gen-group-by-dup", "route:\n  receiver: a\n  group_by: [a, a]\nreceivers:\n- name: a\n"),
    ("gen-group-by-all-mixed", "route:\n  receiver: a\n  group_by: [a, '...']\nreceivers:\n- name: a\n"),
    ("gen-group-by-bad-name", "route:\n  receiver: a\n  group_by: [a-b]\nreceivers:\n- name: a\n"),
    ("gen-matcher-bad-regex", "route:\n  receiver: a\n  routes:\n  - matchers: ['a=~(']\nreceivers:\n- name: a\n"),
    ("gen-matcher-bad-format", "route:\n  receiver: a\n  routes:\n  - matchers: ['a b']\nreceivers:\n- name: a\n"),
    ("gen-bad-duration", "route:\n  receiver: a\n  group_wait: 5x\nreceivers:\n- name: a\n"),
    ("gen-zero-interval", "route:\n  receiver: a\n  group_interval: 0s\nreceivers:\n- name: a\n"),
    ("gen-wrong-type", "route:\n  receiver: [a]\nreceivers:\n- name: a\n"),
    (
        "gen-undefined-interval",
        "route:\n  receiver: a\n  routes:\n  - receiver: a\n    mute_time_intervals: [x]\nreceivers:\n- name: a\n",
    ),
    (
        "gen-bad-time",
        "route:\n  receiver: a\ntime_intervals:\n- name: x\n  time_intervals:\n  - times:\n    - start_time: '25:00'\n      end_time: '26:00'\nreceivers:\n- name: a\n",
    ),
    (
        "gen-bad-weekdays",
        "route:\n  receiver: a\ntime_intervals:\n- name: x\n  time_intervals:\n  - weekdays: ['friday:monday']\nreceivers:\n- name: a\n",
    ),
    (
        "gen-bad-zone",
        "route:\n  receiver: a\ntime_intervals:\n- name: x\n  time_intervals:\n  - location: Foo/Bar\nreceivers:\n- name: a\n",
    ),
    (
        "gen-dup-interval",
        "route:\n  receiver: a\nmute_time_intervals:\n- name: x\ntime_intervals:\n- name: x\nreceivers:\n- name: a\n",
    ),
    ("gen-empty", ""),
    ("gen-no-route", "receivers:\n- name: a\n"),
    ("gen-dup-receiver", "route:\n  receiver: a\nreceivers:\n- name: a\n- name: a\n"),
    ("gen-root-matchers", "route:\n  receiver: a\n  matchers: [a=b]\nreceivers:\n- name: a\n"),
    ("gen-root-continue", "route:\n  receiver: a\n  continue: true\nreceivers:\n- name: a\n"),
    ("gen-webhook-scheme", "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - url: ftp://x\n"),
    (
        "gen-webhook-no-url",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - send_resolved: false\n",
    ),
    ("gen-email-no-smarthost", "route:\n  receiver: a\nreceivers:\n- name: a\n  email_configs:\n  - to: x\n"),
    (
        "gen-email-no-to",
        "global:\n  smtp_smarthost: x:25\nroute:\n  receiver: a\nreceivers:\n- name: a\n  email_configs:\n  - from: y\n",
    ),
    (
        "gen-email-dup-header",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  email_configs:\n  - {to: a, from: b, smarthost: 'a:1', headers: {a: b, A: c}}\n",
    ),
    (
        "gen-telegram",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  telegram_configs:\n  - {bot_token: x, chat_id: 1, parse_mode: foo}\n",
    ),
    ("gen-discord", "route:\n  receiver: a\nreceivers:\n- name: a\n  discord_configs:\n  - {}\n"),
    ("gen-webex", "route:\n  receiver: a\nreceivers:\n- name: a\n  webex_configs:\n  - {room_id: x}\n"),
    ("gen-msteams", "route:\n  receiver: a\nreceivers:\n- name: a\n  msteams_configs:\n  - {}\n"),
    (
        "gen-opsgenie-responder",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  opsgenie_configs:\n  - {api_key: x, responders: [{name: a, type: foo}]}\n",
    ),
    (
        "gen-victorops-field",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  victorops_configs:\n  - {api_key: x, routing_key: y, custom_fields: {routing_key: 1}}\n",
    ),
    (
        "gen-sns-all-three",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  sns_configs:\n  - {topic_arn: a, target_arn: b, phone_number: c}\n",
    ),
    (
        "gen-http-bearer-both",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - {url: 'http://x', http_config: {bearer_token: a, bearer_token_file: b}}\n",
    ),
    (
        "gen-http-basic-type",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  webhook_configs:\n  - {url: 'http://x', http_config: {authorization: {type: basic}}}\n",
    ),
    (
        "gen-pushover-retry",
        "route:\n  receiver: a\nreceivers:\n- name: a\n  pushover_configs:\n  - {user_key: a, token: b, retry: 5x}\n",
    ),
    (
        "gen-numeric-match",
        "route:\n  receiver: a\n  routes:\n  - match: {code: 500}\n    receiver: a\nreceivers:\n- name: a\n",
    ),
    ("gen-smarthost-port", "global:\n  smtp_smarthost: x\nroute:\n  receiver: a\nreceivers:\n- name: a\n"),
    (
        "gen-nested",
        "route:\n  receiver: a\n  group_by: ['...']\n  routes:\n  - matchers: ['team=\"x\"', 'env=~\"prod|stage\"']\n    continue: true\n    routes:\n    - match_re: {sev: 'crit.*'}\n      receiver: b\n  - matchers: [team=x]\n    receiver: c\nreceivers: [{name: a}, {name: b}, {name: c}]\n",
    ),
];

/// Integration snippets: `(kind, flow mapping)` become `receivers: [{name: a, KIND_configs: [MAPPING]}]`.
const INTEGRATIONS: &[(&str, &str)] = &[
    ("pagerduty", "routing_key_file: /x"),
    ("pagerduty", "service_key_file: /x"),
    ("pagerduty", "routing_key: a, routing_key_file: /x"),
    ("pagerduty", "{}"),
    ("pagerduty", "routing_key: a, url: 'ftp://x'"),
    ("pagerduty", "routing_key: a, images: [{src: a}], links: [{href: b}], severity: critical"),
    ("telegram", "bot_token_file: /x"),
    ("telegram", "bot_token: x"),
    ("telegram", "bot_token: x, chat_id: 'abc'"),
    ("telegram", "bot_token: x, chat_id: 5, parse_mode: MarkdownV2"),
    ("pushover", "token_file: /x"),
    ("pushover", "user_key: a, token: b, ttl: 1m"),
    ("pushover", "user_key: a"),
    ("pushover", "user_key: a, token: b, expire: 1.5h, retry: 30s"),
    ("webhook", "url_file: /x"),
    ("webhook", "url: 'http://x', max_alerts: 5, send_resolved: false"),
    ("webhook", "url: 'http://'"),
    ("opsgenie", "api_key: x, update_alerts: true"),
    ("opsgenie", "api_key: x, responders: [{type: team}]"),
    ("opsgenie", "api_key: x, responders: [{id: a, type: '{{ .Foo }}'}]"),
    ("opsgenie", "api_key: x, api_key_file: y"),
    ("opsgenie", "api_key: x, api_url: 'http://x/y'"),
    ("discord", "webhook_url_file: /x"),
    ("discord", "webhook_url: 'http://x'"),
    ("discord", "webhook_url: 'x'"),
    ("victorops", "api_key: x, routing_key: y, message_type: FOO"),
    ("victorops", "api_key: x"),
    ("victorops", "routing_key: y"),
    ("wechat", "api_secret: x, corp_id: y"),
    ("wechat", "api_secret: x"),
    ("wechat", "api_secret: x, corp_id: y, message_type: markdown"),
    ("webex", "room_id: x, http_config: {authorization: {credentials: y}}"),
    ("webex", "{}"),
    ("sns", "topic_arn: a"),
    ("sns", "phone_number: a, target_arn: b"),
    ("sns", "topic_arn: a, sigv4: {region: x, access_key: y, secret_key: z}"),
    ("sns", "topic_arn: a, phone_number: b, target_arn: c"),
    ("sns", "{}"),
    ("sns", "topic_arn: a, sigv4: {region: x, role_arn: r, profile: p}"),
    ("victorops", "api_key: x, routing_key: y, custom_fields: {entity_id: z}"),
    ("victorops", "api_key: x, routing_key: y, api_url: 'not a url'"),
    ("wechat", "api_secret: x, corp_id: y, message_type: html"),
    ("pushover", "user_key: a, token: b, retry: 5x"),
    ("pushover", "user_key: a, token: b, html: true, priority: '1', sound: siren"),
    ("webex", "room_id: x"),
    ("webex", "room_id: x, api_url: 'http://x', http_config: {authorization: {credentials: y}}"),
    ("discord", "{}"),
    ("discord", "webhook_url: 'http://x', title: t, message: m, send_resolved: false"),
    ("slack", "api_url: 'http://x', api_url_file: /y"),
    (
        "slack",
        "api_url: 'http://x', actions: [{type: a, text: b, name: c}], fields: [{title: a, value: b, short: true}]",
    ),
    ("slack", "api_url: 'http://x', actions: [{text: b}]"),
    ("slack", "api_url: 'http://x', fields: [{value: a}]"),
    ("slack", "api_url: 'http://x', actions: [{type: a, text: b, url: c, confirm: {}}]"),
    ("email", "to: a, from: b, smarthost: 'a:1', auth_secret_file: x"),
    ("email", "to: a, from: b, smarthost: 'a'"),
    ("email", "to: a, from: b, smarthost: 'a:'"),
    ("email", "to: a, from: b, smarthost: 'a:b:1'"),
    ("email", "to: a, from: b, smarthost: '[::1]:25', require_tls: true, tls_config: {insecure_skip_verify: true}"),
    ("email", "to: a, from: b, smarthost: 'a:1', headers: {subject: x, Subject: y}"),
    ("webhook", "url: 'http://x', http_config: {proxy_from_environment: true}"),
    ("webhook", "url: 'http://x', http_config: {basic_auth: {username_file: a}}"),
    ("webhook", "url: 'http://x', http_config: {oauth2: {client_id: a, token_url: 'http://x'}}"),
    ("webhook", "url: 'http://x', http_config: {oauth2: {client_id: a, client_secret: b, token_url: 'http://x'}}"),
    ("webhook", "url: 'http://x', http_config: {tls_config: {min_version: TLS12, max_version: TLS13}}"),
    ("webhook", "url: 'http://x', http_config: {proxy_connect_header: {a: [b]}}"),
    ("webhook", "url: 'http://x', http_config: {basic_auth: {password: a, password_file: b}}"),
    ("webhook", "url: 'http://x', http_config: {basic_auth: {username: a}, bearer_token: b}"),
    ("webhook", "url: 'http://x', http_config: {authorization: {credentials: a}, bearer_token: b}"),
    ("webhook", "url: 'http://x', http_config: {authorization: {credentials: a, credentials_file: b}}"),
    ("webhook", "url: 'http://x', http_config: {follow_redirects: false, enable_http2: false}"),
    ("msteams", "webhook_url: 'http://x'"),
];

/// Time interval entries (flow mappings) checked through `check-config`.
const TIME_INTERVALS: &[&str] = &[
    "times: [{start_time: '00:00', end_time: '24:00'}]",
    "times: [{start_time: '24:00', end_time: '24:00'}]",
    "times: [{start_time: '9:00', end_time: '10:00'}]",
    "times: [{start_time: '09:00'}]",
    "times: [{start_time: '10:00', end_time: '09:00'}]",
    "times: [{start_time: '09:60', end_time: '10:00'}]",
    "weekdays: ['Monday:FRIDAY']",
    "weekdays: ['monday:']",
    "weekdays: ['monday:tuesday:wednesday']",
    "weekdays: ['sun']",
    "days_of_month: ['1:5', '-3:-1', '7']",
    "days_of_month: ['0']",
    "days_of_month: ['32']",
    "days_of_month: ['-32']",
    "days_of_month: ['5:1']",
    "days_of_month: ['-1:5']",
    "days_of_month: ['1:-1']",
    "days_of_month: ['-5:-10']",
    "days_of_month: ['a']",
    "months: ['january:march', '5', 'DECEMBER']",
    "months: ['13']",
    "months: ['0']",
    "months: ['march:january']",
    "months: ['jan']",
    "years: ['2020:2022', '2030']",
    "years: ['2022:2020']",
    "years: ['abc']",
    "location: 'Asia/Seoul'",
    "location: 'UTC'",
    "location: 'Local'",
    "location: ''",
    "location: 'America/Argentina/Buenos_Aires'",
    "location: 'asia/seoul'",
];

/// Matcher lines checked through `amtool config routes` (which prints them parsed).
const MATCHER_LINES: &[&str] = &[
    r#"foo="bar""#,
    r#"foo=bar"#,
    r#"{foo="bar", baz!~"quux.*"}"#,
    r#"foo = "bar", dings != "bums", "#,
    r#"trickier==\\=\=\""#,
    r#"contains_quote != "\"" , contains_comma !~ "foo,bar" , "#,
    r#"{foo=bar}}"#,
    r#"foo:bar="baz""#,
    r#"a="b\c""#,
    r#"a="x\ny""#,
    r#"a=~"^(?:.*,)?dev(?:,.*)?$""#,
    r#"{foo="bar"baz"}"#,
    r#"{foo=bar"}"#,
    r#"z="1", a="2", a!="1", a=~"1""#,
    r#"{}"#,
];

#[test]
fn amtool_differential() {
    if !Path::new(AMTOOL).exists() {
        println!("amtool_differential: {AMTOOL} not found, differential test not run");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("argus-am-diff-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for f in [
        "fixtures/seeds/alertmanager.yml",
        "fixtures/seeds/lumen_alertmanager.yml",
        "testdata/alertmanager/examples/simple.yml",
    ] {
        files.push((f.to_string(), shared().join(f)));
    }
    let mut fixtures: Vec<_> =
        std::fs::read_dir(shared().join("testdata/alertmanager/config")).unwrap().flatten().map(|e| e.path()).collect();
    fixtures.sort();
    for p in fixtures {
        files.push((p.file_name().unwrap().to_string_lossy().into_owned(), p));
    }
    for (name, text) in GENERATED {
        let p = tmp.join(format!("{name}.yml"));
        std::fs::write(&p, text).unwrap();
        files.push((name.to_string(), p));
    }
    for (i, (kind, body)) in INTEGRATIONS.iter().enumerate() {
        let p = tmp.join(format!("integration-{i}.yml"));
        let body = if body.starts_with('{') { body.to_string() } else { format!("{{{body}}}") };
        std::fs::write(&p, format!("route:\n  receiver: a\nreceivers:\n- name: a\n  {kind}_configs:\n  - {body}\n"))
            .unwrap();
        files.push((format!("integration-{i} {kind} {body}"), p));
    }
    for (i, ti) in TIME_INTERVALS.iter().enumerate() {
        let p = tmp.join(format!("interval-{i}.yml"));
        let yaml = format!(
            "route:\n  receiver: a\n  routes:\n  - receiver: a\n    mute_time_intervals: [t]\ntime_intervals:\n- name: t\n  time_intervals:\n  - {{{ti}}}\nreceivers: [{{name: a}}]\n"
        );
        std::fs::write(&p, yaml).unwrap();
        files.push((format!("interval-{i} {ti}"), p));
    }
    for (i, line) in MATCHER_LINES.iter().enumerate() {
        let p = tmp.join(format!("matcher-{i}.yml"));
        let yaml = format!(
            "route:\n  receiver: a\n  routes:\n  - receiver: a\n    matchers: [{}]\nreceivers: [{{name: a}}]\n",
            serde_quote(line)
        );
        std::fs::write(&p, yaml).unwrap();
        files.push((format!("matcher-{i} {line}"), p));
    }

    let mut d = Diff { pending: Vec::new(), failures: Vec::new(), known: Vec::new(), agreed: 0 };
    let missing = amtool::check_config_output(&["does-not-exist.yml"]);
    d.compare(
        "missing-file",
        "check-config",
        run(&["check-config", "does-not-exist.yml"], &tmp),
        (missing.stdout, missing.code),
    );
    for (case, path) in &files {
        let dir = path.parent().unwrap();
        let base = path.file_name().unwrap().to_str().unwrap();
        let want = run(&["check-config", base], dir);
        let cwd = std::env::current_dir().unwrap();
        std::env::set_current_dir(dir).unwrap();
        let ours = amtool::check_config_output(&[base]);
        std::env::set_current_dir(cwd).unwrap();
        d.compare(case, "check-config", want, (ours.stdout, ours.code));

        let Ok(cfg) = Config::load_file(path) else { continue };
        let file_flag = format!("--config.file={}", path.display());
        d.compare(
            case,
            "config routes",
            run(&["config", "routes", &file_flag], dir),
            (amtool::routes_show_output(&cfg), 0),
        );
        for labels in label_sets(&cfg) {
            let args: Vec<&str> = labels.iter().map(String::as_str).collect();
            for tree in [false, true] {
                let mut cmd = vec!["config", "routes", "test", &file_flag];
                if tree {
                    cmd.push("--tree");
                }
                cmd.extend(&args);
                let o = amtool::routes_test_output(&cfg, &args, None, tree);
                d.compare(
                    case,
                    &format!("routes test {}{labels:?}", if tree { "--tree " } else { "" }),
                    run(&cmd, dir),
                    (o.stdout, o.code),
                );
            }
        }
        // Receiver verification, a bad label argument and a non-equality matcher.
        for (args, verify) in [(vec!["severity=page"], Some("wrong")), (vec!["a b"], None), (vec!["a=~b"], None)] {
            let mut cmd = vec!["config".to_string(), "routes".into(), "test".into(), file_flag.clone()];
            if let Some(v) = verify {
                cmd.push(format!("--verify.receivers={v}"));
            }
            cmd.extend(args.iter().map(|s| s.to_string()));
            let cmd_refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let o = amtool::routes_test_output(&cfg, &args, verify, false);
            d.compare(case, &format!("routes test {cmd:?}"), run(&cmd_refs, dir), (o.stdout, o.code));
        }
    }
    // Label arguments as amtool parses them (one matcher per argument).
    let seeds = shared().join("fixtures/seeds/alertmanager.yml");
    let cfg = Config::load_file(&seeds).unwrap();
    let flag = format!("--config.file={}", seeds.display());
    for arg in [
        r#"severity="page""#,
        r#"severity="page with space""#,
        "severity=",
        "{severity=page}",
        r#"severity="a,b""#,
        "severity=page,alertname=BruteForceAttack",
        "severity!=page",
        "severity=~page",
        r#"severity="unterminated"#,
        "9bad=x",
        "alertname = BruteForceAttack",
        r#"alertname="Brute\ForceAttack""#,
    ] {
        let o = amtool::routes_test_output(&cfg, &[arg, "severity=critical"], None, false);
        d.compare(
            "label-args",
            arg,
            run(&["config", "routes", "test", &flag, arg, "severity=critical"], &tmp),
            (o.stdout, o.code),
        );
    }
    d.finish();
    std::fs::remove_dir_all(&tmp).ok();
    println!("amtool_differential: {} comparisons agree, {} known differences", d.agreed, d.known.len());
    for k in &d.known {
        println!("known difference: {k}");
    }
    assert!(d.failures.is_empty(), "{} differences from amtool:\n{}", d.failures.len(), d.failures.join("\n"));
}

/// Quotes a matcher line as a YAML single-quoted scalar.
fn serde_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
