//! Exact output on the fixture tree `testdata/host` (a fake procfs, sysfs and
//! udev database) and `testdata/textfile`, and what happens when the files are
//! missing. The golden file `testdata/host.prom` was checked against Debian's
//! node_exporter 1.5 by `node_exporter_diff.rs`; regenerate it with
//! `UPDATE_GOLDEN=1 cargo test -p argus-node --test fixture`.

use std::path::{Path, PathBuf};

use argus_model::exposition::MetricType;
use argus_node::{CollectorKind, NodeCollector, NodeOptions};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

/// The fixture options: every collector reading files; `statfs` of every
/// mount fails (the root path does not exist), so filesystem output is stable.
fn fixture_options() -> NodeOptions {
    NodeOptions {
        procfs: testdata("host/proc"),
        sysfs: testdata("host/sys"),
        rootfs: PathBuf::from("/nonexistent-argus-root"),
        udev_data: testdata("host/udev"),
        textfile_dir: Some(testdata("textfile")),
        collectors: CollectorKind::ALL
            .into_iter()
            .filter(|k| !matches!(k, CollectorKind::Time | CollectorKind::Uname))
            .collect(),
        ..NodeOptions::default()
    }
}

/// Drops the lines whose values depend on the run: durations and file mtimes.
fn stable(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("node_scrape_collector_duration_seconds{"))
        .filter(|l| !l.starts_with("node_textfile_mtime_seconds{"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace(&testdata("textfile").display().to_string(), "TESTDATA/textfile")
}

#[test]
fn fixture_tree_renders_exactly() {
    let node = NodeCollector::new(fixture_options()).unwrap();
    let got = stable(&node.render_text());
    let golden = testdata("host.prom");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(got, want, "output differs from {}", golden.display());
}

#[test]
fn missing_files_fail_only_their_collector() {
    let empty = tempfile::tempdir().unwrap();
    let node = NodeCollector::new(NodeOptions {
        procfs: empty.path().join("proc"),
        sysfs: empty.path().join("sys"),
        textfile_dir: Some(empty.path().join("textfile")),
        ..NodeOptions::default()
    })
    .unwrap();
    let text = node.render_text();
    for kind in CollectorKind::ALL {
        // Time and uname use system calls; the textfile collector reports its
        // unreadable directory in node_textfile_scrape_error instead.
        let ok = matches!(kind, CollectorKind::Time | CollectorKind::Uname | CollectorKind::Textfile);
        let line = format!("node_scrape_collector_success{{collector=\"{kind}\"}} {}\n", u8::from(ok));
        assert!(text.contains(&line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("node_textfile_scrape_error 1\n"));
    assert!(text.contains("node_uname_info{"));
    assert!(!text.contains("node_cpu_seconds_total"));
    let failures = node.failure_counts();
    assert_eq!(failures.iter().filter(|(_, n)| *n == 1).count(), 8, "{failures:?}");
}

#[test]
fn collect_drops_empty_labels_and_expands_summaries() {
    let node = NodeCollector::new(fixture_options()).unwrap();
    let families = node.collect();
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "families are sorted by name");

    let info = families.iter().find(|f| f.name == "node_disk_info").unwrap();
    let (labels, value, ts) = &info.samples[0];
    assert_eq!(labels.to_string(), r#"{__name__="node_disk_info", device="dm-0", major="253", minor="0"}"#);
    assert_eq!((*value, *ts), (1.0, None));

    let rpc = families.iter().find(|f| f.name == "rpc_seconds").unwrap();
    assert_eq!(rpc.kind, MetricType::Summary);
    let series: Vec<String> = rpc.samples.iter().map(|(l, v, _)| format!("{} {v}", l.metric_string())).collect();
    assert_eq!(series, [r#"rpc_seconds{quantile="0.5"} 0.25"#, "rpc_seconds_sum 10", "rpc_seconds_count 40"]);
}

#[test]
fn bad_regex_is_an_error() {
    let err = NodeCollector::new(NodeOptions { vmstat_fields: "(".into(), ..NodeOptions::default() }).unwrap_err();
    assert!(err.to_string().starts_with("cannot compile collector.vmstat.fields regex \"(\""), "{err}");
    assert!("nope".parse::<CollectorKind>().is_err());
    assert_eq!("netdev".parse::<CollectorKind>().unwrap(), CollectorKind::Netdev);
}

#[test]
fn device_include_replaces_exclude() {
    let node = NodeCollector::new(NodeOptions {
        diskstats_device_include: Some("^(sda|loop0)$".into()),
        netdev_device_include: Some("^lo$".into()),
        collectors: vec![CollectorKind::Diskstats, CollectorKind::Netdev],
        ..fixture_options()
    })
    .unwrap();
    let text = node.render_text();
    let devices = |prefix: &str| {
        let mut d: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.split("device=\"").nth(1)?.split('"').next())
            .collect();
        d.dedup();
        d
    };
    assert_eq!(devices("node_disk_reads_completed_total{"), ["loop0", "sda"]);
    assert_eq!(devices("node_network_receive_bytes_total{"), ["lo"]);
}
