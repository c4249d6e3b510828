//! Odd procfs, sysfs and textfile content never panics a collector: each
//! either copes or reports `node_scrape_collector_success 0`, and the body
//! always parses. Panics are counted with a hook because `NodeCollector`
//! contains them (and would hide them) by design.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use argus_model::exposition::{Format, Parser};
use argus_node::{NodeCollector, NodeOptions};

static PANICS: AtomicUsize = AtomicUsize::new(0);

const FILES: [&str; 9] = [
    "stat",
    "meminfo",
    "loadavg",
    "vmstat",
    "diskstats",
    "net/dev",
    "1/mounts",
    "mounts",
    "../sys/devices/system/clocksource/clocksource0/available_clocksource",
];

const GARBAGE: [&[u8]; 16] = [
    b"",
    b"\n\n\n",
    b"x",
    b"cpu0 1 2 3 x\n",
    b"cpu-1 1 2\ncpu 1\n",
    b"cpu99999999999999999999 1\n",
    b"MemTotal: 99999999999999999999999999 kB\nActive(: 1 kB\n(): 2\n",
    b"a b c d e f g h i j k l m n o p q r s t u v w x y z\n",
    b"   8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n",
    b"eth0: 1 2 3\nlo 1 2\n:\n",
    b"\xff\xfe\x00\x01 \xc3\x28 1 2 3\n",
    b"-1 -2 -3 -4\n",
    b"NaN Inf -Inf 1e308\n",
    b"/dev/x / ext4\n/dev/y /\\040\\011 ext4 ro 0 0\n",
    b"intr x\nbtime -5\nsoftirq 1\n",
    b"\0\0\0\0",
];

#[test]
fn garbage_never_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    for (i, garbage) in GARBAGE.iter().enumerate() {
        let root = tempfile::tempdir().unwrap();
        let proc_dir = root.path().join("proc");
        for file in FILES {
            let path = proc_dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, garbage).unwrap();
        }
        let textfiles = root.path().join("textfile");
        std::fs::create_dir(&textfiles).unwrap();
        std::fs::write(textfiles.join("g.prom"), garbage).unwrap();
        let node = NodeCollector::new(NodeOptions {
            procfs: proc_dir,
            sysfs: root.path().join("sys"),
            rootfs: root.path().to_path_buf(),
            udev_data: Path::new("/nonexistent").to_path_buf(),
            textfile_dir: Some(textfiles),
            ..NodeOptions::default()
        })
        .unwrap();
        for _ in 0..2 {
            let text = node.render_text();
            let bad = Parser::new(text.as_bytes(), Format::PromText).find_map(Result::err);
            assert!(bad.is_none(), "garbage case {i}: output does not parse: {bad:?}\n{text}");
            let _ = node.collect();
        }
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a collector panicked on garbage input");
}
