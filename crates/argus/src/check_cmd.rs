//! `argus check config|rules` and `argus test rules`: promtool's output
//! shapes and exit codes (0 fine, 1 failed, 3 lint errors with
//! `--lint-fatal`), stdout for progress and stderr for failures.

use std::io::Write;

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::LintArgs;

fn code(c: i32) -> ExitCode {
    ExitCode::from(u8::try_from(c).unwrap_or(1))
}

fn lint(args: &LintArgs) -> anyhow::Result<argus_rules::Lint> {
    argus_rules::Lint::parse(&args.lint, args.lint_fatal).map_err(|e| anyhow::anyhow!(e))
}

pub(crate) fn rules(files: &[PathBuf], args: &LintArgs) -> anyhow::Result<ExitCode> {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    Ok(code(argus_rules::check_rules_cli(files, lint(args)?, &mut out, &mut err)))
}

pub(crate) fn test_rules(files: &[PathBuf], run: Option<&str>, coverage: bool) -> anyhow::Result<ExitCode> {
    let run = run.map(regex::Regex::new).transpose().map_err(|e| anyhow::anyhow!("invalid --run regex: {e}"))?;
    let opts = argus_rules::TestOptions { run, coverage };
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    Ok(code(argus_rules::test_rules_cli(files, &opts, &mut out, &mut err)))
}

/// promtool's `CheckConfig`: each file is loaded (and, unless syntax only,
/// its referenced files checked), then its rule files are checked.
pub(crate) fn config(
    files: &[PathBuf],
    syntax_only: bool,
    expand_env: bool,
    args: &LintArgs,
) -> anyhow::Result<ExitCode> {
    let lint = lint(args)?;
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let (mut failed, mut has_errors, mut lint_failed) = (false, false, false);
    for f in files {
        writeln!(out, "Checking {}", f.display())?;
        let opts = argus_scrape::LoadOptions { expand_env };
        let checked = argus_scrape::config::load(f, &opts).map_err(|e| e.to_string()).and_then(|cfg| {
            if syntax_only {
                Ok(argus_scrape::config::CheckReport::default())
            } else {
                argus_scrape::config::check_files(&cfg)
            }
        });
        let rule_files = match checked {
            Err(e) => {
                writeln!(err, "  FAILED: {e}")?;
                (failed, has_errors) = (true, true);
                Vec::new()
            }
            Ok(report) => {
                for w in &report.warnings {
                    writeln!(err, "  WARNING: {w}")?;
                }
                if !report.rule_files.is_empty() {
                    writeln!(out, "  SUCCESS: {} rule files found", report.rule_files.len())?;
                }
                writeln!(out, " SUCCESS: {} is valid prometheus config file syntax", f.display())?;
                report.rule_files
            }
        };
        writeln!(out)?;
        if !rule_files.is_empty() {
            out.flush()?;
            // Lint problems alone are not failures unless --lint-fatal.
            match argus_rules::check_rules_cli(&rule_files, lint, &mut out, &mut err) {
                0 => {}
                3 => lint_failed = true,
                _ => (failed, has_errors) = (true, true),
            }
        }
    }
    Ok(code(if failed && has_errors {
        1
    } else if lint_failed {
        3
    } else {
        0
    }))
}

/// `argus alertmanager drill`: one row per receiver integration, with the
/// delivery error when it failed.
pub(crate) fn drill(config_file: &std::path::Path, receiver: Option<&str>) -> anyhow::Result<ExitCode> {
    let cfg = argus_alertmanager::Config::load_file(config_file)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot load {}", config_file.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    eprintln!("sending a test alert through {}...", receiver.unwrap_or("every receiver"));
    let rows = rt.block_on(argus_alertmanager::drill(&cfg, receiver));
    let mut out = std::io::stdout().lock();
    let w = rows.iter().map(|r| r.receiver.len() + r.integration.len() + 1).max().unwrap_or(8).max(8);
    writeln!(out, "{:<w$}  RESULT  ERROR", "RECEIVER")?;
    for r in &rows {
        let name = format!("{}/{}", r.receiver, r.integration);
        writeln!(out, "{name:<w$}  {:<6}  {}", if r.ok { "pass" } else { "FAIL" }, r.error)?;
    }
    Ok(ExitCode::from(u8::from(rows.iter().any(|r| !r.ok) || rows.is_empty())))
}
