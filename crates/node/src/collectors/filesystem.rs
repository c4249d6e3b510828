//! The filesystem collector: `node_filesystem_*{device,fstype,mountpoint}` for
//! every mount in `/proc/1/mounts` (or `/proc/mounts` when PID 1's is hidden)
//! that the mount point and fs type exclude patterns let through, measured
//! with `statfs(2)` under the root path.
//!
//! As in node_exporter 1.5, a mount whose `statfs` fails reports only
//! `node_filesystem_device_error 1`, `readonly` comes from the mount options,
//! and a mount listed twice with the same labels is reported once.
//!
//! Shared state: the stuck mounts. `statfs` on a hung network filesystem can
//! block for minutes, so it runs on its own thread; if it has not returned
//! within the mount timeout the mount point is marked stuck, reported with
//! `device_error 1` and skipped until that call returns (node_exporter's
//! `stuckMounts`). Unlike node_exporter, the collection itself does not wait
//! for the hung call.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use argus_model::exposition::MetricType::Gauge;

use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::{Metric, labels};

/// One mount table entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Mount {
    pub device: String,
    pub mount_point: String,
    pub fs_type: String,
    pub options: String,
}

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let mut path = ctx.proc("1/mounts");
    let text = match read_text(&path) {
        Err(Error::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!("reading root mounts failed, falling back to system mounts");
            path = ctx.proc("mounts");
            read_text(&path)?
        }
        other => other?,
    };
    let mut seen = HashSet::new();
    for m in parse(&text, &path, &ctx.rootfs)? {
        if ctx.mount_points_exclude.is_match(&m.mount_point) {
            tracing::trace!(mountpoint = m.mount_point, "ignoring mount point");
            continue;
        }
        if ctx.fs_types_exclude.is_match(&m.fs_type) {
            tracing::trace!(fstype = m.fs_type, "ignoring fs type");
            continue;
        }
        if !seen.insert((m.device.clone(), m.mount_point.clone(), m.fs_type.clone())) {
            continue;
        }
        let l = || {
            labels([("device", m.device.clone()), ("fstype", m.fs_type.clone()), ("mountpoint", m.mount_point.clone())])
        };
        let target = rootfs_file_path(&ctx.rootfs, &m.mount_point);
        let stat = match statfs_with_timeout(ctx, target.clone(), &m.mount_point) {
            Some(Ok(s)) => s,
            other => {
                if let Some(Err(err)) = other {
                    tracing::debug!(path = %target.display(), %err, "error on statfs() system call");
                }
                let help = "Whether an error occurred while getting statistics for the given device.";
                out.push(Metric::new("node_filesystem_device_error", help, Gauge, l(), 1.0));
                continue;
            }
        };
        let bsize = stat.f_bsize as f64;
        let ro = if m.options.split(',').any(|o| o == "ro") { 1.0 } else { 0.0 };
        for (name, help, v) in [
            (
                "node_filesystem_device_error",
                "Whether an error occurred while getting statistics for the given device.",
                0.0,
            ),
            ("node_filesystem_size_bytes", "Filesystem size in bytes.", stat.f_blocks as f64 * bsize),
            ("node_filesystem_free_bytes", "Filesystem free space in bytes.", stat.f_bfree as f64 * bsize),
            (
                "node_filesystem_avail_bytes",
                "Filesystem space available to non-root users in bytes.",
                stat.f_bavail as f64 * bsize,
            ),
            ("node_filesystem_files", "Filesystem total file nodes.", stat.f_files as f64),
            ("node_filesystem_files_free", "Filesystem total free file nodes.", stat.f_ffree as f64),
            ("node_filesystem_readonly", "Filesystem read-only status.", ro),
        ] {
            out.push(Metric::new(name, help, Gauge, l(), v));
        }
    }
    Ok(())
}

/// The mount points whose `statfs` is still running past the timeout, and the
/// worker thread that runs `statfs` calls (spawned on first use, replaced when
/// a call hangs).
#[derive(Debug, Default)]
pub(crate) struct StuckMounts {
    stuck: Arc<Mutex<HashSet<String>>>,
    worker: Mutex<Option<mpsc::Sender<StatfsRequest>>>,
}

type StatfsResult = rustix::io::Result<rustix::fs::StatFs>;

#[derive(Debug)]
struct StatfsRequest {
    target: PathBuf,
    mount_point: String,
    reply: mpsc::Sender<StatfsResult>,
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StuckMounts {
    pub(crate) fn is_stuck(&self, mount_point: &str) -> bool {
        lock(&self.stuck).contains(mount_point)
    }

    #[cfg(test)]
    pub(crate) fn mark(&self, mount_point: &str) {
        lock(&self.stuck).insert(mount_point.to_string());
    }

    /// Queues a request on the worker, starting one if there is none.
    fn submit(&self, req: StatfsRequest) -> std::result::Result<(), StatfsRequest> {
        let mut worker = lock(&self.worker);
        let req = match worker.as_ref() {
            Some(tx) => match tx.send(req) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(req)) => req,
            },
            None => req,
        };
        let (tx, rx) = mpsc::channel::<StatfsRequest>();
        let stuck = Arc::clone(&self.stuck);
        let spawned = std::thread::Builder::new().name("argus-statfs".into()).spawn(move || {
            for req in rx {
                let result = rustix::fs::statfs(&req.target);
                // Unmark and reply under the lock, so the collector cannot
                // mark the mount stuck after this call has already returned.
                let mut set = lock(&stuck);
                if set.remove(&req.mount_point) {
                    tracing::info!(mountpoint = req.mount_point, "mount point has recovered, monitoring will resume");
                }
                let _ = req.reply.send(result);
                drop(set);
            }
        });
        if spawned.is_err() {
            return Err(req);
        }
        let sent = tx.send(req).map_err(|mpsc::SendError(req)| req);
        *worker = Some(tx);
        sent
    }
}

/// `statfs` on the worker thread, waiting at most the mount timeout; `None`
/// if the mount is (or just became) stuck.
fn statfs_with_timeout(ctx: &Context, target: PathBuf, mount_point: &str) -> Option<StatfsResult> {
    let mounts = &ctx.stuck_mounts;
    if mounts.is_stuck(mount_point) {
        tracing::debug!(mountpoint = mount_point, "mount point is in an unresponsive state");
        return None;
    }
    let (reply, rx) = mpsc::channel();
    if let Err(req) = mounts.submit(StatfsRequest { target, mount_point: mount_point.to_string(), reply }) {
        // No thread to spare: wait in place, as node_exporter does.
        return Some(rustix::fs::statfs(&req.target));
    }
    match rx.recv_timeout(ctx.mount_timeout) {
        Ok(result) => Some(result),
        Err(_) => {
            let mut set = lock(&mounts.stuck);
            if let Ok(result) = rx.try_recv() {
                return Some(result);
            }
            set.insert(mount_point.to_string());
            drop(set);
            // The worker is blocked in that call; later calls get a new one,
            // and the old one exits once its call returns.
            *lock(&mounts.worker) = None;
            tracing::error!(
                mountpoint = mount_point,
                "mount point timed out, it is being labeled as stuck and will not be monitored"
            );
            None
        }
    }
}

/// Parses a mount table; mount points are unescaped (`\040`, `\011`) and the
/// root path prefix stripped, as node_exporter's `parseFilesystemLabels` does.
pub(crate) fn parse(text: &str, path: &Path, rootfs: &Path) -> Result<Vec<Mount>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let [device, mount_point, fs_type, options, ..] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            return Err(Error::parse(path, format!("malformed mount point information: {line:?}")));
        };
        let mount_point = mount_point.replace("\\040", " ").replace("\\011", "\t");
        out.push(Mount {
            device: device.to_string(),
            mount_point: rootfs_strip_prefix(rootfs, &mount_point),
            fs_type: fs_type.to_string(),
            options: options.to_string(),
        });
    }
    Ok(out)
}

fn rootfs_strip_prefix(rootfs: &Path, mount_point: &str) -> String {
    let root = rootfs.to_string_lossy();
    if root == "/" {
        return mount_point.to_string();
    }
    match mount_point.strip_prefix(root.as_ref()) {
        Some("") => "/".to_string(),
        Some(rest) => rest.to_string(),
        None => mount_point.to_string(),
    }
}

fn rootfs_file_path(rootfs: &Path, mount_point: &str) -> PathBuf {
    rootfs.join(mount_point.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_unescaped_and_stripped() {
        let text = "/dev/sda1 /host/media/my\\040disk ext4 ro,relatime 0 0\nnone /host tmpfs rw 0 0\n";
        let got = parse(text, Path::new("mounts"), Path::new("/host")).unwrap();
        assert_eq!(got[0].mount_point, "/media/my disk");
        assert_eq!(got[1].mount_point, "/");
        assert!(parse("a b c\n", Path::new("mounts"), Path::new("/")).is_err());
    }

    #[test]
    fn stuck_mounts_report_only_device_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mounts"), "/dev/x / ext4 rw 0 0\n/dev/y /data ext4 ro 0 0\n").unwrap();
        let opts = crate::NodeOptions { procfs: dir.path().to_path_buf(), ..crate::NodeOptions::default() };
        let ctx = Context::new(&opts).unwrap();
        ctx.stuck_mounts.mark("/");
        let mut out = Vec::new();
        update(&ctx, &mut out).unwrap();
        let root: Vec<_> = out.iter().filter(|m| m.labels.iter().any(|(n, v)| n == "mountpoint" && v == "/")).collect();
        assert_eq!(root.len(), 1);
        assert_eq!(
            (root[0].name.as_ref(), &root[0].value),
            ("node_filesystem_device_error", &crate::metric::Value::Single(1.0))
        );
    }
}
