//! Comparing a pack with a host's report: pure, no I/O. Each item yields
//! zero or more mismatches in the contract's shape; file content
//! mismatches carry a unified diff from the host's text (`---`) to the
//! pack's (`+++`), i.e. what applying the pack would change.

use std::collections::BTreeSet;
use std::str::FromStr as _;

use homelabcmd_protocol::packs::{
    DiffMismatchItem, FileType, ItemCategory, MismatchActual, MismatchExpected, MismatchType,
};
use sha2::{Digest as _, Sha256};

use super::loader::ResolvedPack;
use super::model::{
    DirItem, FileItem, Owner, PackageItem, PathState, ServiceItem, SettingItem, SettingType,
};
use super::report::{PathObs, PkgObs, Report, SvcObs};
use super::template::{self, Facts};

/// sha256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A check's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub mismatches: Vec<DiffMismatchItem>,
    /// Items in the pack.
    pub total_items: usize,
    /// Items with at least one mismatch.
    pub mismatched_items: usize,
}

impl Comparison {
    pub fn is_compliant(&self) -> bool {
        self.mismatches.is_empty()
    }
}

struct Out(Vec<DiffMismatchItem>);

impl Out {
    fn push(
        &mut self,
        kind: MismatchType,
        category: ItemCategory,
        item: &str,
        expected: MismatchExpected,
        actual: MismatchActual,
        diff: Option<String>,
    ) {
        self.0.push(DiffMismatchItem {
            kind,
            category,
            item: item.to_string(),
            expected,
            actual,
            diff,
        });
    }

    fn error(&mut self, category: ItemCategory, item: &str, message: impl Into<String>) {
        self.push(
            MismatchType::CheckError,
            category,
            item,
            MismatchExpected::default(),
            MismatchActual {
                error: Some(message.into()),
                ..MismatchActual::default()
            },
            None,
        );
    }
}

const NO_LINE: &str = "the check report has no line for this item";

/// The expected content of a file, rendered for the host.
pub fn expected_content(f: &FileItem, pack: &ResolvedPack, facts: &Facts) -> Option<String> {
    if let Some(c) = &f.content {
        return Some(c.clone());
    }
    let t = f.template.as_ref()?;
    pack.templates
        .get(t.as_str())
        .map(|text| template::render(text, facts))
}

/// Compare `pack` with what `report` found.
pub fn compare(pack: &ResolvedPack, report: &Report) -> Comparison {
    let mut out = Out(Vec::new());
    let facts = &report.facts;
    for (f, obs) in pack.items.files.iter().zip(&report.files) {
        compare_file(&mut out, pack, f, obs.as_ref(), facts);
    }
    for (d, obs) in pack.items.directories.iter().zip(&report.directories) {
        compare_dir(&mut out, d, obs.as_ref(), facts);
    }
    for (p, obs) in pack.items.packages.iter().zip(&report.packages) {
        compare_package(&mut out, p, obs.as_ref());
    }
    for (s, obs) in pack.items.settings.iter().zip(&report.settings) {
        compare_setting(&mut out, s, obs.as_ref());
    }
    for (v, obs) in pack.items.services.iter().zip(&report.services) {
        compare_service(&mut out, v, obs.as_ref());
    }
    for e in &report.errors {
        out.error(ItemCategory::Report, "check report", e.clone());
    }
    let mismatched: BTreeSet<(ItemCategory, &str)> = out
        .0
        .iter()
        .filter(|m| m.category != ItemCategory::Report)
        .map(|m| (m.category, m.item.as_str()))
        .collect();
    Comparison {
        mismatched_items: mismatched.len(),
        total_items: pack.items.len(),
        mismatches: out.0,
    }
}

/// A package: installed (dpkg's `installed` status), and not older than
/// its `min_version` by Debian version ordering.
fn compare_package(out: &mut Out, p: &PackageItem, obs: Option<&PkgObs>) {
    let name = p.name.as_str();
    let Some(obs) = obs else {
        out.error(ItemCategory::Packages, name, NO_LINE);
        return;
    };
    if obs.status == "no-dpkg" {
        out.error(
            ItemCategory::Packages,
            name,
            "dpkg-query is not available on the host",
        );
        return;
    }
    let min = p.min_version.as_ref().map(|v| v.as_str().to_string());
    if obs.status != "installed" {
        out.push(
            MismatchType::MissingPackage,
            ItemCategory::Packages,
            name,
            MismatchExpected {
                installed: Some(true),
                min_version: min,
                ..Default::default()
            },
            MismatchActual {
                installed: Some(false),
                version: obs.version.clone(),
                ..Default::default()
            },
            None,
        );
        return;
    }
    if let Some(min) = &p.min_version {
        let have = obs.version.as_deref().unwrap_or("");
        match (
            debversion::Version::from_str(have),
            debversion::Version::from_str(min.as_str()),
        ) {
            (Ok(have_v), Ok(min_v)) => {
                if have_v < min_v {
                    out.push(
                        MismatchType::WrongVersion,
                        ItemCategory::Packages,
                        name,
                        MismatchExpected {
                            installed: Some(true),
                            min_version: Some(min.to_string()),
                            ..Default::default()
                        },
                        MismatchActual {
                            installed: Some(true),
                            version: Some(have.to_string()),
                            ..Default::default()
                        },
                        None,
                    );
                }
            }
            _ => out.error(
                ItemCategory::Packages,
                name,
                format!("installed version `{have}` is not a Debian version"),
            ),
        }
    }
}

/// A service: enabled and/or running as the pack asks (unset: not
/// checked); the words systemd printed go in `actual.value`.
fn compare_service(out: &mut Out, v: &ServiceItem, obs: Option<&SvcObs>) {
    let name = v.name.as_str();
    let Some(obs) = obs else {
        out.error(ItemCategory::Services, name, NO_LINE);
        return;
    };
    if obs.enabled == "no-systemd" {
        out.error(
            ItemCategory::Services,
            name,
            "systemctl is not available on the host",
        );
        return;
    }
    let enabled = matches!(
        obs.enabled.as_str(),
        "enabled" | "enabled-runtime" | "static" | "alias" | "indirect" | "generated"
    );
    let running = obs.active == "active";
    let bad_enabled = v.enabled.is_some_and(|e| e != enabled);
    let bad_running = v.running.is_some_and(|r| r != running);
    if bad_enabled || bad_running {
        out.push(
            MismatchType::WrongService,
            ItemCategory::Services,
            name,
            MismatchExpected {
                enabled: v.enabled,
                running: v.running,
                ..Default::default()
            },
            MismatchActual {
                enabled: Some(enabled),
                running: Some(running),
                value: Some(format!(
                    "is-enabled={} is-active={}",
                    obs.enabled, obs.active
                )),
                ..Default::default()
            },
            None,
        );
    }
}

fn render_owner(owner: &Owner, facts: &Facts) -> String {
    owner.as_str().replace("{{user}}", &facts.user)
}

/// `user` matches the owner only; `user:group` both.
fn owner_matches(want: &str, have: &str) -> bool {
    if want.contains(':') {
        want == have
    } else {
        have.split(':').next() == Some(want)
    }
}

/// Mode and owner of a present path.
fn compare_attrs(
    out: &mut Out,
    item: &str,
    mode: Option<super::model::Mode>,
    owner: Option<&Owner>,
    have_mode: Option<u32>,
    have_owner: Option<&str>,
    facts: &Facts,
) {
    if let (Some(want), Some(have)) = (mode, have_mode)
        && want.0 != have & 0o7777
    {
        out.push(
            MismatchType::WrongPermissions,
            ItemCategory::Files,
            item,
            MismatchExpected {
                mode: Some(want.to_string()),
                ..Default::default()
            },
            MismatchActual {
                mode: Some(super::model::Mode(have).to_string()),
                ..Default::default()
            },
            None,
        );
    }
    if let Some(want) = owner {
        let want = render_owner(want, facts);
        let have = have_owner.unwrap_or("");
        if !owner_matches(&want, have) {
            out.push(
                MismatchType::WrongOwner,
                ItemCategory::Files,
                item,
                MismatchExpected {
                    owner: Some(want),
                    ..Default::default()
                },
                MismatchActual {
                    owner: Some(have.to_string()),
                    ..Default::default()
                },
                None,
            );
        }
    }
}

/// Something of another kind (a directory, a symlink, ...) is at the path.
fn wrong_type(out: &mut Out, item: &str, want: FileType, kind: FileType) {
    out.push(
        MismatchType::WrongType,
        ItemCategory::Files,
        item,
        MismatchExpected {
            file_type: Some(want),
            ..Default::default()
        },
        MismatchActual {
            exists: Some(true),
            file_type: Some(kind),
            ..Default::default()
        },
        None,
    );
}

fn unexpected(out: &mut Out, item: &str, kind: FileType) {
    out.push(
        MismatchType::UnexpectedFile,
        ItemCategory::Files,
        item,
        MismatchExpected {
            exists: Some(false),
            ..Default::default()
        },
        MismatchActual {
            exists: Some(true),
            file_type: Some(kind),
            ..Default::default()
        },
        None,
    );
}

fn compare_file(
    out: &mut Out,
    pack: &ResolvedPack,
    f: &FileItem,
    obs: Option<&PathObs>,
    facts: &Facts,
) {
    let item = f.path.as_str();
    let Some(obs) = obs else {
        out.error(ItemCategory::Files, item, NO_LINE);
        return;
    };
    let expected_text = expected_content(f, pack, facts);
    let expected_hash = expected_text
        .as_ref()
        .map(|t| sha256_hex(t.as_bytes()))
        .or_else(|| f.content_hash.as_ref().map(|h| h.hex().to_string()));
    let has_content = expected_hash.is_some();
    match (f.state, obs) {
        (PathState::Absent, PathObs::Missing) => {}
        (PathState::Absent, PathObs::Present { kind, .. }) => unexpected(out, item, *kind),
        (PathState::Present, PathObs::Missing) => out.push(
            MismatchType::MissingFile,
            ItemCategory::Files,
            item,
            MismatchExpected {
                exists: Some(true),
                mode: f.mode.map(|m| m.to_string()),
                hash: expected_hash,
                ..Default::default()
            },
            MismatchActual {
                exists: Some(false),
                ..Default::default()
            },
            None,
        ),
        (
            PathState::Present,
            PathObs::Present {
                kind,
                mode,
                owner,
                sha256,
                content,
                unreadable,
            },
        ) => {
            if has_content && *kind != FileType::File {
                wrong_type(out, item, FileType::File, *kind);
                return;
            }
            compare_attrs(
                out,
                item,
                f.mode,
                f.owner.as_ref(),
                *mode,
                owner.as_deref(),
                facts,
            );
            let Some(want) = expected_hash else { return };
            if *unreadable {
                out.error(
                    ItemCategory::Files,
                    item,
                    "the file is not readable by the SSH user",
                );
                return;
            }
            if sha256.as_deref() == Some(want.as_str()) {
                return;
            }
            let diff = match (content, &expected_text) {
                (Some(have), Some(want_text)) => match std::str::from_utf8(have) {
                    Ok(have_text) => Some(unified_diff(item, have_text, want_text)),
                    Err(_) => None,
                },
                _ => None,
            };
            out.push(
                MismatchType::WrongContent,
                ItemCategory::Files,
                item,
                MismatchExpected {
                    hash: Some(want),
                    ..Default::default()
                },
                MismatchActual {
                    hash: sha256.clone(),
                    ..Default::default()
                },
                diff,
            );
        }
    }
}

fn compare_dir(out: &mut Out, d: &DirItem, obs: Option<&PathObs>, facts: &Facts) {
    let item = d.path.as_str();
    let Some(obs) = obs else {
        out.error(ItemCategory::Files, item, NO_LINE);
        return;
    };
    match (d.state, obs) {
        (PathState::Absent, PathObs::Missing) => {}
        (PathState::Absent, PathObs::Present { kind, .. }) => unexpected(out, item, *kind),
        (PathState::Present, PathObs::Missing) => out.push(
            MismatchType::MissingFile,
            ItemCategory::Files,
            item,
            MismatchExpected {
                exists: Some(true),
                mode: d.mode.map(|m| m.to_string()),
                file_type: Some(FileType::Directory),
                ..Default::default()
            },
            MismatchActual {
                exists: Some(false),
                ..Default::default()
            },
            None,
        ),
        (
            PathState::Present,
            PathObs::Present {
                kind, mode, owner, ..
            },
        ) => {
            if *kind != FileType::Directory {
                wrong_type(out, item, FileType::Directory, *kind);
                return;
            }
            compare_attrs(
                out,
                item,
                d.mode,
                d.owner.as_ref(),
                *mode,
                owner.as_deref(),
                facts,
            );
        }
    }
}

/// Unified diff, host → pack, 3 lines of context.
pub fn unified_diff(path: &str, host: &str, pack: &str) -> String {
    similar::TextDiff::from_lines(host, pack)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{path} (host)"), &format!("{path} (pack)"))
        .to_string()
}

/// The value of `key` in config text: the last non-comment line that is
/// `key=value`, `key = value`, `key: value`, `key value` or
/// `export key=value`; surrounding quotes removed.
pub fn config_value(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let l = l.strip_prefix("export ").map(str::trim_start).unwrap_or(l);
        let Some(rest) = l.strip_prefix(key) else {
            continue;
        };
        let rest = if let Some(r) = rest.trim_start().strip_prefix(['=', ':']) {
            r
        } else if rest.starts_with([' ', '\t']) {
            rest
        } else {
            continue;
        };
        let v = rest.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v);
        found = Some(v.to_string());
    }
    found
}

/// The env var value between the script's `\x1e` markers: `None` if unset.
/// `Err` when the markers are missing (the shell failed).
pub fn env_value(raw: &[u8]) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(raw);
    let parts: Vec<&str> = text.split('\u{1e}').collect();
    let n = parts.len();
    if n < 4 {
        return Err("the login shell printed no value".into());
    }
    Ok((parts[n - 3] == "1").then(|| parts[n - 2].to_string()))
}

fn compare_setting(out: &mut Out, s: &SettingItem, obs: Option<&Option<Vec<u8>>>) {
    let item = s.key.as_str();
    let Some(obs) = obs else {
        out.error(ItemCategory::Settings, item, NO_LINE);
        return;
    };
    let actual: Option<String> = match (s.kind, obs) {
        (SettingType::EnvVar, Some(raw)) => match env_value(raw) {
            Ok(v) => v,
            Err(e) => {
                out.error(ItemCategory::Settings, item, e);
                return;
            }
        },
        (SettingType::Config, Some(raw)) => config_value(&String::from_utf8_lossy(raw), &s.key),
        (SettingType::Command, Some(raw)) => {
            Some(String::from_utf8_lossy(raw).trim_end().to_string())
        }
        (_, None) => None,
    };
    if actual.as_deref() != Some(s.expected.as_str()) {
        out.push(
            MismatchType::WrongSetting,
            ItemCategory::Settings,
            item,
            MismatchExpected {
                value: Some(s.expected.clone()),
                ..Default::default()
            },
            MismatchActual {
                value: actual,
                ..Default::default()
            },
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::loader::{PackSet, parse_pack, resolve_all};
    use crate::packs::report::{PkgObs, SvcObs};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn pack(yaml: &str, templates: &[(&str, &str)]) -> ResolvedPack {
        let dir = tempfile::tempdir().unwrap();
        for (n, t) in templates {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        let p = parse_pack("t", Path::new("t.yaml"), yaml, dir.path()).unwrap();
        let own = BTreeMap::from([("t".to_string(), p)]);
        let set = PackSet {
            resolved: resolve_all(&own).0,
            ..PackSet::default()
        };
        set.get("t").unwrap().clone()
    }

    fn facts() -> Facts {
        Facts {
            hostname: "nas".into(),
            user: "alice".into(),
            home: "/home/alice".into(),
        }
    }

    fn file(mode: u32, owner: &str, content: &str) -> Option<PathObs> {
        Some(PathObs::Present {
            kind: FileType::File,
            mode: Some(mode),
            owner: Some(owner.into()),
            sha256: Some(sha256_hex(content.as_bytes())),
            content: Some(content.as_bytes().to_vec()),
            unreadable: false,
        })
    }

    fn kinds(c: &Comparison) -> Vec<(MismatchType, &str)> {
        c.mismatches
            .iter()
            .map(|m| (m.kind, m.item.as_str()))
            .collect()
    }

    const FILES: &str = "name: T\nitems:\n  files:\n    - path: ~/.a\n      mode: \"0644\"\n      owner: \"{{user}}\"\n      content: \"one\\ntwo\\nthree\\n\"\n    - path: ~/.b\n      template: b.tmpl\n    - path: /etc/gone\n      state: absent\n    - path: ~/peer-style\n      mode: \"0775\"\n  directories:\n    - path: ~/bin\n      mode: \"0755\"\n";

    fn files_report() -> Report {
        Report {
            facts: facts(),
            files: vec![
                file(0o644, "alice:alice", "one\ntwo\nthree\n"),
                file(0o600, "alice:alice", "host nas user alice\n"),
                Some(PathObs::Missing),
                Some(PathObs::Present {
                    kind: FileType::Directory,
                    mode: Some(0o775),
                    owner: Some("alice:alice".into()),
                    sha256: None,
                    content: None,
                    unreadable: false,
                }),
            ],
            directories: vec![Some(PathObs::Present {
                kind: FileType::Directory,
                mode: Some(0o755),
                owner: Some("alice:alice".into()),
                sha256: None,
                content: None,
                unreadable: false,
            })],
            ..Report::default()
        }
    }

    #[test]
    fn a_matching_host_is_compliant() {
        let p = pack(FILES, &[("b.tmpl", "host {{hostname}} user {{ user }}\n")]);
        let c = compare(&p, &files_report());
        assert_eq!(c.mismatches, vec![]);
        assert!(c.is_compliant());
        assert_eq!((c.total_items, c.mismatched_items), (5, 0));
    }

    #[test]
    fn missing_files_and_directories() {
        let p = pack(FILES, &[("b.tmpl", "x\n")]);
        let mut r = files_report();
        r.files[0] = Some(PathObs::Missing);
        r.files[3] = Some(PathObs::Missing);
        r.directories[0] = Some(PathObs::Missing);
        r.files[1] = file(0o600, "alice:alice", "x\n");
        let c = compare(&p, &r);
        assert_eq!(
            kinds(&c),
            [
                (MismatchType::MissingFile, "~/.a"),
                (MismatchType::MissingFile, "~/peer-style"),
                (MismatchType::MissingFile, "~/bin"),
            ]
        );
        assert_eq!(c.mismatches[0].expected.mode.as_deref(), Some("0644"));
        assert_eq!(
            c.mismatches[0].expected.hash.as_deref(),
            Some(sha256_hex(b"one\ntwo\nthree\n").as_str())
        );
        assert_eq!(c.mismatches[0].actual.exists, Some(false));
        assert_eq!(
            c.mismatches[2].expected.file_type,
            Some(FileType::Directory)
        );
        assert_eq!(c.mismatched_items, 3);
    }

    #[test]
    fn changed_content_comes_with_a_unified_diff() {
        let p = pack(FILES, &[("b.tmpl", "host {{hostname}} user {{ user }}\n")]);
        let mut r = files_report();
        r.files[0] = file(0o644, "alice:alice", "one\nTWO\nthree\n");
        let c = compare(&p, &r);
        assert_eq!(kinds(&c), [(MismatchType::WrongContent, "~/.a")]);
        let m = &c.mismatches[0];
        assert_eq!(m.category, ItemCategory::Files);
        assert_eq!(
            m.actual.hash.as_deref(),
            Some(sha256_hex(b"one\nTWO\nthree\n").as_str())
        );
        assert_eq!(
            m.diff.as_deref(),
            Some("--- ~/.a (host)\n+++ ~/.a (pack)\n@@ -1,3 +1,3 @@\n one\n-TWO\n+two\n three\n")
        );
        // A template rendered for another host differs.
        let mut r = files_report();
        r.facts.hostname = "pi".into();
        let c = compare(&p, &r);
        assert_eq!(kinds(&c), [(MismatchType::WrongContent, "~/.b")]);
        assert!(
            c.mismatches[0]
                .diff
                .as_deref()
                .unwrap()
                .contains("-host nas user alice\n+host pi user alice\n")
        );
        // Binary content: no diff, still a mismatch.
        let mut r = files_report();
        r.files[0] = Some(PathObs::Present {
            kind: FileType::File,
            mode: Some(0o644),
            owner: Some("alice:alice".into()),
            sha256: Some(sha256_hex(&[0xff, 0x00])),
            content: Some(vec![0xff, 0x00]),
            unreadable: false,
        });
        let c = compare(&p, &r);
        assert_eq!(kinds(&c), [(MismatchType::WrongContent, "~/.a")]);
        assert_eq!(c.mismatches[0].diff, None);
    }

    #[test]
    fn mode_owner_type_and_absent_state() {
        let p = pack(FILES, &[("b.tmpl", "host {{hostname}} user {{ user }}\n")]);
        let mut r = files_report();
        r.files[0] = file(0o664, "root:alice", "one\ntwo\nthree\n");
        r.files[2] = file(0o644, "root:root", "");
        r.directories[0] = file(0o755, "alice:alice", "");
        let c = compare(&p, &r);
        assert_eq!(
            kinds(&c),
            [
                (MismatchType::WrongPermissions, "~/.a"),
                (MismatchType::WrongOwner, "~/.a"),
                (MismatchType::UnexpectedFile, "/etc/gone"),
                (MismatchType::WrongType, "~/bin"),
            ]
        );
        assert_eq!(c.mismatches[0].expected.mode.as_deref(), Some("0644"));
        assert_eq!(c.mismatches[0].actual.mode.as_deref(), Some("0664"));
        assert_eq!(c.mismatches[1].expected.owner.as_deref(), Some("alice"));
        assert_eq!(c.mismatches[1].actual.owner.as_deref(), Some("root:alice"));
        assert_eq!(c.mismatched_items, 3);
    }

    #[test]
    fn packages_missing_and_below_minimum_by_dpkg_ordering() {
        let p = pack(
            "name: T\nitems:\n  packages:\n    - name: curl\n      min_version: \"7.88.1-10\"\n    - name: git\n      min_version: \"1:2.30\"\n    - name: jq\n    - name: tmux\n      min_version: \"3.3a-3\"\n",
            &[],
        );
        let pkg = |s: &str, v: Option<&str>| {
            Some(PkgObs {
                status: s.into(),
                version: v.map(str::to_string),
            })
        };
        let r = Report {
            packages: vec![
                pkg("installed", Some("7.88.1-10+deb12u5")),
                // An epoch outranks any upstream version.
                pkg("installed", Some("2.39.2-1.1")),
                pkg("not-installed", None),
                pkg("installed", Some("3.3a-3~bpo11+1")),
            ],
            ..Report::default()
        };
        let c = compare(&p, &r);
        assert_eq!(
            kinds(&c),
            [
                (MismatchType::WrongVersion, "git"),
                (MismatchType::MissingPackage, "jq"),
                (MismatchType::WrongVersion, "tmux"),
            ]
        );
        assert_eq!(
            c.mismatches[0].expected.min_version.as_deref(),
            Some("1:2.30")
        );
        assert_eq!(
            c.mismatches[0].actual.version.as_deref(),
            Some("2.39.2-1.1")
        );
        assert_eq!(c.mismatches[1].actual.installed, Some(false));
        assert_eq!(c.mismatches[1].category, ItemCategory::Packages);
    }

    #[test]
    fn settings_of_each_kind() {
        let p = pack(
            "name: T\nitems:\n  settings:\n    - key: EDITOR\n      expected: vim\n      type: env_var\n    - key: PAGER\n      expected: less\n      type: env_var\n    - key: PasswordAuthentication\n      expected: \"no\"\n      type: config\n      file: /etc/ssh/sshd_config\n    - key: timezone\n      expected: Europe/London\n      type: command\n    - key: HISTSIZE\n      expected: \"5000\"\n      type: config\n      file: ~/.bashrc\n",
            &[],
        );
        let r = Report {
            settings: vec![
                Some(Some(b"noise\x1e1\x1evim\x1e".to_vec())),
                Some(Some(b"\x1e\x1e\x1e".to_vec())),
                Some(Some(
                    b"# PasswordAuthentication no\nPasswordAuthentication yes\n".to_vec(),
                )),
                Some(Some(b"Europe/London\n".to_vec())),
                Some(None),
            ],
            ..Report::default()
        };
        let c = compare(&p, &r);
        assert_eq!(
            kinds(&c),
            [
                (MismatchType::WrongSetting, "PAGER"),
                (MismatchType::WrongSetting, "PasswordAuthentication"),
                (MismatchType::WrongSetting, "HISTSIZE"),
            ]
        );
        assert_eq!(c.mismatches[0].actual.value, None);
        assert_eq!(c.mismatches[1].actual.value.as_deref(), Some("yes"));
        assert_eq!(c.mismatches[1].expected.value.as_deref(), Some("no"));
    }

    #[test]
    fn config_values_in_common_syntaxes() {
        let text = "# c\nA=1\nB = \"two\"\nC: 3\nD 4\nexport E='five'\nAB=no\nA=6\n";
        assert_eq!(config_value(text, "A").as_deref(), Some("6"));
        assert_eq!(config_value(text, "B").as_deref(), Some("two"));
        assert_eq!(config_value(text, "C").as_deref(), Some("3"));
        assert_eq!(config_value(text, "D").as_deref(), Some("4"));
        assert_eq!(config_value(text, "E").as_deref(), Some("five"));
        assert_eq!(config_value(text, "F"), None);
        assert_eq!(env_value(b"x\x1e1\x1e\x1e").unwrap().as_deref(), Some(""));
        assert!(env_value(b"garbage").is_err());
    }

    #[test]
    fn services_and_unreported_items() {
        let p = pack(
            "name: T\nitems:\n  services:\n    - name: ssh\n      enabled: true\n      running: true\n    - name: cups\n      enabled: false\n  packages:\n    - name: curl\n",
            &[],
        );
        let r = Report {
            services: vec![
                Some(SvcObs {
                    enabled: "enabled".into(),
                    active: "inactive".into(),
                }),
                None,
            ],
            packages: vec![None],
            errors: vec!["the report is truncated after line 9 (no `END` line)".into()],
            ..Report::default()
        };
        let c = compare(&p, &r);
        assert_eq!(
            kinds(&c),
            [
                (MismatchType::CheckError, "curl"),
                (MismatchType::WrongService, "ssh"),
                (MismatchType::CheckError, "cups"),
                (MismatchType::CheckError, "check report"),
            ]
        );
        assert_eq!(c.mismatches[1].actual.running, Some(false));
        assert!(
            c.mismatches[3]
                .actual
                .error
                .as_deref()
                .unwrap()
                .contains("truncated")
        );
        assert_eq!(c.mismatched_items, 3);
    }
}
