//! The 30-item configuration pack of the `packs` benchmark and its Ansible
//! twin, both generated from one item list so they cannot drift apart: the
//! HomelabCmd pack (YAML for `HOMELAB_CMD_PACKS_DIR`), the equivalent
//! playbook (`copy` content + mode, `file` state=directory, `apt`
//! state=present, `lineinfile`), the Ansible inventory, and the host state
//! that makes some items non-compliant so both tools do real diff work.
//! Also the parser for `ansible-playbook`'s PLAY RECAP, to check that
//! Ansible saw exactly the differences HomelabCmd reported.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// How a managed file looks on the host before the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnHost {
    /// Content and mode as the pack says.
    Same,
    /// Not there.
    Missing,
    /// There, with the right mode but one line changed.
    Different,
    /// Right content, this mode instead.
    Mode(u32),
}

#[derive(Debug, Clone)]
pub struct FileSpec {
    /// File name inside the benchmark directory.
    pub name: String,
    pub mode: u32,
    pub content: String,
    pub on_host: OnHost,
}

#[derive(Debug, Clone)]
pub struct DirSpec {
    pub name: String,
    pub mode: u32,
    pub exists: bool,
}

/// A `key=value` line of [`Fixture::SETTINGS_FILE`].
#[derive(Debug, Clone)]
pub struct SettingSpec {
    pub key: String,
    pub expected: String,
    /// The value the host's file has.
    pub on_host: String,
}

/// The item list both tools check.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub files: Vec<FileSpec>,
    pub directories: Vec<DirSpec>,
    /// Debian package names (state present; no version).
    pub packages: Vec<String>,
    pub settings: Vec<SettingSpec>,
}

/// The pack's id (its file name without `.yaml`).
pub const PACK_ID: &str = "bench-30";

/// A JSON string literal, which is also a valid YAML double-quoted scalar
/// (paths, content and values are never interpolated into YAML raw).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

fn mode_text(mode: u32) -> String {
    format!("\"{mode:04o}\"")
}

/// Config-file-like text, about 600 bytes (no `{{`: Ansible would template it).
fn file_content(i: usize) -> String {
    let mut s = format!("# Managed by the HomelabCmd pack benchmark: file {i:02}\n");
    for line in 0..20 {
        let _ = writeln!(s, "option_{i:02}_{line:02} = value-{}", i * 31 + line);
    }
    s
}

impl Fixture {
    /// The file that holds the `config` settings (not itself a managed file).
    pub const SETTINGS_FILE: &'static str = "settings.conf";

    /// 16 files (10 right, 3 missing, 2 with other content, 1 with another
    /// mode), 6 directories (1 missing), 6 packages (`tree` is normally not
    /// installed), 2 settings (1 with another value): 30 items.
    pub fn standard() -> Fixture {
        let files = (0..16)
            .map(|i| FileSpec {
                name: format!("file-{i:02}.conf"),
                mode: [0o644, 0o600, 0o640][i % 3],
                content: file_content(i),
                on_host: match i {
                    10..=12 => OnHost::Missing,
                    13 | 14 => OnHost::Different,
                    15 => OnHost::Mode(0o664),
                    _ => OnHost::Same,
                },
            })
            .collect();
        let directories = (0..6)
            .map(|i| DirSpec {
                name: format!("dir-{i}"),
                mode: if i % 2 == 0 { 0o755 } else { 0o750 },
                exists: i != 5,
            })
            .collect();
        let packages = [
            "bash",
            "coreutils",
            "findutils",
            "openssh-server",
            "python3",
        ]
        .into_iter()
        .chain(["tree"])
        .map(String::from)
        .collect();
        let settings = vec![
            SettingSpec {
                key: "listen_port".into(),
                expected: "8080".into(),
                on_host: "8080".into(),
            },
            SettingSpec {
                key: "log_level".into(),
                expected: "info".into(),
                on_host: "debug".into(),
            },
        ];
        Fixture {
            files,
            directories,
            packages,
            settings,
        }
    }

    pub fn item_count(&self) -> usize {
        self.files.len() + self.directories.len() + self.packages.len() + self.settings.len()
    }

    /// Items that differ on the host, given which packages are missing
    /// there: what HomelabCmd reports as mismatches and what Ansible
    /// reports as changed tasks (all packages are one `apt` task).
    pub fn expected_differences(&self, missing_packages: usize) -> (usize, usize) {
        let files = self
            .files
            .iter()
            .filter(|f| f.on_host != OnHost::Same)
            .count();
        let dirs = self.directories.iter().filter(|d| !d.exists).count();
        let settings = self
            .settings
            .iter()
            .filter(|s| s.expected != s.on_host)
            .count();
        let base = files + dirs + settings;
        (
            base + missing_packages,
            base + usize::from(missing_packages > 0),
        )
    }

    /// How many of the packages dpkg does not report installed on this
    /// machine (the fleet's hosts are this machine); all of them without
    /// `dpkg-query`.
    pub fn missing_packages(&self) -> usize {
        self.packages
            .iter()
            .filter(|p| {
                std::process::Command::new("dpkg-query")
                    .args(["-W", "-f=${db:Status-Status}", p.as_str()])
                    .stderr(std::process::Stdio::null())
                    .output()
                    .map_or(true, |o| o.stdout != b"installed")
            })
            .count()
    }

    /// Lay the host state out under `root` (created if needed). Ownership
    /// is the caller's business (the SSH user must be able to read it).
    pub fn lay_out(&self, root: &Path) -> std::io::Result<()> {
        fs::create_dir_all(root)?;
        for f in &self.files {
            let path = root.join(&f.name);
            let _ = fs::remove_file(&path);
            let (content, mode) = match f.on_host {
                OnHost::Missing => continue,
                OnHost::Same => (f.content.clone(), f.mode),
                OnHost::Different => (f.content.replace("value-", "changed-"), f.mode),
                OnHost::Mode(m) => (f.content.clone(), m),
            };
            fs::write(&path, content)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        }
        for d in &self.directories {
            let path = root.join(&d.name);
            if d.exists {
                fs::create_dir_all(&path)?;
                fs::set_permissions(&path, fs::Permissions::from_mode(d.mode))?;
            } else if path.exists() {
                fs::remove_dir_all(&path)?;
            }
        }
        let mut text = String::from("# settings of the benchmark's application\n");
        for s in &self.settings {
            let _ = writeln!(text, "{}={}", s.key, s.on_host);
        }
        let path = root.join(Self::SETTINGS_FILE);
        fs::write(&path, text)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
    }

    /// The HomelabCmd pack (`<PACK_ID>.yaml`) for the state under `root`.
    pub fn pack_yaml(&self, root: &Path) -> String {
        let r = root.display();
        let mut y = String::from(
            "name: Benchmark pack (30 items)\n\
             description: The packs benchmark; the same items as its Ansible playbook\n\
             items:\n  files:\n",
        );
        for f in &self.files {
            let _ = write!(
                y,
                "    - path: {}\n      mode: {}\n      content: {}\n",
                q(&format!("{r}/{}", f.name)),
                mode_text(f.mode),
                q(&f.content)
            );
        }
        y.push_str("  directories:\n");
        for d in &self.directories {
            let _ = write!(
                y,
                "    - path: {}\n      mode: {}\n",
                q(&format!("{r}/{}", d.name)),
                mode_text(d.mode)
            );
        }
        y.push_str("  packages:\n");
        for p in &self.packages {
            let _ = writeln!(y, "    - name: {}", q(p));
        }
        y.push_str("  settings:\n");
        for s in &self.settings {
            let _ = write!(
                y,
                "    - key: {}\n      expected: {}\n      type: config\n      file: {}\n",
                q(&s.key),
                q(&s.expected),
                q(&format!("{r}/{}", Self::SETTINGS_FILE))
            );
        }
        y
    }

    /// The equivalent playbook: one task per file, directory and setting,
    /// one `apt` task for the packages (how a playbook is written; one
    /// module run instead of six is in Ansible's favour).
    pub fn playbook_yaml(&self, root: &Path, gather_facts: bool) -> String {
        let r = root.display();
        let mut y = format!(
            "- name: Benchmark pack (30 items)\n  hosts: fleet\n  gather_facts: {gather_facts}\n  tasks:\n"
        );
        for f in &self.files {
            let _ = write!(
                y,
                "    - name: {}\n      ansible.builtin.copy:\n        dest: {}\n        content: {}\n        mode: {}\n",
                q(&format!("file {}", f.name)),
                q(&format!("{r}/{}", f.name)),
                q(&f.content),
                mode_text(f.mode)
            );
        }
        for d in &self.directories {
            let _ = write!(
                y,
                "    - name: {}\n      ansible.builtin.file:\n        path: {}\n        state: directory\n        mode: {}\n",
                q(&format!("directory {}", d.name)),
                q(&format!("{r}/{}", d.name)),
                mode_text(d.mode)
            );
        }
        let names: Vec<String> = self.packages.iter().map(|p| q(p)).collect();
        let _ = write!(
            y,
            "    - name: packages\n      ansible.builtin.apt:\n        name: [{}]\n        state: present\n",
            names.join(", ")
        );
        for s in &self.settings {
            let _ = write!(
                y,
                "    - name: {}\n      ansible.builtin.lineinfile:\n        path: {}\n        regexp: {}\n        line: {}\n",
                q(&format!("setting {}", s.key)),
                q(&format!("{r}/{}", Self::SETTINGS_FILE)),
                q(&format!("^{}=", s.key)),
                q(&format!("{}={}", s.key, s.expected))
            );
        }
        y
    }
}

/// An INI inventory: group `fleet`, hosts `h0`.. at their addresses, logging
/// in as `user` with the key file; host keys are not checked (new on every
/// fleet start), Python is the system's.
pub fn inventory(addresses: &[String], user: &str, key_file: &Path) -> String {
    let mut s = String::from("[fleet]\n");
    for (i, a) in addresses.iter().enumerate() {
        let _ = writeln!(s, "h{i} ansible_host={a}");
    }
    let _ = write!(
        s,
        "\n[fleet:vars]\nansible_user={user}\nansible_ssh_private_key_file={}\n\
         ansible_python_interpreter=/usr/bin/python3\n\
         ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n",
        key_file.display()
    );
    s
}

/// One host's line of the PLAY RECAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recap {
    pub host: String,
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
}

/// The PLAY RECAP lines of `ansible-playbook` output (no colour), e.g.
/// `h0 : ok=26 changed=9 unreachable=0 failed=0 skipped=0 ...`.
pub fn parse_recap(output: &str) -> Vec<Recap> {
    let Some((_, recap)) = output.rsplit_once("PLAY RECAP") else {
        return Vec::new();
    };
    recap
        .lines()
        .filter_map(|line| {
            let (host, counts) = line.split_once(" : ")?;
            let mut r = Recap {
                host: host.trim().to_string(),
                ok: 0,
                changed: 0,
                unreachable: 0,
                failed: 0,
            };
            let mut seen = 0;
            for kv in counts.split_whitespace() {
                let Some((k, v)) = kv.split_once('=') else {
                    continue;
                };
                let Ok(v) = v.parse() else { continue };
                seen += 1;
                match k {
                    "ok" => r.ok = v,
                    "changed" => r.changed = v,
                    "unreachable" => r.unreachable = v,
                    "failed" => r.failed = v,
                    _ => {}
                }
            }
            (seen > 0 && !r.host.is_empty()).then_some(r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_fixture_has_thirty_items_and_nine_differences() {
        let f = Fixture::standard();
        assert_eq!(f.item_count(), 30);
        assert_eq!(f.expected_differences(1), (9, 9));
        assert_eq!(f.expected_differences(0), (8, 8));
        assert_eq!(f.expected_differences(2), (10, 9));
    }

    #[test]
    fn pack_and_playbook_name_the_same_paths_modes_and_values() {
        let f = Fixture::standard();
        let root = Path::new("/tmp/x y");
        let pack = f.pack_yaml(root);
        let book = f.playbook_yaml(root, true);
        for file in &f.files {
            let path = q(&format!("/tmp/x y/{}", file.name));
            assert!(pack.contains(&format!("path: {path}")), "{pack}");
            assert!(book.contains(&format!("dest: {path}")), "{book}");
            let content = format!("content: {}", q(&file.content));
            assert!(pack.contains(&content) && book.contains(&content));
        }
        assert_eq!(pack.matches("mode: \"0750\"").count(), 3);
        assert_eq!(book.matches("mode: \"0750\"").count(), 3);
        assert!(pack.contains("expected: \"info\""));
        assert!(book.contains("line: \"log_level=info\""));
        assert!(book.contains("name: [\"bash\", \"coreutils\", \"findutils\", \"openssh-server\", \"python3\", \"tree\"]"));
        assert!(book.contains("gather_facts: true"));
        assert!(f.playbook_yaml(root, false).contains("gather_facts: false"));
        // Content with quotes and newlines stays one JSON/YAML scalar.
        assert_eq!(q("a \"b\"\n"), r#""a \"b\"\n""#);
    }

    #[test]
    fn the_host_state_has_the_planned_differences() {
        let dir = std::env::temp_dir().join(format!("hlc-pack-fixture-{}", std::process::id()));
        let f = Fixture::standard();
        f.lay_out(&dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert!(!dir.join("file-10.conf").exists());
        assert_eq!(
            fs::read_to_string(dir.join("file-00.conf")).unwrap(),
            f.files[0].content
        );
        assert_ne!(
            fs::read_to_string(dir.join("file-13.conf")).unwrap(),
            f.files[13].content
        );
        assert_eq!(mode(&dir.join("file-15.conf")), 0o664);
        assert_eq!(mode(&dir.join("file-01.conf")), 0o600);
        assert_eq!(mode(&dir.join("dir-1")), 0o750);
        assert!(!dir.join("dir-5").exists());
        assert_eq!(
            fs::read_to_string(dir.join(Fixture::SETTINGS_FILE)).unwrap(),
            "# settings of the benchmark's application\nlisten_port=8080\nlog_level=debug\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The hub's own loader, check script and comparison, run locally: the
    /// pack loads with 30 items and reports exactly the planned differences.
    #[test]
    fn the_hub_finds_the_planned_differences_in_the_laid_out_state() {
        let base = std::env::temp_dir().join(format!("hlc-pack-check-{}", std::process::id()));
        let (root, packs) = (base.join("managed"), base.join("packs"));
        let f = Fixture::standard();
        f.lay_out(&root).unwrap();
        fs::create_dir_all(&packs).unwrap();
        fs::write(packs.join(format!("{PACK_ID}.yaml")), f.pack_yaml(&root)).unwrap();
        let set = homelabcmd_core::packs::load_dir(&packs);
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let pack = set.get(PACK_ID).expect("pack loaded");
        let script = homelabcmd_core::packs::check_script::build(pack);
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        let c = homelabcmd_core::packs::evaluate(pack, &out.stdout);
        fs::remove_dir_all(&base).unwrap();
        assert_eq!(c.total_items, 30);
        let expected = f.expected_differences(f.missing_packages()).0;
        assert_eq!(c.mismatched_items, expected, "{:#?}", c.mismatches);
        assert_eq!(c.mismatches.len(), expected, "{:#?}", c.mismatches);
    }

    #[test]
    fn inventory_lists_every_host_with_the_shared_vars() {
        let inv = inventory(
            &["10.1.0.2".into(), "10.1.1.2".into()],
            "homelabcmd",
            Path::new("/k/client_key"),
        );
        assert!(inv.starts_with("[fleet]\nh0 ansible_host=10.1.0.2\nh1 ansible_host=10.1.1.2\n"));
        assert!(inv.contains("ansible_ssh_private_key_file=/k/client_key\n"));
        assert!(inv.contains("ansible_user=homelabcmd\n"));
    }

    #[test]
    fn recap_lines_are_parsed_and_noise_is_ignored() {
        let out = "TASK [x] ***\nok: [h0]\n\nPLAY RECAP *********************\n\
                   h0                         : ok=26   changed=9    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   \n\
                   h1                         : ok=1    changed=0    unreachable=1    failed=2    skipped=0\n\n";
        assert_eq!(
            parse_recap(out),
            [
                Recap {
                    host: "h0".into(),
                    ok: 26,
                    changed: 9,
                    unreachable: 0,
                    failed: 0
                },
                Recap {
                    host: "h1".into(),
                    ok: 1,
                    changed: 0,
                    unreachable: 1,
                    failed: 2
                },
            ]
        );
        assert!(parse_recap("ERROR! no playbook").is_empty());
    }
}
