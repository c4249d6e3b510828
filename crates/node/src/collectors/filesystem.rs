//! The filesystem collector: `node_filesystem_*{device,fstype,mountpoint}` for
//! every mount in `/proc/1/mounts` (or `/proc/mounts` when PID 1's is hidden)
//! that the mount point and fs type exclude patterns let through, measured
//! with `statfs(2)` under the root path.
//!
//! As in node_exporter 1.5, a mount whose `statfs` fails reports only
//! `node_filesystem_device_error 1`, `readonly` comes from the mount options,
//! and a mount listed twice with the same labels is reported once.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
        let stat = match rustix::fs::statfs(&target) {
            Ok(s) => s,
            Err(err) => {
                tracing::debug!(path = %target.display(), %err, "error on statfs() system call");
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
}
