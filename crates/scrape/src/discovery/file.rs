//! `file_sd_configs`: target groups read from JSON or YAML files named by
//! globs, re-read every `refresh_interval`. [`read_file`] reads one file;
//! [`FileDiscoverer`] keeps the state of one config across refreshes (a file
//! that fails to parse keeps its previous groups, as in Prometheus; a file that
//! disappears empties its groups) and [`FileDiscoverer::run`] is the polling
//! loop. Prometheus also watches with inotify; polling alone is simpler and
//! bounded by the refresh interval.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argus_model::LabelsBuilder;
use tokio::sync::watch;

use super::TargetGroup;
use crate::config::{FileSdConfig, raw};

/// The label file SD adds to every group: the file it came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// Why a file SD file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileSdError {
    /// The file could not be read.
    #[error("cannot read file_sd file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is not a list of target groups.
    #[error("cannot parse file_sd file {}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, if known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The extension is not .json, .yml or .yaml.
    #[error("cannot read file_sd file {}: unknown extension", path.display())]
    Extension {
        /// The file.
        path: PathBuf,
    },
    /// A glob pattern is malformed.
    #[error("cannot expand file_sd pattern {pattern}: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads the target groups of one file; each gets source `"<path>:<index>"`
/// and the `__meta_filepath` label. Blocking.
pub fn read_file(path: &Path) -> Result<Vec<TargetGroup>, FileSdError> {
    let content = std::fs::read(path).map_err(|source| FileSdError::Read { path: path.to_path_buf(), source })?;
    parse_file(path, &content)
}

/// Parses file content as [`read_file`] does; `path` chooses the format by extension.
pub fn parse_file(path: &Path, content: &[u8]) -> Result<Vec<TargetGroup>, FileSdError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).unwrap_or_default();
    let groups: Vec<Option<raw::TargetGroup>> = match ext.as_str() {
        "json" => serde_json::from_slice(content).map_err(|e| FileSdError::Parse {
            path: path.to_path_buf(),
            line: Some(e.line()),
            message: e.to_string(),
        })?,
        "yml" | "yaml" => {
            if content.iter().all(u8::is_ascii_whitespace) {
                Vec::new()
            } else {
                serde_yaml_ng::from_slice::<Option<Vec<Option<raw::TargetGroup>>>>(content)
                    .map_err(|e| FileSdError::Parse {
                        path: path.to_path_buf(),
                        line: e.location().map(|l| l.line()),
                        message: e.to_string(),
                    })?
                    .unwrap_or_default()
            }
        }
        _ => return Err(FileSdError::Extension { path: path.to_path_buf() }),
    };
    let name = path.to_string_lossy().into_owned();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let g = g.ok_or_else(|| FileSdError::Parse {
                path: path.to_path_buf(),
                line: None,
                message: "nil target group item found".to_string(),
            })?;
            let mut tg = TargetGroup::from_raw(&g, format!("{name}:{i}"));
            let mut b: LabelsBuilder = tg.labels.builder();
            b.set(FILEPATH_LABEL, name.clone());
            tg.labels = b.build();
            Ok(tg)
        })
        .collect()
}

/// Expands the config's globs into existing files, sorted and deduplicated.
pub fn list_files(cfg: &FileSdConfig) -> (Vec<PathBuf>, Vec<FileSdError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for pattern in &cfg.files {
        let p = pattern.to_string_lossy();
        match glob::glob(&p) {
            Ok(paths) => files.extend(paths.flatten()),
            Err(e) => errors.push(FileSdError::Pattern { pattern: p.into_owned(), message: e.to_string() }),
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// The state of one `file_sd_configs` entry across refreshes.
#[derive(Debug)]
pub struct FileDiscoverer {
    cfg: FileSdConfig,
    last: BTreeMap<PathBuf, Vec<TargetGroup>>,
}

impl FileDiscoverer {
    /// A discoverer that has not read anything yet.
    pub fn new(cfg: FileSdConfig) -> Self {
        FileDiscoverer { cfg, last: BTreeMap::new() }
    }

    /// Re-reads all files and returns every current group plus the read errors.
    /// A file that fails keeps its previous groups; a file that is gone yields
    /// an empty group per old source, so consumers drop its targets. Blocking.
    pub fn refresh(&mut self) -> (Vec<TargetGroup>, Vec<FileSdError>) {
        let (files, mut errors) = list_files(&self.cfg);
        let mut now = BTreeMap::new();
        for f in files {
            match read_file(&f) {
                Ok(groups) => {
                    now.insert(f, groups);
                }
                Err(e) => {
                    errors.push(e);
                    if let Some(old) = self.last.get(&f) {
                        now.insert(f, old.clone());
                    }
                }
            }
        }
        let mut out: Vec<TargetGroup> = now.values().flatten().cloned().collect();
        for (f, old) in &self.last {
            if !now.contains_key(f) {
                out.extend(old.iter().map(|g| TargetGroup { source: g.source.clone(), ..TargetGroup::default() }));
            } else if let Some(new) = now.get(f) {
                // A file that shrank: clear the sources it no longer has.
                out.extend(
                    old.iter()
                        .skip(new.len())
                        .map(|g| TargetGroup { source: g.source.clone(), ..TargetGroup::default() }),
                );
            }
        }
        self.last = now;
        (out, errors)
    }

    /// Polls every `refresh_interval` and publishes the groups until every
    /// receiver is gone. Read errors are logged with `tracing`.
    pub async fn run(mut self, tx: watch::Sender<Vec<TargetGroup>>) {
        let mut tick = tokio::time::interval(self.cfg.refresh_interval.max(std::time::Duration::from_millis(100)));
        loop {
            tick.tick().await;
            // Reading a few small files blocks briefly; that is cheaper than a
            // blocking-pool hop and works on a current-thread runtime too.
            let (groups, errors) = self.refresh();
            for e in errors {
                tracing::error!(error = %e, "file_sd refresh failed");
            }
            if tx.send(groups).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::Labels;

    fn dir() -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("argus-filesd-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn json_and_yaml() {
        let d = dir();
        let j = d.join("a.json");
        std::fs::write(
            &j,
            r#"[{"targets": ["h1:9100", "h2:9100"], "labels": {"env": "prod"}}, {"targets": ["h3:1"]}]"#,
        )
        .unwrap();
        let y = d.join("b.yml");
        std::fs::write(&y, "- targets: ['h4:1']\n  labels:\n    port: 8080\n").unwrap();
        let g = read_file(&j).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].source, format!("{}:0", j.display()));
        assert_eq!(
            g[0].targets,
            vec![Labels::from_pairs([("__address__", "h1:9100")]), Labels::from_pairs([("__address__", "h2:9100")])]
        );
        assert_eq!(g[0].labels, Labels::from_pairs([("env", "prod"), ("__meta_filepath", j.to_str().unwrap())]));
        let g = read_file(&y).unwrap();
        assert_eq!(g[0].labels.get("port"), Some("8080"));

        let cfg = FileSdConfig {
            files: vec![d.join("*.json"), d.join("*.yml")],
            refresh_interval: std::time::Duration::from_secs(1),
        };
        let mut disc = FileDiscoverer::new(cfg);
        let (groups, errors) = disc.refresh();
        assert!(errors.is_empty());
        assert_eq!(groups.len(), 3);

        // A broken file keeps its previous groups; a removed one is emptied.
        std::fs::write(&j, "[{").unwrap();
        std::fs::remove_file(&y).unwrap();
        let (groups, errors) = disc.refresh();
        assert_eq!(errors.len(), 1);
        assert_eq!(groups.iter().filter(|g| !g.targets.is_empty()).count(), 2);
        assert_eq!(groups.iter().filter(|g| g.targets.is_empty()).count(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_content() {
        let check = |name: &str, body: &str| {
            parse_file(Path::new(name), body.as_bytes()).map(|g| g.len()).map_err(|e| e.to_string())
        };
        assert_eq!(check("a.yml", ""), Ok(0));
        assert_eq!(check("a.json", "[]"), Ok(0));
        assert!(check("a.yml", "- targets: [a]\n  foo: 1\n").unwrap_err().contains("unknown field"));
        assert!(check("a.json", r#"[{"targets": ["a"], "foo": 1}]"#).unwrap_err().contains("unknown field"));
        assert!(check("a.yml", "- labels: {'1a': x}\n").unwrap_err().contains("is not a valid label name"));
        assert!(check("a.yml", "- null\n").unwrap_err().contains("nil target group item found"));
        assert!(check("a.txt", "[]").unwrap_err().contains("unknown extension"));
    }

    #[test]
    fn testdata_files() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/promtool");
        if !base.exists() {
            eprintln!("skipping: {} not found", base.display());
            return;
        }
        for f in ["good-sd-file.json", "good-sd-file.yaml", "good-sd-file.yml"] {
            assert!(read_file(&base.join(f)).is_ok(), "{f}");
        }
        assert!(read_file(&base.join("bad-sd-file-format.yml")).is_err());
    }
}
