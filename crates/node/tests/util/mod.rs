//! Reading `/metrics` bodies back into comparable shapes, and talking to a
//! node_exporter process, for the differential tests.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use argus_model::exposition::{Entry, Format, Parser};

/// The Debian binary the differential tests compare with.
pub const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

/// One family as read from a body.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Family {
    pub help: String,
    pub kind: String,
    /// The label-name sets of its series (suffixed series included).
    pub label_names: BTreeSet<Vec<String>>,
    /// Series text (`name{a="x"}` with all labels, empty ones too) to value.
    pub series: BTreeMap<String, f64>,
}

/// Parses a text-format body into families keyed by name.
pub fn families(body: &str) -> BTreeMap<String, Family> {
    let mut out: BTreeMap<String, Family> = BTreeMap::new();
    let mut current = String::new();
    for entry in Parser::new(body.as_bytes(), Format::PromText) {
        match entry.expect("body parses") {
            Entry::Help { metric, help } => {
                current = metric.to_string();
                out.entry(current.clone()).or_default().help = help.into_owned();
            }
            Entry::Type { metric, kind } => {
                current = metric.to_string();
                out.entry(current.clone()).or_default().kind = kind.as_str().to_string();
            }
            Entry::Series(s) => {
                let pairs: Vec<(String, String)> =
                    s.label_pairs().map(|(n, v)| (n.to_string(), v.into_owned())).collect();
                let fam = if s.name.starts_with(current.as_str()) && !current.is_empty() {
                    current.clone()
                } else {
                    s.name.to_string()
                };
                let f = out.entry(fam).or_default();
                let mut names: Vec<String> =
                    pairs.iter().map(|(n, _)| n.clone()).filter(|n| n != "le" && n != "quantile").collect();
                names.sort();
                f.label_names.insert(names);
                f.series.insert(s.series.to_string(), s.value);
            }
            _ => {}
        }
    }
    out
}

/// A node_exporter child process, killed on drop.
pub struct Exporter {
    child: Child,
    port: u16,
}

impl Exporter {
    /// Starts node_exporter with only `collectors` enabled plus `extra` flags
    /// and waits until it listens; `None` if the binary is not installed.
    /// Retries on another port if the one picked was taken meanwhile (tests
    /// and benches start exporters in parallel).
    pub fn start(collectors: &[&str], extra: &[String]) -> Option<Exporter> {
        if !Path::new(NODE_EXPORTER).exists() {
            return None;
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
            let mut cmd = Command::new(NODE_EXPORTER);
            cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--collector.disable-defaults")
                .arg("--web.disable-exporter-metrics")
                .arg("--log.level=error")
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            for c in collectors {
                cmd.arg(format!("--collector.{c}"));
            }
            cmd.args(extra);
            let child = cmd.spawn().expect("start node_exporter");
            let mut exporter = Exporter { child, port };
            // The landing page, not /metrics: a scrape may be what crashes it.
            match exporter.wait_for("/") {
                Ok(_) => return Some(exporter),
                Err(e) => last_error = e,
            }
        }
        panic!("node_exporter did not start: {last_error}");
    }

    /// GETs `/metrics`, waiting up to 10 s for the listener.
    pub fn metrics(&mut self) -> String {
        self.try_metrics().unwrap_or_else(|e| panic!("{e}"))
    }

    /// GETs `/metrics`; fails with node_exporter's last words if it exited.
    pub fn try_metrics(&mut self) -> Result<String, String> {
        self.wait_for("/metrics")
    }

    /// GETs `path`, retrying for up to 10 s while the process is alive.
    fn wait_for(&mut self, path: &str) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match get(self.port, path) {
                Ok(body) => return Ok(body),
                Err(e) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        let mut stderr = String::new();
                        if let Some(mut pipe) = self.child.stderr.take() {
                            let _ = pipe.read_to_string(&mut stderr);
                        }
                        let tail: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("ts=")).take(3).collect();
                        return Err(format!("node_exporter exited ({status}): {}", tail.join(" | ")));
                    }
                    if Instant::now() > deadline {
                        return Err(format!("node_exporter did not answer: {e}"));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n")?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("unexpected response: {head}")));
    }
    Ok(body.to_string())
}

/// Families that node_exporter itself exposes whatever the collectors.
pub fn is_exporter_own(name: &str) -> bool {
    name == "node_exporter_build_info"
        || name.starts_with("promhttp_")
        || name.starts_with("go_")
        || name.starts_with("process_")
}
