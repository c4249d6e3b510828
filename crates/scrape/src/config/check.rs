//! What `promtool check config` verifies beyond loading, for `argus check
//! config`: rule files named without a glob exist, credential and client
//! certificate files exist, file_sd files parse and their targets (like
//! static ones) survive target relabeling. Missing file_sd files are warnings.
//! Rule file contents are checked by the rules crate, not here.

use std::path::{Path, PathBuf};

use super::error::go_io_message;
use super::types::{Config, TlsConfig};
use crate::discovery::{TargetGroup, file};
use crate::target::targets_from_group;

/// What a successful check found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckReport {
    /// Rule files to check next (globs expanded).
    pub rule_files: Vec<PathBuf>,
    /// Warnings printed as `  WARNING: ...` by promtool.
    pub warnings: Vec<String>,
}

fn stat(p: &Path) -> Result<(), String> {
    std::fs::metadata(p).map(|_| ()).map_err(|e| format!("stat {}: {}", p.display(), go_io_message(&e)))
}

fn glob(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let p = pattern.to_string_lossy();
    let paths = glob::glob(&p).map_err(|e| e.to_string())?;
    let mut out: Vec<PathBuf> = paths.flatten().collect();
    out.sort();
    Ok(out)
}

fn check_tls(t: &TlsConfig) -> Result<(), String> {
    match (&t.cert_file, &t.key_file) {
        (Some(c), None) => {
            return Err(format!("client cert file {:?} specified without client key file", c.display().to_string()));
        }
        (None, Some(k)) => {
            return Err(format!("client key file {:?} specified without client cert file", k.display().to_string()));
        }
        _ => {}
    }
    if let Some(c) = &t.cert_file {
        stat(c).map_err(|e| format!("error checking client cert file {:?}: {e}", c.display().to_string()))?;
    }
    if let Some(k) = &t.key_file {
        stat(k).map_err(|e| format!("error checking client key file {:?}: {e}", k.display().to_string()))?;
    }
    Ok(())
}

/// Runs promtool's checks on a loaded config; the error is promtool's message
/// (printed after `FAILED: `). Blocking (reads files).
pub fn check_files(cfg: &Config) -> Result<CheckReport, String> {
    let mut report = CheckReport::default();
    for rf in &cfg.rule_files {
        let files = glob(rf)?;
        let shown = rf.display().to_string();
        if !shown.contains('*') {
            let Some(first) = files.first() else {
                return Err(format!("{shown:?} does not point to an existing file"));
            };
            stat(first).map_err(|e| format!("error checking rule file {:?}: {e}", first.display().to_string()))?;
        }
        report.rule_files.extend(files);
    }
    for sc in &cfg.scrape_configs {
        if let Some(f) = sc.http_client.authorization.as_ref().and_then(|a| a.credentials_file.as_ref()) {
            stat(f).map_err(|e| {
                format!(
                    "error checking authorization credentials or bearer token file {:?}: {e}",
                    f.display().to_string()
                )
            })?;
        }
        check_tls(&sc.http_client.tls_config)?;
        let check_groups = |groups: &[TargetGroup]| -> Result<(), String> {
            for g in groups {
                let (_, errors) = targets_from_group(g, sc, false);
                if let Some(e) = errors.into_iter().next() {
                    return Err(e.to_string());
                }
            }
            Ok(())
        };
        for fsd in &sc.discovery.file_sd_configs {
            for pattern in &fsd.files {
                let files = glob(pattern)?;
                if files.is_empty() {
                    report.warnings.push(format!(
                        "file {:?} for file_sd in scrape job {:?} does not exist",
                        pattern.display().to_string(),
                        sc.job_name
                    ));
                }
                for f in files {
                    let groups = file::read_file(&f)
                        .map_err(|e| format!("checking SD file {:?}: {e}", pattern.display().to_string()))?;
                    check_groups(&groups)?;
                }
            }
        }
        check_groups(&sc.discovery.static_configs)?;
    }
    for am in &cfg.alerting.alertmanagers {
        for fsd in &am.discovery.file_sd_configs {
            for pattern in &fsd.files {
                if glob(pattern)?.is_empty() {
                    report.warnings.push(format!(
                        "file {:?} for file_sd in alertmanager config does not exist",
                        pattern.display().to_string()
                    ));
                }
            }
        }
        for g in &am.discovery.static_configs {
            for t in &g.targets {
                if let Some(lset) = crate::relabel::process(t, &am.relabel_configs)
                    && let Some(addr) = lset.get(crate::discovery::ADDRESS_LABEL)
                {
                    super::resolve::check_target_address(addr)?;
                }
            }
        }
    }
    Ok(report)
}
