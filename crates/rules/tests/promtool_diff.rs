//! Differential tests against Debian's promtool 2.42: the same rule files
//! and unit-test files go through `/usr/bin/promtool` and through
//! [`argus_rules::check_rules_cli`] / [`argus_rules::test_rules_cli`], and
//! exit codes and output must agree.
//!
//! Output is compared byte for byte (PromQL parse errors included: they carry
//! 2.42's `line:col` and wording), except for files whose messages come from
//! components with known wording differences (YAML syntax errors from
//! `yaml-rust2`) or that list series in Go's random map order; for those the
//! verdict, the `FAILED:` header and the number of error lines must agree.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn ours() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata")
}

fn promtool() -> PathBuf {
    let p = PathBuf::from("/usr/bin/promtool");
    assert!(
        p.exists(),
        "promtool (Debian's prometheus package, v2.42) is missing: run ./test.sh, which installs it with apt-get, \
         or `apt-get install prometheus`"
    );
    p
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn reference(args: &[&str], file: &Path) -> Run {
    let o = Command::new(promtool()).args(args).arg(file).output().expect("promtool runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn ours_test(file: &Path) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = argus_rules::test_rules_cli(&[file.to_path_buf()], &Default::default(), &mut out, &mut err);
    Run { code, out: String::from_utf8_lossy(&out).into_owned(), err: String::from_utf8_lossy(&err).into_owned() }
}

fn ours_check(file: &Path) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let lint = argus_rules::Lint { duplicate_rules: true, fatal: false };
    let code = argus_rules::check_rules_cli(&[file.to_path_buf()], lint, &mut out, &mut err);
    Run { code, out: String::from_utf8_lossy(&out).into_owned(), err: String::from_utf8_lossy(&err).into_owned() }
}

/// Compares; returns a description of the mismatch, if any.
fn compare(file: &Path, want: &Run, got: &Run, exact: bool) -> Option<String> {
    let name = file.display();
    if want.code != got.code {
        return Some(format!(
            "{name}: exit code: promtool {} argus {}\n{}\n---\n{}",
            want.code, got.code, want.err, got.err
        ));
    }
    if want.out != got.out {
        return Some(format!("{name}: stdout differs:\n{}---\n{}", want.out, got.out));
    }
    if exact {
        if want.err != got.err {
            return Some(format!("{name}: stderr differs:\n{}---\n{}", want.err, got.err));
        }
    } else {
        let (w, g): (Vec<&str>, Vec<&str>) = (want.err.lines().collect(), got.err.lines().collect());
        if w.len() != g.len() || w.first() != g.first() {
            return Some(format!("{name}: stderr shape differs:\n{}---\n{}", want.err, got.err));
        }
    }
    None
}

/// Files whose error text comes from the YAML parser, or lists series in
/// Go's random map order (many-to-many errors).
const WORDING_DIFFERS: &[&str] = &["bad-14.yml", "bad-promql.yml", "bad-rules-error-test.yml", "eval-error.test.yml"];

fn exact(file: &Path) -> bool {
    let n = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !WORDING_DIFFERS.contains(&n)
}

fn yml_files(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&pred))
        .collect();
    v.sort();
    v
}

fn run_all(files: &[PathBuf], check: bool) {
    assert!(!files.is_empty(), "no fixtures found");
    let mut failures = Vec::new();
    for f in files {
        let f = f.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let (want, got) = if check {
            (reference(&["check", "rules"], &f), ours_check(&f))
        } else {
            (reference(&["test", "rules"], &f), ours_test(&f))
        };
        if let Some(m) = compare(&f, &want, &got, exact(&f)) {
            failures.push(m);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ from promtool:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

const UPSTREAM_TESTS: &[&str] = &[
    "at-modifier-test.yml",
    "bad-input-series.yml",
    "bad-promql.yml",
    "bad-rules-error-test.yml",
    "bad-rules-syntax-test.yml",
    "failing.yml",
    "long-period.yml",
    "negative-offset-test.yml",
    "unittest.yml",
];

#[test]
fn upstream_unit_test_fixtures_agree_with_promtool() {
    let dir = shared().join("testdata/promtool");
    let files: Vec<PathBuf> = UPSTREAM_TESTS.iter().map(|f| dir.join(f)).collect();
    run_all(&files, false);
}

#[test]
fn seed_unit_tests_agree_with_promtool_and_pass() {
    let files = yml_files(&shared().join("fixtures/seeds"), |n| n.ends_with(".test.yml"));
    run_all(&files, false);
    for f in &files {
        assert_eq!(ours_test(f).code, 0, "{} must pass", f.display());
    }
}

#[test]
fn own_unit_tests_agree_with_promtool() {
    let files = yml_files(&ours(), |n| n.ends_with(".test.yml"));
    run_all(&files, false);
    // The deliberately wrong expectations must fail, the rest must pass.
    for f in &files {
        let n = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let should_pass = matches!(n, "good.test.yml" | "stale.test.yml");
        assert_eq!(ours_test(f).code == 0, should_pass, "{n}");
    }
}

#[test]
fn check_rules_agrees_with_promtool() {
    let up = shared().join("testdata/promtool");
    let mut files: Vec<PathBuf> = [
        "rules.yml",
        "rules_duplicates.yml",
        "prometheus-rules.lint.yml",
        "bad-rules-syntax.yml",
        "bad-rules-error.yml",
        "rules_large.yml",
        "bad-promql.yml",
    ]
    .iter()
    .map(|f| up.join(f))
    .collect();
    files.extend(yml_files(&ours().join("check"), |n| n.ends_with(".yml")));
    files.extend(yml_files(&ours(), |n| n.ends_with("rules.yml")));
    files.extend(yml_files(&shared().join("fixtures/seeds"), |n| n.ends_with(".rules.yml")));
    run_all(&files, true);
}
