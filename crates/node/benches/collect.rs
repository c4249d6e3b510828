//! Cost of one collection on this host: argus' `render_text` and `collect`
//! next to a scrape of Debian's node_exporter 1.5 with the same collectors and
//! textfile directory (if installed). Wall time per call and CPU time per call
//! (from `/proc/<pid>/stat`, so the exporter's own CPU is counted, not curl's).
//!
//! Run: `cargo bench -p argus-node --bench collect`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use argus_node::{NodeCollector, NodeOptions};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
const ALL: [&str; 11] =
    ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat", "textfile", "time", "uname", "vmstat"];

/// utime + stime of a process in milliseconds (clock ticks are 10 ms).
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

fn measure(n: usize, pid: u32, mut f: impl FnMut() -> usize) -> (f64, f64, usize) {
    for _ in 0..10 {
        f();
    }
    let (cpu0, t0) = (cpu_ms(pid), Instant::now());
    let mut bytes = 0;
    for _ in 0..n {
        bytes = f();
    }
    let wall = t0.elapsed().as_secs_f64() * 1000.0 / n as f64;
    (wall, (cpu_ms(pid) - cpu0) / n as f64, bytes)
}

fn get(port: u16) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(s, "GET /metrics HTTP/1.0\r\nAccept: text/plain\r\n\r\n")?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    Ok(raw)
}

fn main() {
    let n = 500;
    let tf = std::env::temp_dir().join(format!("argus-node-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tf).unwrap();
    let mut body =
        String::from("# HELP batch_last_success_seconds Last success.\n# TYPE batch_last_success_seconds gauge\n");
    for i in 0..100 {
        body.push_str(&format!("batch_last_success_seconds{{job=\"job{i}\"}} {}\n", 1.7e9 + i as f64));
    }
    std::fs::write(tf.join("batch.prom"), &body).unwrap();

    let node = NodeCollector::new(NodeOptions { textfile_dir: Some(tf.clone()), ..NodeOptions::default() }).unwrap();
    let me = std::process::id();
    let (wall, cpu, bytes) = measure(n, me, || node.render_text().len());
    println!("argus render_text   : {wall:.3} ms wall, {cpu:.3} ms CPU per call, {bytes} bytes ({n} calls)");
    let (wall, cpu, _) = measure(n, me, || node.collect().len());
    println!("argus collect       : {wall:.3} ms wall, {cpu:.3} ms CPU per call ({n} calls)");

    if !Path::new(NODE_EXPORTER).exists() {
        println!("node_exporter       : not installed, not measured");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new(NODE_EXPORTER);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .arg("--web.disable-exporter-metrics")
        .arg(format!("--collector.textfile.directory={}", tf.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for c in ALL {
        cmd.arg(format!("--collector.{c}"));
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(port).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (wall, cpu, bytes) = measure(n, child.id(), || get(port).map(|b| b.len()).unwrap_or(0));
    println!(
        "node_exporter scrape: {wall:.3} ms wall, {cpu:.3} ms CPU per call (exporter process), {bytes} bytes ({n} calls)"
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&tf);
}
