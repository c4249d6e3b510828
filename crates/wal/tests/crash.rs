//! A real process crash: a child process logs batches and is killed with SIGKILL;
//! every batch it acknowledged must be read back after repair.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use argus_wal::Wal;
use util::*;

const DIR_ENV: &str = "ARGUS_WAL_CRASH_DIR";

/// The child half: runs only when the parent sets `ARGUS_WAL_CRASH_DIR`.
#[test]
#[ignore = "run by kill_9_loses_no_acknowledged_batch as a child process"]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let (mut wal, _) = Wal::open(&dir, small(64 << 10)).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        log_batch(&mut wal, &batch(i));
        writeln!(out, "ack {i}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn kill_9_loses_no_acknowledged_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_child_writer", "--exact", "--include-ignored", "--nocapture"])
            .env(DIR_ENV, dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut acked = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("ack ") {
                acked = Some(n.parse::<u64>().unwrap());
                if acked >= Some(3000 + round * 500) {
                    child.kill().unwrap(); // SIGKILL
                    break;
                }
            }
        }
        child.wait().unwrap();
        let acked = acked.expect("child acknowledged nothing");

        let (wal, report) = Wal::open(dir, small(64 << 10)).unwrap();
        drop(wal);
        // Each round's child restarts numbering at 0, so the log holds the rounds back to back.
        let got = replay_all(dir);
        assert!(report.records as usize == got.len());
        let this_round: Vec<Vec<u8>> = (0..=acked).flat_map(batch).collect();
        let pos = got
            .windows(this_round.len())
            .rposition(|w| w == this_round.as_slice())
            .unwrap_or_else(|| panic!("round {round}: acknowledged batches 0..={acked} missing"));
        // The child ran ahead of the acks we read before killing it: whatever follows
        // must be whole later batches, in order (a torn one was repaired away).
        let extra = &got[pos + this_round.len()..];
        let continuation: Vec<Vec<u8>> = (acked + 1..).flat_map(batch).take(extra.len()).collect();
        assert_eq!(extra, continuation.as_slice(), "round {round}");
        let (mut whole, mut next) = (0, acked + 1);
        while whole < extra.len() {
            whole += batch(next).len();
            next += 1;
        }
        assert_eq!(whole, extra.len(), "round {round}: a batch was replayed in part");
    }
}
