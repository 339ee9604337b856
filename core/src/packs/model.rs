//! The pack file format as Rust types: what one YAML file says, validated
//! field by field while it is deserialized (so every error carries the
//! YAML location of the offending value).
//!
//! A superset of the peer's format (`name`, `description`, `extends`,
//! `items: {files, packages, settings}`, files with `path`/`mode`/
//! `description`): unknown keys are rejected everywhere.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// One pack file as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackDoc {
    /// Display name (`Base Pack`); the pack's id is its file name.
    pub name: String,
    /// What the pack is for.
    #[serde(default)]
    pub description: String,
    /// Bumped by the author when the pack's content changes.
    #[serde(default)]
    pub version: Option<u32>,
    /// Id of the parent pack; its items come first.
    #[serde(default)]
    pub extends: Option<String>,
    /// The managed items.
    #[serde(default)]
    pub items: Items,
}

/// Every kind of item a pack manages.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Items {
    #[serde(default)]
    pub files: Vec<FileItem>,
    #[serde(default)]
    pub directories: Vec<DirItem>,
    #[serde(default)]
    pub packages: Vec<PackageItem>,
    #[serde(default)]
    pub settings: Vec<SettingItem>,
    #[serde(default)]
    pub services: Vec<ServiceItem>,
}

impl Items {
    /// Number of items of every kind.
    pub fn len(&self) -> usize {
        self.files.len()
            + self.directories.len()
            + self.packages.len()
            + self.settings.len()
            + self.services.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a path should exist, and where a setting's value is read from:
/// the wire enums, so pack files and the API spell them the same.
pub use homelabcmd_protocol::packs::{PathState, SettingType};

/// A managed file. Without `content`, `template` or `content_hash` only its
/// existence (any type: the peer lists directories here too), mode and
/// owner are checked.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileItem {
    pub path: PackPath,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub owner: Option<Owner>,
    /// The file's full text, inline.
    #[serde(default)]
    pub content: Option<String>,
    /// A file under `templates/` rendered with the host's facts.
    #[serde(default)]
    pub template: Option<TemplateName>,
    /// Expected `sha256:<hex>` when the content itself is not in the pack.
    #[serde(default)]
    pub content_hash: Option<ContentHash>,
    #[serde(default)]
    pub state: PathState,
    #[serde(default)]
    pub description: Option<String>,
}

/// A managed directory.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DirItem {
    pub path: PackPath,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub state: PathState,
    #[serde(default)]
    pub description: Option<String>,
}

/// A Debian package that must be installed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackageItem {
    pub name: PackageName,
    #[serde(default)]
    pub min_version: Option<MinVersion>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A setting with its expected value.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettingItem {
    pub key: String,
    pub expected: String,
    #[serde(rename = "type")]
    pub kind: SettingType,
    /// The file for `type: config`.
    #[serde(default)]
    pub file: Option<PackPath>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A systemd unit and the state it should be in.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceItem {
    pub name: ServiceName,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub running: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Commands a `type: command` setting may name, and the fixed shell text
/// each runs (no pack text reaches the shell here).
pub const SETTING_COMMANDS: &[(&str, &str)] = &[
    ("hostname", "cat /proc/sys/kernel/hostname"),
    (
        "timezone",
        "cat /etc/timezone 2>/dev/null || readlink /etc/localtime | sed 's|.*/zoneinfo/||'",
    ),
    ("login_shell", "getent passwd \"$(id -un)\" | cut -d: -f7"),
    ("umask", "umask"),
    ("kernel", "uname -r"),
    (
        "os_codename",
        ". /etc/os-release && printf '%s\\n' \"$VERSION_CODENAME\"",
    ),
];

/// The shell text of a whitelisted setting command.
pub fn setting_command(key: &str) -> Option<&'static str> {
    SETTING_COMMANDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, cmd)| *cmd)
}

/// Deserialize a string and check it, so a bad value fails with the YAML
/// location of that value.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Check and wrap a value.
            pub fn parse(s: &str) -> Result<Self, String> {
                $check(s).map(|()| Self(s.to_string()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(de::Error::custom)
            }
        }
    };
}

checked_string!(
    /// An absolute path or one under the login user's home (`~/...`).
    PackPath,
    check_path
);
checked_string!(
    /// A file name under the packs' `templates/` directory.
    TemplateName,
    check_template_name
);
checked_string!(
    /// A Debian package name (`[a-z0-9][a-z0-9+.-]+`).
    PackageName,
    check_package_name
);
checked_string!(
    /// A systemd unit name.
    ServiceName,
    check_service_name
);
checked_string!(
    /// `user` or `user:group`.
    Owner,
    check_owner
);
checked_string!(
    /// `sha256:` and 64 lowercase hex digits.
    ContentHash,
    check_content_hash
);
checked_string!(
    /// A Debian version (`[epoch:]upstream[-revision]`).
    MinVersion,
    check_version
);

impl ContentHash {
    /// The hex digest without the `sha256:` prefix.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }
}

fn check_path(s: &str) -> Result<(), String> {
    let rest = if let Some(r) = s.strip_prefix("~/") {
        r
    } else if let Some(r) = s.strip_prefix('/') {
        r
    } else {
        return Err(format!(
            "path `{s}` must be absolute or start with `~/` (the login user's home)"
        ));
    };
    if rest.is_empty() || rest.ends_with('/') {
        return Err(format!("path `{s}` must name a file, not end with `/`"));
    }
    if s.chars().any(|c| c == '\0' || c.is_control()) {
        return Err(format!("path {s:?} contains a control character"));
    }
    if rest
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!("path `{s}` has an empty, `.` or `..` component"));
    }
    Ok(())
}

fn check_template_name(s: &str) -> Result<(), String> {
    if s.is_empty()
        || s.starts_with('/')
        || s.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        || s.chars().any(|c| c.is_control() || c == '\\')
    {
        return Err(format!(
            "template `{s}` must be a relative file name under templates/ (no `..`)"
        ));
    }
    Ok(())
}

fn check_package_name(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = b.len() >= 2
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "package name `{s}` is not a Debian package name ([a-z0-9][a-z0-9+.-]+)"
        ))
    }
}

fn check_service_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && !s.starts_with('-')
        && s.len() <= 255
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b":-_.@\\".contains(&c));
    if ok {
        Ok(())
    } else {
        Err(format!("service name `{s}` is not a systemd unit name"))
    }
}

fn check_owner(s: &str) -> Result<(), String> {
    let name_ok = |n: &str| {
        n == "{{user}}"
            || (!n.is_empty()
                && n.len() <= 32
                && n.bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
                && n.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-".contains(&c)))
    };
    let ok = match s.split_once(':') {
        Some((u, g)) => name_ok(u) && name_ok(g),
        None => name_ok(s),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "owner `{s}` must be `user` or `user:group` (lowercase names, or {{{{user}}}})"
        ))
    }
}

fn check_content_hash(s: &str) -> Result<(), String> {
    match s.strip_prefix("sha256:") {
        Some(h)
            if h.len() == 64
                && h.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "content_hash `{s}` must be `sha256:` followed by 64 lowercase hex digits"
        )),
    }
}

fn check_version(s: &str) -> Result<(), String> {
    s.parse::<debversion::Version>()
        .map(|_| ())
        .map_err(|e| format!("min_version `{s}` is not a Debian version: {e}"))
}

/// File permissions: an octal string, `"0644"` or `"644"` (setuid, setgid
/// and sticky as a fourth digit). Unquoted `0644` also works (a leading zero
/// keeps the scalar a string for our parser), but a YAML number such as
/// `644` or `0o644` is rejected: YAML readers disagree on what `0644` and
/// `644` mean as numbers, and a wrong mode is a security problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mode(pub u32);

impl Mode {
    /// Parse `644`, `0644` or `2775`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if !(3..=4).contains(&s.len()) || !s.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
            return Err(format!(
                "mode `{s}` must be 3 or 4 octal digits, such as \"0644\""
            ));
        }
        u32::from_str_radix(s, 8)
            .map(Mode)
            .map_err(|e| format!("mode `{s}`: {e}"))
    }
}

impl fmt::Display for Mode {
    /// Four digits, as the contract shows modes: `0644`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ModeVisitor;
        impl Visitor<'_> for ModeVisitor {
            type Value = Mode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quoted octal mode such as \"0644\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Mode, E> {
                Mode::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Mode, E> {
                Err(E::custom(format!(
                    "mode {v} is a YAML number: quote it, as in mode: \"0644\" \
                     (numeric modes are ambiguous between YAML versions)"
                )))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Mode, E> {
                self.visit_i64(v as i64)
            }
        }
        d.deserialize_any(ModeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_quoted_octal_strings() {
        assert_eq!(Mode::parse("0644").unwrap(), Mode(0o644));
        assert_eq!(Mode::parse("755").unwrap(), Mode(0o755));
        assert_eq!(Mode::parse("2775").unwrap(), Mode(0o2775));
        assert_eq!(Mode(0o644).to_string(), "0644");
        for bad in ["", "64", "0899", "rw-r--r--", "00644", "0x1a4"] {
            assert!(Mode::parse(bad).is_err(), "{bad}");
        }
        // A leading zero keeps a plain scalar a string for our YAML parser,
        // so unquoted 0644 means what it looks like; a bare number does not.
        assert_eq!(yaml_serde::from_str::<Mode>("0644").unwrap(), Mode(0o644));
        for number in ["644", "420", "0o644"] {
            let e = yaml_serde::from_str::<Mode>(number)
                .unwrap_err()
                .to_string();
            assert!(e.contains("quote it"), "{number}: {e}");
        }
        assert_eq!(
            yaml_serde::from_str::<Mode>("\"0600\"").unwrap(),
            Mode(0o600)
        );
    }

    #[test]
    fn paths_are_absolute_or_home_relative() {
        for ok in ["/etc/hosts", "~/.bashrc", "~/.local/bin/x", "/a b/c"] {
            assert!(PackPath::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "~",
            "~/",
            "/",
            "etc/hosts",
            "~root/x",
            "/etc/../shadow",
            "/etc//x",
            "/x/",
            "/a\nb",
            "./x",
        ] {
            assert!(PackPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_owners_hashes_versions() {
        assert!(PackageName::parse("build-essential").is_ok());
        assert!(PackageName::parse("g++").is_ok());
        assert!(PackageName::parse("libc6.1").is_ok());
        assert!(PackageName::parse("Curl").is_err());
        assert!(PackageName::parse("curl; rm -rf /").is_err());
        assert!(Owner::parse("root").is_ok());
        assert!(Owner::parse("root:adm").is_ok());
        assert!(Owner::parse("{{user}}:{{user}}").is_ok());
        assert!(Owner::parse("Root").is_err());
        assert!(Owner::parse("a:b:c").is_err());
        assert!(ContentHash::parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(ContentHash::parse("sha256:abc").is_err());
        assert!(ContentHash::parse(&"a".repeat(64)).is_err());
        assert!(MinVersion::parse("1:2.3-4~bpo1").is_ok());
        assert!(MinVersion::parse("").is_err());
        assert!(ServiceName::parse("ssh.service").is_ok());
        assert!(ServiceName::parse("getty@tty1").is_ok());
        assert!(ServiceName::parse("a b").is_err());
        assert!(TemplateName::parse("gitconfig.tmpl").is_ok());
        assert!(TemplateName::parse("../x").is_err());
        assert!(setting_command("timezone").is_some());
        assert!(setting_command("rm").is_none());
    }
}
