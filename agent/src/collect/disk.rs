//! Root disk usage and every real mounted filesystem, from `/proc/self/mounts`
//! and `statvfs`.
//!
//! statvfs is called directly (rustix) rather than through sysinfo because
//! sysinfo only reports total and available space: "used" as `df` shows it is
//! total minus *free* blocks, and the difference (root-reserved blocks) can be
//! tens of gigabytes.

use std::borrow::Cow;
use std::io::Read;

use homelabcmd_protocol::heartbeat::FilesystemMetric;

use super::cpu::round_to;

/// Kernel and in-memory filesystems: their "usage" says nothing about disks.
/// Read-only images (squashfs snaps, ISOs) are always 100 % full.
const VIRTUAL_FS_TYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fuse.gvfsd-fuse",
    "fuse.lxcfs",
    "fuse.portal",
    "fuse.snapfuse",
    "fusectl",
    "hugetlbfs",
    "iso9660",
    "mqueue",
    "nfsd",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rootfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

/// Network filesystems are skipped: statvfs on a mount whose server is gone
/// blocks in the kernel, and with it every heartbeat.
const NETWORK_FS_TYPES: &[&str] = &[
    "9p",
    "afs",
    "ceph",
    "cifs",
    "davfs",
    "fuse.rclone",
    "fuse.sshfs",
    "glusterfs",
    "nfs",
    "nfs4",
    "smb3",
    "smbfs",
    "sshfs",
];

/// System trees and container runtimes' private mounts.
const EXCLUDED_MOUNT_ROOTS: &[&str] = &[
    "/dev",
    "/proc",
    "/run",
    "/snap",
    "/sys",
    "/var/lib/containers",
    "/var/lib/docker",
];

const GIB: f64 = (1u64 << 30) as f64;

/// One line of the mount table.
#[derive(Debug, PartialEq)]
pub struct Mount<'a> {
    pub device: Cow<'a, str>,
    pub mount_point: Cow<'a, str>,
    pub fs_type: &'a str,
}

/// Parses `/proc/mounts` text, decoding the octal escapes (`\040` for a
/// space) the kernel uses in paths.
pub fn parse_mounts(text: &str) -> impl Iterator<Item = Mount<'_>> {
    text.lines().filter_map(|line| {
        let mut fields = line.split_ascii_whitespace();
        Some(Mount {
            device: unescape(fields.next()?),
            mount_point: unescape(fields.next()?),
            fs_type: fields.next()?,
        })
    })
}

fn unescape(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                let v = (u32::from(d[0] - b'0') << 6)
                    | (u32::from(d[1] - b'0') << 3)
                    | u32::from(d[2] - b'0');
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn under_excluded_root(mount_point: &str) -> bool {
    EXCLUDED_MOUNT_ROOTS.iter().any(|root| {
        mount_point
            .strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Mounts worth reporting, first mount of each device only: bind mounts and
/// btrfs subvolumes repeat a device and would count its space twice.
pub fn real_filesystems<'a>(mounts: impl Iterator<Item = Mount<'a>>) -> Vec<Mount<'a>> {
    let mut out: Vec<Mount<'a>> = Vec::new();
    for m in mounts {
        if VIRTUAL_FS_TYPES.contains(&m.fs_type)
            || NETWORK_FS_TYPES.contains(&m.fs_type)
            || under_excluded_root(&m.mount_point)
            || out
                .iter()
                .any(|o| o.device == m.device || o.mount_point == m.mount_point)
        {
            continue;
        }
        out.push(m);
    }
    out
}

/// Space figures of one filesystem, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub total: u64,
    pub used: u64,
    pub available: u64,
}

impl Usage {
    fn from_blocks(frsize: u64, blocks: u64, free: u64, avail: u64) -> Usage {
        let total = frsize.saturating_mul(blocks);
        Usage {
            total,
            used: total.saturating_sub(frsize.saturating_mul(free)),
            available: frsize.saturating_mul(avail),
        }
    }

    /// `df`'s Use%: share of the space a normal user can have, so a disk
    /// full up to its root reserve reads 100 %.
    pub fn percent(&self) -> f64 {
        let usable = self.used + self.available;
        if usable == 0 {
            return 0.0;
        }
        round_to(self.used as f64 * 100.0 / usable as f64, 1)
    }
}

fn statvfs(path: &str) -> Option<Usage> {
    let s = rustix::fs::statvfs(path).ok()?;
    let usage = Usage::from_blocks(s.f_frsize, s.f_blocks, s.f_bfree, s.f_bavail);
    (usage.total > 0).then_some(usage)
}

/// The root filesystem's headline figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RootDisk {
    pub percent: f64,
    pub total_gb: f64,
    pub used_gb: f64,
}

impl From<Usage> for RootDisk {
    fn from(u: Usage) -> RootDisk {
        RootDisk {
            percent: u.percent(),
            total_gb: round_to(u.total as f64 / GIB, 2),
            used_gb: round_to(u.used as f64 / GIB, 2),
        }
    }
}

#[derive(Debug, Default)]
pub struct DiskReport {
    pub root: Option<RootDisk>,
    pub filesystems: Vec<FilesystemMetric>,
}

/// Keeps the mount-table buffer between ticks.
#[derive(Debug, Default)]
pub struct DiskCollector {
    mounts: String,
}

impl DiskCollector {
    pub fn collect(&mut self) -> DiskReport {
        self.mounts.clear();
        let read = std::fs::File::open("/proc/self/mounts")
            .and_then(|mut f| f.read_to_string(&mut self.mounts));
        if let Err(e) = read {
            tracing::debug!("cannot read /proc/self/mounts: {e}");
        }
        let mut report = DiskReport::default();
        for m in real_filesystems(parse_mounts(&self.mounts)) {
            let Some(usage) = statvfs(&m.mount_point) else {
                continue;
            };
            if m.mount_point == "/" {
                report.root = Some(usage.into());
            }
            report.filesystems.push(FilesystemMetric {
                percent: usage.percent(),
                mount_point: m.mount_point.into_owned(),
                device: m.device.into_owned(),
                fs_type: m.fs_type.to_owned(),
                total_bytes: clamp_i64(usage.total),
                used_bytes: clamp_i64(usage.used),
                available_bytes: clamp_i64(usage.available),
            });
        }
        // "/" can be an overlay (containers) and so not in the list above.
        if report.root.is_none() {
            report.root = statvfs("/").map(RootDisk::from);
        }
        report
    }
}

pub fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = include_str!("../../tests/fixtures/proc-mounts.txt");

    #[test]
    fn keeps_real_filesystems_once_per_device() {
        let kept: Vec<_> = real_filesystems(parse_mounts(MOUNTS))
            .into_iter()
            .map(|m| (m.mount_point.into_owned(), m.device.into_owned(), m.fs_type))
            .collect();
        assert_eq!(
            kept,
            [
                ("/".to_owned(), "/dev/sda2".to_owned(), "ext4"),
                ("/boot/efi".to_owned(), "/dev/sda1".to_owned(), "vfat"),
                ("/mnt/media disk".to_owned(), "/dev/sdb1".to_owned(), "xfs"),
                ("/tank".to_owned(), "tank".to_owned(), "zfs"),
            ]
        );
    }

    #[test]
    fn octal_escapes_are_decoded() {
        assert_eq!(unescape(r"/mnt/a\040b\011c\134d"), "/mnt/a b\tc\\d");
        assert_eq!(unescape(r"/odd\04"), r"/odd\04");
        assert!(matches!(unescape("/plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn excluded_roots_match_whole_path_components() {
        assert!(under_excluded_root("/dev"));
        assert!(under_excluded_root("/run/user/1000"));
        assert!(!under_excluded_root("/devdata"));
        assert!(!under_excluded_root("/"));
    }

    #[test]
    fn used_excludes_root_reserve_like_df() {
        // The sample VM: 270 GB disk, most of it reserved.
        let u = Usage::from_blocks(4096, 66_053_998, 62_447_967, 20_215_467);
        assert_eq!(u.total, 270_557_175_808);
        assert_eq!(u.used, 14_770_302_976);
        assert_eq!(u.percent(), 15.1);
        let root = RootDisk::from(u);
        assert_eq!(root.total_gb, 251.98);
        assert_eq!(root.used_gb, 13.76);
        let empty = Usage::from_blocks(4096, 0, 0, 0);
        assert_eq!(empty.percent(), 0.0);
    }

    #[test]
    fn this_machine_reports_a_root_disk() {
        let report = DiskCollector::default().collect();
        let root = report.root.expect("root disk");
        assert!(root.total_gb > 0.0);
        assert!((0.0..=100.0).contains(&root.percent));
    }
}
