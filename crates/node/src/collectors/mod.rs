//! The collectors, one file each, and what they share: the resolved options
//! ([`Context`]) and small file readers that turn I/O failures into
//! [`Error::Read`] with the path.
//!
//! Each collector is a function `update(&Context, &mut Vec<Metric>) -> Result<()>`;
//! its metrics count only if it returns `Ok`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use regex::Regex;

use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::options::{CollectorKind, NodeOptions};

pub(crate) mod cpu;
pub(crate) mod diskstats;
pub(crate) mod filesystem;
pub(crate) mod loadavg;
pub(crate) mod meminfo;
pub(crate) mod netdev;
pub(crate) mod stat;
pub(crate) mod textfile;
pub(crate) mod time;
pub(crate) mod uname;
pub(crate) mod vmstat;

/// Options resolved into ready-to-use values, plus the collectors' state.
#[derive(Debug)]
pub(crate) struct Context {
    pub procfs: PathBuf,
    pub sysfs: PathBuf,
    pub rootfs: PathBuf,
    pub udev_data: PathBuf,
    pub textfile_dir: Option<PathBuf>,
    pub cpu_guest: bool,
    pub mount_points_exclude: Regex,
    pub fs_types_exclude: Regex,
    pub disk_filter: DeviceFilter,
    pub netdev_filter: DeviceFilter,
    pub vmstat_fields: Regex,
    /// Read once at start, as node_exporter does.
    pub isolated_cpus: Vec<u16>,
    /// Whether the udev database directory existed at start.
    pub udev_enabled: bool,
    pub cpu_state: Mutex<cpu::CpuState>,
    pub mount_timeout: std::time::Duration,
    /// Mount points whose `statfs` has not returned within the timeout.
    pub stuck_mounts: filesystem::StuckMounts,
}

impl Context {
    pub(crate) fn new(o: &NodeOptions) -> Result<Context> {
        let re = |option: &'static str, pattern: &str| {
            Regex::new(pattern).map_err(|source| Error::Regex { option, pattern: pattern.to_string(), source })
        };
        let mut ctx = Context {
            procfs: o.procfs.clone(),
            sysfs: o.sysfs.clone(),
            rootfs: o.rootfs.clone(),
            udev_data: o.udev_data.clone(),
            textfile_dir: o.textfile_dir.clone(),
            cpu_guest: o.cpu_guest,
            mount_points_exclude: re("collector.filesystem.mount-points-exclude", &o.filesystem_mount_points_exclude)?,
            fs_types_exclude: re("collector.filesystem.fs-types-exclude", &o.filesystem_fs_types_exclude)?,
            disk_filter: DeviceFilter::new(
                re("collector.diskstats.device-exclude", &o.diskstats_device_exclude)?,
                o.diskstats_device_include
                    .as_deref()
                    .map(|p| re("collector.diskstats.device-include", p))
                    .transpose()?,
            ),
            netdev_filter: DeviceFilter::new(
                re("collector.netdev.device-exclude", &o.netdev_device_exclude)?,
                o.netdev_device_include.as_deref().map(|p| re("collector.netdev.device-include", p)).transpose()?,
            ),
            vmstat_fields: re("collector.vmstat.fields", &o.vmstat_fields)?,
            isolated_cpus: Vec::new(),
            udev_enabled: o.udev_data.is_dir(),
            cpu_state: Mutex::new(cpu::CpuState::new()),
            mount_timeout: o.filesystem_mount_timeout,
            stuck_mounts: filesystem::StuckMounts::default(),
        };
        if o.collectors.contains(&CollectorKind::Cpu) {
            let path = ctx.sys("devices/system/cpu/isolated");
            match std::fs::read_to_string(&path) {
                Ok(text) => match cpu::parse_cpu_range(&text) {
                    Ok(cpus) => ctx.isolated_cpus = cpus,
                    Err(reason) => tracing::warn!(path = %path.display(), reason, "cannot parse isolated cpus"),
                },
                Err(err) => tracing::debug!(path = %path.display(), %err, "could not open isolated file"),
            }
        }
        if o.collectors.contains(&CollectorKind::Diskstats) && !ctx.udev_enabled {
            tracing::info!(path = %o.udev_data.display(), "udev data directory missing, disabling udev device properties");
        }
        Ok(ctx)
    }

    /// A path under procfs.
    pub(crate) fn proc(&self, rel: &str) -> PathBuf {
        self.procfs.join(rel)
    }

    /// A path under sysfs.
    pub(crate) fn sys(&self, rel: &str) -> PathBuf {
        self.sysfs.join(rel)
    }

    /// Runs one collector.
    pub(crate) fn run(&self, kind: CollectorKind, out: &mut Vec<Metric>) -> Result<()> {
        match kind {
            CollectorKind::Cpu => cpu::update(self, out),
            CollectorKind::Diskstats => diskstats::update(self, out),
            CollectorKind::Filesystem => filesystem::update(self, out),
            CollectorKind::Loadavg => loadavg::update(self, out),
            CollectorKind::Meminfo => meminfo::update(self, out),
            CollectorKind::Netdev => netdev::update(self, out),
            CollectorKind::Stat => stat::update(self, out),
            CollectorKind::Textfile => textfile::update(self, out),
            CollectorKind::Time => time::update(self, out),
            CollectorKind::Uname => uname::update(out),
            CollectorKind::Vmstat => vmstat::update(self, out),
        }
    }
}

/// node_exporter's `deviceFilter`: an include pattern, when given, replaces
/// the exclude pattern; patterns match anywhere unless anchored, as Go's
/// `MatchString` does.
#[derive(Debug)]
pub(crate) struct DeviceFilter {
    exclude: Option<Regex>,
    include: Option<Regex>,
}

impl DeviceFilter {
    fn new(exclude: Regex, include: Option<Regex>) -> Self {
        match include {
            Some(include) => DeviceFilter { exclude: None, include: Some(include) },
            None => DeviceFilter { exclude: Some(exclude), include: None },
        }
    }

    /// Whether the device is left out.
    pub(crate) fn ignored(&self, name: &str) -> bool {
        self.exclude.as_ref().is_some_and(|r| r.is_match(name))
            || self.include.as_ref().is_some_and(|r| !r.is_match(name))
    }
}

/// Reads a whole file as text; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Reads a file holding one unsigned integer (sysfs style, trailing newline).
pub(crate) fn read_uint(path: &Path) -> Result<u64> {
    let text = read_text(path)?;
    text.trim().parse().map_err(|_| Error::parse(path, format!("expected an unsigned integer, got {:?}", text.trim())))
}
