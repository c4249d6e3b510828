//! `PopulateLabels` cases: documented target relabeling behaviour and the
//! scrape URL, in the `check(input, config, expected)` style.

use super::*;
use crate::config::{LoadOptions, parse};
use std::path::Path;

fn job(yaml: &str) -> ScrapeConfig {
    let cfg = parse(yaml, Path::new("p.yml"), &LoadOptions::default()).unwrap();
    cfg.scrape_configs.into_iter().next().unwrap()
}

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

/// Runs `PopulateLabels` on `input` with the first job of `config`, expecting
/// the final labels (`Some(empty)` = dropped) or an error message.
#[track_caller]
fn check(input: &[(&str, &str)], config: &str, expected: Result<&[(&str, &str)], &str>) {
    let got = populate_labels(&l(input), &job(config), false).map(|(res, _)| res);
    assert_eq!(got, expected.map(l).map_err(str::to_string), "config:\n{config}");
}

const BASE: &str = "scrape_configs:\n- job_name: j\n  scrape_interval: 15s\n";

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn defaults_and_instance() {
    check(
        &[("__address__", "h:9100"), ("__meta_x", "m")],
        BASE,
        Ok(&[
            ("__address__", "h:9100"),
            ("__metrics_path__", "/metrics"),
            ("__scheme__", "http"),
            ("__scrape_interval__", "15s"),
            ("__scrape_timeout__", "10s"),
            ("instance", "h:9100"),
            ("job", "j"),
        ]),
    );
    // A bare host gets the scheme's default port, in __address__ and instance.
    let r = populate_labels(&l(&[("__address__", "h")]), &job(BASE), false).unwrap().0;
    assert_eq!((r.get("__address__"), r.get("instance")), (Some("h:80"), Some("h:80")));
    let r = populate_labels(&l(&[("__address__", "h")]), &job(&with("  scheme: https\n")), false).unwrap().0;
    assert_eq!(r.get("__address__"), Some("h:443"));
    let r = populate_labels(&l(&[("__address__", "[::1]")]), &job(BASE), false).unwrap().0;
    assert_eq!(r.get("__address__"), Some("[::1]:80"));
    // no-default-scrape-port strips the default port instead.
    let r = populate_labels(&l(&[("__address__", "h:80")]), &job(BASE), true).unwrap().0;
    assert_eq!((r.get("__address__"), r.get("instance")), (Some("h"), Some("h:80")));
    // A discovered job or instance label wins over the defaults.
    let r =
        populate_labels(&l(&[("__address__", "h:1"), ("instance", "i"), ("job", "k")]), &job(BASE), false).unwrap().0;
    assert_eq!((r.get("instance"), r.get("job")), (Some("i"), Some("k")));
}

#[test]
fn relabeling() {
    // Dropped by relabeling: empty result, discovered labels kept.
    let cfg = job(&with("  relabel_configs:\n  - {source_labels: [__meta_keep], regex: yes, action: keep}\n"));
    let (res, orig) = populate_labels(&l(&[("__address__", "h:1")]), &cfg, false).unwrap();
    assert!(res.is_empty());
    assert_eq!(orig.get("__address__"), Some("h:1"));
    assert_eq!(orig.get("job"), Some("j"));
    // __meta_* usable during relabeling, removed afterwards; __tmp_* stays internal.
    check(
        &[("__address__", "h:1"), ("__meta_zone", "z1")],
        &with(
            "  relabel_configs:\n  - {source_labels: [__meta_zone], target_label: zone}\n  - {target_label: __tmp_x, replacement: t}\n",
        ),
        Ok(&[
            ("__address__", "h:1"),
            ("__metrics_path__", "/metrics"),
            ("__scheme__", "http"),
            ("__scrape_interval__", "15s"),
            ("__scrape_timeout__", "10s"),
            ("__tmp_x", "t"),
            ("instance", "h:1"),
            ("job", "j"),
            ("zone", "z1"),
        ]),
    );
    // Removing the address is an error.
    check(
        &[("__address__", "h:1")],
        &with("  relabel_configs:\n  - {action: labeldrop, regex: __address__}\n"),
        Err("no address"),
    );
    // A URL as address is caught after relabeling.
    check(
        &[("__address__", "http://h")],
        &with("  relabel_configs:\n  - {source_labels: [__address__], target_label: __param_target}\n"),
        Err("\"http://h\" is not a valid hostname"),
    );
    // Interval and timeout from relabeling.
    check(
        &[("__address__", "h:1")],
        &with("  relabel_configs:\n  - {target_label: __scrape_interval__, replacement: bad}\n"),
        Err("error parsing scrape interval: not a valid duration string: \"bad\""),
    );
    check(
        &[("__address__", "h:1")],
        &with("  relabel_configs:\n  - {target_label: __scrape_timeout__, replacement: 0s}\n"),
        Err("scrape timeout cannot be 0"),
    );
    check(
        &[("__address__", "h:1")],
        &with(
            "  relabel_configs:\n  - {target_label: __scrape_interval__, replacement: 1s}\n  - {target_label: __scrape_timeout__, replacement: 2s}\n",
        ),
        Err("scrape timeout cannot be greater than scrape interval (\"2s\" > \"1s\")"),
    );
    check(
        &[("__address__", "h")],
        &with("  relabel_configs:\n  - {target_label: __scheme__, replacement: ftp}\n"),
        Err("invalid scheme: \"http\""),
    );
}

#[test]
fn scrape_url() {
    #[track_caller]
    fn url(input: &[(&str, &str)], config: &str, want: &str) {
        let cfg = job(config);
        let (res, orig) = populate_labels(&l(input), &cfg, false).unwrap();
        assert_eq!(Target::new(res, orig, cfg.params.clone()).url(), want, "config:\n{config}");
    }
    url(&[("__address__", "h:1")], BASE, "http://h:1/metrics");
    url(&[("__address__", "h:1")], &with("  metrics_path: /probe\n  scheme: https\n"), "https://h:1/probe");
    url(
        &[("__address__", "h:1")],
        &with("  params: {module: [http_2xx, b], a: ['x y&']}\n"),
        "http://h:1/metrics?a=x+y%26&module=http_2xx&module=b",
    );
    // The blackbox pattern: target into __param_target, the exporter as __address__.
    url(
        &[("__address__", "https://example.com/x?y")],
        &with(
            "  metrics_path: /probe\n  params: {module: [http_2xx]}\n  relabel_configs:\n  - {source_labels: [__address__], target_label: __param_target}\n  - {source_labels: [__param_target], target_label: instance}\n  - {target_label: __address__, replacement: 'bb:9115'}\n",
        ),
        "http://bb:9115/probe?module=http_2xx&target=https%3A%2F%2Fexample.com%2Fx%3Fy",
    );
    // __metrics_path__ from relabeling, escaped as Go prints a path.
    url(
        &[("__address__", "h:1")],
        &with("  relabel_configs:\n  - {target_label: __metrics_path__, replacement: 'a b/c'}\n"),
        "http://h:1/a%20b/c",
    );
}

#[test]
fn groups_and_dropped_targets() {
    let cfg = job(&with(
        "  target_limit: 1\n  relabel_configs:\n  - {source_labels: [__address__], regex: 'drop.*', action: drop}\n",
    ));
    let g = TargetGroup {
        source: "0".to_string(),
        targets: vec![
            l(&[("__address__", "a:1")]),
            l(&[("__address__", "drop:1")]),
            l(&[("__address__", "b:1"), ("env", "own")]),
            l(&[]),
        ],
        labels: l(&[("env", "group")]),
    };
    let set = targets_from_groups([&g], &cfg, false);
    assert_eq!(set.active.len(), 2);
    assert_eq!(set.dropped.len(), 1);
    assert_eq!(set.dropped[0].discovered_labels().get("__address__"), Some("drop:1"));
    assert_eq!(set.errors, vec![TargetError { group: "0".into(), index: 3, message: "no address".into() }]);
    assert_eq!(set.errors[0].to_string(), "instance 3 in group 0: no address");
    assert_eq!(set.active[0].labels(), l(&[("env", "group"), ("instance", "a:1"), ("job", "j")]));
    assert_eq!(set.active[1].labels().get("env"), Some("own"));
    assert_eq!(set.active[0].scrape_interval(), Some(Duration::from_secs(15)));
    assert_eq!(
        set.limit_error.map(|e| e.to_string()).as_deref(),
        Some("target_limit exceeded (number of targets: 2, limit: 1)")
    );
}
