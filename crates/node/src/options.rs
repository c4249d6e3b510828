//! What the caller configures: paths, enabled collectors and the collectors'
//! filters, with node_exporter 1.5's defaults (its `--path.*` and
//! `--collector.*` flags).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::Error;

/// node_exporter 1.5's `--collector.filesystem.mount-points-exclude` default.
pub const DEFAULT_MOUNT_POINTS_EXCLUDE: &str =
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
/// node_exporter 1.5's `--collector.filesystem.fs-types-exclude` default.
pub const DEFAULT_FS_TYPES_EXCLUDE: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
/// node_exporter 1.5's `--collector.diskstats.device-exclude` default
/// (`\d` written as `[0-9]`, since Go's `\d` is ASCII-only and Rust's is not).
pub const DEFAULT_DISKSTATS_DEVICE_EXCLUDE: &str = "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$";
/// node_exporter 1.5's `--collector.netdev.device-exclude` default.
pub const DEFAULT_NETDEV_DEVICE_EXCLUDE: &str = "^lo$";
/// node_exporter 1.5's `--collector.vmstat.fields` default.
pub const DEFAULT_VMSTAT_FIELDS: &str = "^(oom_kill|pgpg|pswp|pg.*fault).*";

/// One host collector, named as node_exporter names it (`--collector.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CollectorKind {
    /// `/proc/stat` per-CPU times, `/sys` thermal throttles and isolated CPUs.
    Cpu,
    /// `/proc/diskstats` and udev properties.
    Diskstats,
    /// Mounted filesystems from `/proc/1/mounts` and `statfs`.
    Filesystem,
    /// `/proc/loadavg`.
    Loadavg,
    /// `/proc/meminfo`.
    Meminfo,
    /// `/proc/net/dev` (plus `rx_nohandler` from sysfs).
    Netdev,
    /// `/proc/stat` system-wide counters.
    Stat,
    /// `*.prom` files of the textfile directory.
    Textfile,
    /// System time, time zone and clocksources.
    Time,
    /// The `uname` system call.
    Uname,
    /// `/proc/vmstat`.
    Vmstat,
}

impl CollectorKind {
    /// Every collector argus implements, in node_exporter's (alphabetical) order.
    pub const ALL: [CollectorKind; 11] = [
        CollectorKind::Cpu,
        CollectorKind::Diskstats,
        CollectorKind::Filesystem,
        CollectorKind::Loadavg,
        CollectorKind::Meminfo,
        CollectorKind::Netdev,
        CollectorKind::Stat,
        CollectorKind::Textfile,
        CollectorKind::Time,
        CollectorKind::Uname,
        CollectorKind::Vmstat,
    ];

    /// The name used in `node_scrape_collector_*{collector="..."}`.
    pub fn name(self) -> &'static str {
        match self {
            CollectorKind::Cpu => "cpu",
            CollectorKind::Diskstats => "diskstats",
            CollectorKind::Filesystem => "filesystem",
            CollectorKind::Loadavg => "loadavg",
            CollectorKind::Meminfo => "meminfo",
            CollectorKind::Netdev => "netdev",
            CollectorKind::Stat => "stat",
            CollectorKind::Textfile => "textfile",
            CollectorKind::Time => "time",
            CollectorKind::Uname => "uname",
            CollectorKind::Vmstat => "vmstat",
        }
    }
}

impl fmt::Display for CollectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CollectorKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        CollectorKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| Error::UnknownCollector(s.to_string()))
    }
}

/// Configuration of [`crate::NodeCollector`]; [`Default`] is node_exporter 1.5's
/// defaults with every collector of [`CollectorKind::ALL`] enabled and no
/// textfile directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// procfs mount point (`--path.procfs`, default `/proc`).
    pub procfs: PathBuf,
    /// sysfs mount point (`--path.sysfs`, default `/sys`).
    pub sysfs: PathBuf,
    /// Root filesystem (`--path.rootfs`, default `/`): mount points are
    /// `statfs`ed under it and reported with it stripped.
    pub rootfs: PathBuf,
    /// udev database (`--path.udev.data`, default `/run/udev/data`).
    pub udev_data: PathBuf,
    /// Textfile directory or glob (`--collector.textfile.directory`); `None`
    /// makes the textfile collector report only `node_textfile_scrape_error 0`.
    pub textfile_dir: Option<PathBuf>,
    /// The collectors to run; duplicates are ignored.
    pub collectors: Vec<CollectorKind>,
    /// `--collector.cpu.guest` (default on): `node_cpu_guest_seconds_total`.
    pub cpu_guest: bool,
    /// `--collector.filesystem.mount-points-exclude`.
    pub filesystem_mount_points_exclude: String,
    /// `--collector.filesystem.fs-types-exclude`.
    pub filesystem_fs_types_exclude: String,
    /// `--collector.filesystem.mount-timeout` (default 5 s): how long to wait
    /// for `statfs` before reporting the mount as stuck (`device_error 1`) and
    /// skipping it until that `statfs` returns.
    pub filesystem_mount_timeout: Duration,
    /// `--collector.diskstats.device-exclude`.
    pub diskstats_device_exclude: String,
    /// `--collector.diskstats.device-include`; when set, only matching devices
    /// are reported and the exclude pattern is not used.
    pub diskstats_device_include: Option<String>,
    /// `--collector.netdev.device-exclude`.
    pub netdev_device_exclude: String,
    /// `--collector.netdev.device-include`; when set, only matching devices
    /// are reported and the exclude pattern is not used.
    pub netdev_device_include: Option<String>,
    /// `--collector.vmstat.fields`.
    pub vmstat_fields: String,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            procfs: PathBuf::from("/proc"),
            sysfs: PathBuf::from("/sys"),
            rootfs: PathBuf::from("/"),
            udev_data: PathBuf::from("/run/udev/data"),
            textfile_dir: None,
            collectors: CollectorKind::ALL.to_vec(),
            cpu_guest: true,
            filesystem_mount_points_exclude: DEFAULT_MOUNT_POINTS_EXCLUDE.to_string(),
            filesystem_fs_types_exclude: DEFAULT_FS_TYPES_EXCLUDE.to_string(),
            filesystem_mount_timeout: Duration::from_secs(5),
            diskstats_device_exclude: DEFAULT_DISKSTATS_DEVICE_EXCLUDE.to_string(),
            diskstats_device_include: None,
            netdev_device_exclude: DEFAULT_NETDEV_DEVICE_EXCLUDE.to_string(),
            netdev_device_include: None,
            vmstat_fields: DEFAULT_VMSTAT_FIELDS.to_string(),
        }
    }
}
