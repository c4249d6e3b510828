//! `promtool check rules`: validation output, the duplicate-rules lint and
//! exit codes of Prometheus 2.42.

use std::io::Write;
use std::path::PathBuf;

use argus_model::Labels;

use crate::rulefmt::{self, RuleGroup};

/// Which lint checks to run (`--lint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lint {
    /// Report rules with the same name and labels (`duplicate-rules`, the default).
    pub duplicate_rules: bool,
    /// Exit with code 3 when a lint check fails (`--lint-fatal`).
    pub fatal: bool,
}

impl Lint {
    /// Parses `--lint` (`all`, `duplicate-rules`, `none`, comma separated).
    pub fn parse(s: &str, fatal: bool) -> Result<Lint, String> {
        let mut l = Lint { duplicate_rules: false, fatal };
        for part in s.split(',') {
            match part.trim() {
                "all" | "duplicate-rules" => l.duplicate_rules = true,
                "none" => {}
                other => return Err(format!("unknown lint option {other:?}")),
            }
        }
        Ok(l)
    }
}

fn check_duplicates(groups: &[RuleGroup]) -> Vec<(String, Labels)> {
    let mut rules: Vec<(String, Labels)> = groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .map(|r| (r.name().to_string(), Labels::from_pairs(r.labels.iter().cloned())))
        .collect();
    let mut dups: Vec<(String, Labels)> = Vec::new();
    if rules.len() < 2 {
        return dups;
    }
    rules.sort();
    for w in rules.windows(2) {
        if w[0] == w[1] && dups.last() != Some(&w[0]) {
            dups.push(w[1].clone());
        }
    }
    dups
}

/// Checks one file: `Ok(number of rules)` or the errors; the bool says
/// whether the errors are only lint findings.
fn check_file(path: &std::path::Path, lint: Lint) -> Result<usize, (Vec<String>, bool)> {
    let rgs = rulefmt::parse_file(path).map_err(|e| (e, false))?;
    let n = rgs.groups.iter().map(|g| g.rules.len()).sum();
    if lint.duplicate_rules {
        let dups = check_duplicates(&rgs.groups);
        if !dups.is_empty() {
            let mut msg = format!("lint error {} duplicate rule(s) found.\n", dups.len());
            for (metric, labels) in &dups {
                msg.push_str(&format!("Metric: {metric}\nLabel(s):\n"));
                for l in labels {
                    msg.push_str(&format!("\t{}: {}\n", l.name, l.value));
                }
            }
            msg.push_str("Might cause inconsistency while recording expressions");
            return Err((vec![msg], true));
        }
    }
    Ok(n)
}

/// Runs `promtool check rules FILE...`: progress to `out`, failures to `err`,
/// and returns the exit code (0 ok, 1 invalid files, 3 lint findings with
/// `lint.fatal`). Blocking.
pub fn check_rules_cli(files: &[PathBuf], lint: Lint, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (mut failed, mut has_errors) = (false, false);
    for f in files {
        let _ = writeln!(out, "Checking {}", f.display());
        match check_file(f, lint) {
            Ok(n) => {
                let _ = writeln!(out, "  SUCCESS: {n} rules found");
            }
            Err((errs, lint_only)) => {
                let _ = writeln!(err, "  FAILED:");
                for e in errs {
                    let _ = writeln!(err, "{e}");
                }
                failed = true;
                has_errors |= !lint_only;
            }
        }
        let _ = writeln!(out);
    }
    if failed && has_errors {
        1
    } else if failed && lint.fatal {
        3
    } else {
        0
    }
}
