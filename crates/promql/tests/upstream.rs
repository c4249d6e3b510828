//! Runs upstream's PromQL test scripts (Prometheus v2.42) and guards the
//! per-file pass counts against regressions.
//!
//! Run with `cargo test -p argus-promql --test upstream -- --nocapture` to see
//! the pass/total table and every failing eval.

use std::path::Path;

use argus_promql::promqltest::run_file;

/// Minimum passing evals per file (each file's total: every eval passes).
const FLOORS: &[(&str, usize)] = &[
    ("aggregators.test", 83),
    ("at_modifier.test", 33),
    ("collision.test", 2),
    ("functions.test", 207),
    ("histograms.test", 38),
    ("literals.test", 20),
    ("operators.test", 94),
    ("selectors.test", 31),
    ("staleness.test", 14),
    ("subquery.test", 25),
    ("trig_functions.test", 19),
];

#[test]
fn upstream_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/promql/v2.42");
    if !dir.is_dir() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let mut regressions = Vec::new();
    let (mut all_pass, mut all_total) = (0, 0);
    println!("{:<22} {:>6} {:>6}", "file", "passed", "total");
    for (file, floor) in FLOORS {
        let report = match run_file(&dir.join(file)) {
            Ok(r) => r,
            Err(e) => {
                regressions.push(format!("{file}: {e}"));
                continue;
            }
        };
        println!("{file:<22} {:>6} {:>6}", report.passed, report.total);
        for f in &report.failures {
            println!("  FAIL {file}:{} {}\n       {}", f.line, f.expr, f.reason);
        }
        for e in &report.errors {
            println!("  ERROR {file}: {e}");
        }
        all_pass += report.passed;
        all_total += report.total;
        if report.passed < *floor {
            regressions.push(format!("{file}: {} passed, floor is {floor}", report.passed));
        }
    }
    println!("{:<22} {all_pass:>6} {all_total:>6}", "TOTAL");
    assert!(regressions.is_empty(), "regressions: {regressions:#?}");
}

/// Our own cases in the same format (`testdata/*.test`); all must pass.
#[test]
fn argus_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("testdata dir exists") {
        let path = entry.expect("readable dir entry").path();
        if path.extension().is_none_or(|e| e != "test") {
            continue;
        }
        let report = run_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("{:<22} {:>6} {:>6}", path.display(), report.passed, report.total);
        for f in report.failures {
            failed.push(format!("{}:{} {}: {}", path.display(), f.line, f.expr, f.reason));
        }
        failed.extend(report.errors);
    }
    assert!(failed.is_empty(), "failing cases: {failed:#?}");
}
