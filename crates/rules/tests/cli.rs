//! Options beyond promtool 2.42: `--run` (test group filter) and `--coverage`.

use std::path::{Path, PathBuf};

use argus_rules::{TestOptions, test_rules_cli};

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata").join(name)
}

fn run(name: &str, opts: &TestOptions) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = test_rules_cli(&[file(name)], opts, &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn coverage_lists_untested_alerting_rules() {
    let opts = TestOptions { coverage: true, ..Default::default() };
    let (code, out, _) = run("wrong-value.test.yml", &opts);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "  COVERAGE: alerting rules no alert_rule_test names:\n    Flapping\n    HighRate\n    InstanceDown\n"
        ),
        "{out}"
    );
    let (code, out, _) = run("good.test.yml", &opts);
    assert_eq!(code, 0);
    assert!(out.contains("  COVERAGE: every alerting rule is tested\n"), "{out}");
}

#[test]
fn run_filters_test_groups_by_name() {
    let opts = TestOptions { run: Some(regex::Regex::new("^wrong label$").unwrap()), ..Default::default() };
    let (code, _, err) = run("wrong-alerts.test.yml", &opts);
    assert_eq!(code, 1);
    assert!(err.contains("name: wrong label"), "{err}");
    assert!(!err.contains("missing and extra alert"), "{err}");
    let opts = TestOptions { run: Some(regex::Regex::new("^nothing$").unwrap()), ..Default::default() };
    assert_eq!(run("wrong-alerts.test.yml", &opts).0, 0);
}
