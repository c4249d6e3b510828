//! Alert templates rendered by promtool 2.42 (`promtool test rules`), the
//! oracle for Prometheus' template semantics: each row is a template, the
//! alert's value and labels, and what Prometheus produced (an annotation,
//! possibly `<error expanding template: ...>`, or the rule-loading parse
//! error). `testdata/oracle.py` regenerates the table when promtool is
//! installed; these tests never call promtool.

// The table holds values such as 3.14159 as promtool saw them.
#![allow(clippy::approx_constant)]

use std::collections::BTreeMap;

use argus_template::prometheus::Expander;

struct Case {
    /// The alert name promtool used (it appears in error messages).
    name: &'static str,
    /// The `case` label value the oracle gave the series.
    case: &'static str,
    value: f64,
    labels: &'static [(&'static str, &'static str)],
    text: &'static str,
    /// Ok(annotation) or Err(parse error reported at rule loading).
    want: Result<&'static str, &'static str>,
}

const CASES: &[Case] = include!("promtool_cases.in");

/// Engine edge cases: printf verbs and flags, builtins, scoping, parse and
/// execution errors (testdata/cases.py, second block).
const CASES2: &[Case] = include!("promtool_cases2.in");

/// Every label/annotation template of the seed rule files and
/// ../shared/testdata, at two values (testdata/seeds.json).
const SEED_CASES: &[Case] = include!("seeds_cases.in");

fn expander(c: &Case) -> Expander {
    let mut labels: BTreeMap<String, String> = c.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.insert("__name__".into(), "m".into());
    labels.insert("case".into(), c.case.into());
    Expander {
        labels,
        external_labels: BTreeMap::new(),
        external_url: String::new(),
        value: c.value,
        timestamp_ms: 0,
        query: None,
    }
}

#[test]
fn promtool_table() {
    check_all(CASES);
}

#[test]
fn promtool_table_edge_cases() {
    check_all(CASES2);
}

#[test]
fn seed_templates() {
    check_all(SEED_CASES);
}

fn check_all(cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let name = format!("__alert_{}", c.name);
        match c.want {
            Ok(want) => {
                // The rule manager's rendering of an expansion error.
                let got = match expander(c).expand(&name, c.text) {
                    Ok(s) => s,
                    Err(e) => format!("<error expanding template: {e}>"),
                };
                if got != want {
                    failures.push(format!("{:?} (value {}):\n   got: {got:?}\n  want: {want:?}", c.text, c.value));
                }
            }
            Err(want) => {
                let got = Expander::check(&name, c.text).map_err(|e| e.0);
                if got.as_ref().err().map(String::as_str) != Some(want) {
                    failures.push(format!("{:?} (check):\n   got: {got:?}\n  want: Err({want:?})", c.text));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from promtool:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Re-renders the tables with the installed promtool (2.42) and checks the
/// committed ones are what it produces. Needs python3 and promtool:
/// `cargo test -p argus-template --test promtool -- --ignored`.
#[test]
#[ignore]
fn tables_match_installed_promtool() {
    use std::process::{Command, Stdio};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
    let tmp = std::env::temp_dir().join(format!("argus-template-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let ok = Command::new("python3")
        .arg(format!("{dir}/cases.py"))
        .current_dir(&tmp)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let run = |input: &std::path::Path, table: &str| {
        let sh = format!("{dir}/oracle.py < {} | {dir}/gen.py", input.display());
        let out = Command::new("sh").arg("-c").arg(sh).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = std::fs::read_to_string(format!("{}/tests/{table}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), want.trim_end(), "{table} is stale");
    };
    run(&tmp.join("cases.json"), "promtool_cases.in");
    run(&tmp.join("cases2.json"), "promtool_cases2.in");
    run(std::path::Path::new(&format!("{dir}/seeds.json")), "seeds_cases.in");
    let _ = std::fs::remove_dir_all(&tmp);
}
