//! The commands that carry out a [`Plan`](super::plan::Plan) step or a
//! removal on a host: pure, no I/O. Each is a fixed `sh -c` script; every
//! value from the pack (paths, modes, owners, keys, values, package names)
//! is a separate positional argument (quoted by the SSH layer), and file
//! content travels on stdin, so nothing a pack says is ever parsed as shell.

use std::time::Duration;

use super::plan::{BACKUP_SUFFIX, PlannedPackage, Step};

/// A command for the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStep {
    /// What the audit trail shows (never file content).
    pub label: String,
    pub argv: Vec<String>,
    pub stdin: Option<Vec<u8>>,
    pub sudo: bool,
    pub timeout: Duration,
}

/// `$0` of every script (what `ps` shows on the host).
const ARG0: &str = "homelabcmd-apply";
const FILE_TIMEOUT: Duration = Duration::from_secs(30);
/// apt can take a while on a Raspberry Pi.
const APT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// `$1` path, `$2` mode or `-`, `$3` owner or `-`, `$4` expected sha256 or
/// `-` (file must be missing). Content on stdin. Prints the backup path.
const WRITE_FILE: &str = r#"set -eu
p=$1 mode=$2 owner=$3 expect=$4
d=$(dirname -- "$p")
[ -d "$d" ] || mkdir -p -- "$d"
have=-
if [ -f "$p" ]; then have=$(sha256sum < "$p" | cut -d' ' -f1)
elif [ -e "$p" ] || [ -L "$p" ]; then have=not-a-file; fi
if [ "$have" != "$expect" ]; then
  if [ "$expect" = - ]; then echo "$p appeared on the host since the check" >&2
  else echo "$p changed on the host since the check" >&2; fi
  exit 3
fi
b=-
if [ "$have" != - ]; then
  b="$p__BAK__"
  [ -e "$b" ] || [ -L "$b" ] || cp -p -- "$p" "$b"
fi
t=$(mktemp -- "$d/.homelabcmd.XXXXXX")
trap 'rm -f -- "$t"' EXIT
cat > "$t"
if [ "$mode" != - ]; then chmod -- "$mode" "$t"
elif [ "$have" != - ]; then chmod --reference="$p" -- "$t"
else chmod 0644 -- "$t"; fi
if [ "$owner" != - ]; then chown -- "$owner" "$t"
elif [ "$have" != - ]; then chown --reference="$p" -- "$t" 2>/dev/null || true; fi
mv -f -- "$t" "$p"
trap - EXIT
printf 'backup\t%s\n' "$b"
"#;

/// `$1` path, `$2` mode or `-`, `$3` owner or `-`.
const SET_ATTRS: &str = r#"set -eu
[ -e "$1" ] || { echo "$1 is missing" >&2; exit 3; }
if [ "$2" != - ]; then chmod -- "$2" "$1"; fi
if [ "$3" != - ]; then chown -- "$3" "$1"; fi
"#;

/// `$1` path, `$2` mode or `-`, `$3` owner or `-`.
const MAKE_DIR: &str = r#"set -eu
mkdir -p -- "$1"
if [ "$2" != - ]; then chmod -- "$2" "$1"; fi
if [ "$3" != - ]; then chown -- "$3" "$1"; fi
"#;

/// `$1` path: moved to its backup (kept if one exists: then deleted).
const REMOVE_PATH: &str = r#"set -eu
p=$1 b="$1__BAK__"
if [ ! -e "$p" ] && [ ! -L "$p" ]; then exit 0; fi
if [ -e "$b" ] || [ -L "$b" ]; then
  if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p"; else rm -f -- "$p"; fi
  printf 'backup\t-\n'
else
  mv -- "$p" "$b"
  printf 'backup\t%s\n' "$b"
fi
"#;

/// The login profile bash reads first (what the check's `bash -l` sees).
const PROFILE: &str = r#"pf="$HOME/.profile"
if command -v bash >/dev/null 2>&1; then
  for f in .bash_profile .bash_login .profile; do
    if [ -e "$HOME/$f" ]; then pf="$HOME/$f"; break; fi
  done
fi
"#;

/// `$1` key, `$2` value or empty to remove. Rewrites the managed block of
/// the login profile atomically; the first change backs the profile up.
const ENV_BLOCK: &str = r#"set -eu
__PROFILE__
begin='# >>> homelabcmd: managed by HomelabCmd, changes here are overwritten >>>'
end='# <<< homelabcmd <<<'
touch -- "$pf"
t=$(mktemp -- "$pf.homelabcmd.XXXXXX")
trap 'rm -f -- "$t"' EXIT
q=$(printf '%s' "$2" | sed "s/'/'\\\\''/g")
line=
[ -n "$2" ] && line="export $1='$q'"
awk -v begin="$begin" -v end="$end" -v key="$1" -v line="$line" '
  $0 == begin { inblock = 1; seen = 1; print; next }
  inblock && $0 == end {
    if (line != "") print line
    inblock = 0; print; next
  }
  inblock && index($0, "export " key "=") == 1 { next }
  { print }
  END {
    if (!seen && line != "") { print ""; print begin; print line; print end }
  }
' "$pf" > "$t"
if cmp -s "$t" "$pf"; then exit 0; fi
[ -e "$pf__BAK__" ] || cp -p -- "$pf" "$pf__BAK__"
chmod --reference="$pf" -- "$t"
mv -f -- "$t" "$pf"
trap - EXIT
"#;

/// `$1` path: restored from its backup, else deleted. Prints what it did.
const RESTORE_OR_DELETE: &str = r#"set -eu
p=$1 b="$1__BAK__"
if [ -e "$b" ] || [ -L "$b" ]; then
  mv -f -- "$b" "$p"; printf 'restored\t%s\n' "$b"
elif [ -e "$p" ] || [ -L "$p" ]; then
  rm -f -- "$p"; printf 'deleted\t-\n'
else
  printf 'absent\t-\n'
fi
"#;

/// `$1` path: restored from its backup if there is one; else left alone.
const RESTORE_ONLY: &str = r#"set -eu
p=$1 b="$1__BAK__"
if [ -e "$b" ] || [ -L "$b" ]; then
  mv -f -- "$b" "$p"; printf 'restored\t%s\n' "$b"
else
  printf 'kept\t-\n'
fi
"#;

const APT_ENV: &str = "DEBIAN_FRONTEND=noninteractive";

fn script(body: &str) -> String {
    body.replace("__BAK__", BACKUP_SUFFIX)
        .replace("__PROFILE__", PROFILE.trim_end())
}

fn sh(body: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec![
        "sh".to_string(),
        "-c".to_string(),
        script(body),
        ARG0.to_string(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_else(|| "-".into())
}

/// The command for a plan step; `None` for a manual item.
pub fn for_step(step: &Step) -> Option<RemoteStep> {
    let sudo = step.needs_sudo();
    Some(match step {
        Step::WriteFile {
            item,
            path,
            content,
            mode,
            owner,
            expect_sha,
            ..
        } => RemoteStep {
            label: format!("write {item}"),
            argv: sh(
                WRITE_FILE,
                &[
                    path,
                    &opt(mode.map(|m| m.to_string())),
                    &opt(owner.clone()),
                    &opt(expect_sha.clone()),
                ],
            ),
            stdin: Some(content.clone()),
            sudo,
            timeout: FILE_TIMEOUT,
        },
        Step::SetAttrs {
            item,
            path,
            mode,
            owner,
            ..
        } => RemoteStep {
            label: format!("set attributes of {item}"),
            argv: sh(
                SET_ATTRS,
                &[path, &opt(mode.map(|m| m.to_string())), &opt(owner.clone())],
            ),
            stdin: None,
            sudo,
            timeout: FILE_TIMEOUT,
        },
        Step::MakeDir {
            item,
            path,
            mode,
            owner,
            ..
        } => RemoteStep {
            label: format!("create directory {item}"),
            argv: sh(
                MAKE_DIR,
                &[path, &opt(mode.map(|m| m.to_string())), &opt(owner.clone())],
            ),
            stdin: None,
            sudo,
            timeout: FILE_TIMEOUT,
        },
        Step::RemovePath { item, path, .. } => RemoteStep {
            label: format!("remove {item}"),
            argv: sh(REMOVE_PATH, &[path]),
            stdin: None,
            sudo,
            timeout: FILE_TIMEOUT,
        },
        Step::InstallPackages(ps) => install_packages(ps, sudo),
        Step::SetEnv { key, value } => RemoteStep {
            label: format!("set {key} in the login profile"),
            argv: sh(ENV_BLOCK, &[key, value]),
            stdin: None,
            sudo,
            timeout: FILE_TIMEOUT,
        },
        Step::Service {
            name,
            enable,
            start,
        } => service(name, *enable, *start, &step.done_action(), sudo),
        Step::Manual { .. } => return None,
    })
}

/// One `apt-get install` of every package, non-interactive, keeping the
/// host's changed config files.
fn install_packages(ps: &[PlannedPackage], sudo: bool) -> RemoteStep {
    let mut argv: Vec<String> = [
        "env",
        APT_ENV,
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "--",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(ps.iter().map(|p| p.name.clone()));
    RemoteStep {
        label: format!(
            "apt-get install {}",
            ps.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        argv,
        stdin: None,
        sudo,
        timeout: APT_TIMEOUT,
    }
}

/// `systemctl enable/disable` then `start/stop`, only the changes asked
/// for; `action` names them for the label.
fn service(
    name: &str,
    enable: Option<bool>,
    start: Option<bool>,
    action: &str,
    sudo: bool,
) -> RemoteStep {
    let mut body = String::from(
        "set -eu\ncommand -v systemctl >/dev/null 2>&1 || { echo 'systemctl is not available on the host' >&2; exit 3; }\n",
    );
    match enable {
        Some(true) => body.push_str("systemctl enable -- \"$1\"\n"),
        Some(false) => body.push_str("systemctl disable -- \"$1\"\n"),
        None => {}
    }
    match start {
        Some(true) => body.push_str("systemctl start -- \"$1\"\n"),
        Some(false) => body.push_str("systemctl stop -- \"$1\"\n"),
        None => {}
    }
    RemoteStep {
        label: format!("systemctl {action} {name}"),
        argv: sh(&body, &[name]),
        stdin: None,
        sudo,
        timeout: Duration::from_secs(120),
    }
}

/// The command that undoes a managed file: restore its backup, else
/// delete it. `path` absolute.
pub fn restore_or_delete(item: &str, path: &str, sudo: bool) -> RemoteStep {
    RemoteStep {
        label: format!("remove {item}"),
        argv: sh(RESTORE_OR_DELETE, &[path]),
        stdin: None,
        sudo,
        timeout: FILE_TIMEOUT,
    }
}

/// The command that puts a file's backup back (a config setting's file);
/// without a backup the file is left as it is. `path` absolute.
pub fn restore_backup(key: &str, path: &str, sudo: bool) -> RemoteStep {
    RemoteStep {
        label: format!("restore the file of {key}"),
        argv: sh(RESTORE_ONLY, &[path]),
        stdin: None,
        sudo,
        timeout: FILE_TIMEOUT,
    }
}

/// The command that drops an environment variable from the managed block.
pub fn unset_env(key: &str) -> RemoteStep {
    RemoteStep {
        label: format!("remove {key} from the login profile"),
        argv: sh(ENV_BLOCK, &[key, ""]),
        stdin: None,
        sudo: false,
        timeout: FILE_TIMEOUT,
    }
}

/// The backup path a write or removal reported (`backup\t<path>` or
/// `restored\t<path>`); `None` for `-`.
pub fn reported_backup(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().rev().find(|l| l.contains('\t'))?;
    let (_, path) = line.split_once('\t')?;
    (path != "-" && !path.is_empty()).then(|| path.to_string())
}

/// The first word of a removal's report: `restored`, `deleted`, `absent`.
pub fn reported_action(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().rev().find(|l| l.contains('\t'))?;
    line.split_once('\t').map(|(a, _)| a.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::plan::{Plan, plan, preview};
    use crate::packs::{ResolvedPack, check_script, compare, report};
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::Path;
    use std::process::{Command, Stdio};

    fn pack(yaml: &str) -> ResolvedPack {
        crate::packs::loader::test_pack(yaml)
    }

    /// Run argv locally (as the test user: sudo is the SSH layer's job).
    fn run(step: &RemoteStep, home: &Path) -> std::process::Output {
        let mut child = Command::new(&step.argv[0])
            .args(&step.argv[1..])
            .env("HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        if let Some(data) = &step.stdin {
            stdin.write_all(data).unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    }

    fn check(p: &ResolvedPack, home: &Path) -> (report::Report, crate::packs::Comparison) {
        let out = Command::new("sh")
            .args(["-c", &check_script::build(p)])
            .env("HOME", home)
            .output()
            .unwrap();
        let r = report::parse(&out.stdout, p.counts());
        let c = compare(p, &r);
        (r, c)
    }

    fn apply(plan: &Plan, home: &Path) -> Vec<(String, bool, Option<String>)> {
        plan.steps
            .iter()
            .filter_map(|s| for_step(s).map(|r| (s, r)))
            .map(|(s, r)| {
                let out = run(&r, home);
                (
                    s.items()[0].1.clone(),
                    out.status.success(),
                    if out.status.success() {
                        reported_backup(&out.stdout)
                    } else {
                        Some(String::from_utf8_lossy(&out.stderr).into_owned())
                    },
                )
            })
            .collect()
    }

    fn has_sha256sum() -> bool {
        Command::new("sh")
            .args(["-c", "command -v sha256sum && command -v awk"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    }

    /// Check → plan → apply (the real scripts in a real `sh`) → check
    /// again: compliant, and a second plan is empty. Names with quotes
    /// and `$(...)` stay inert.
    #[test]
    fn apply_makes_the_host_compliant_and_a_second_plan_is_empty() {
        if !has_sha256sum() {
            panic!("sha256sum and awk are needed (coreutils, mawk)");
        }
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::write(h.join(".profile"), "# profile\n").unwrap();
        std::fs::write(h.join("edited"), "one\ntwo\n").unwrap();
        std::fs::write(h.join("loose"), "same\n").unwrap();
        std::fs::set_permissions(h.join("loose"), std::fs::Permissions::from_mode(0o666)).unwrap();
        std::fs::write(h.join("gone"), "unwanted\n").unwrap();
        std::fs::write(h.join("app.conf"), "# app\nlevel = debug\nother: 1\n").unwrap();
        let yaml = "name: T\nitems:\n  directories:\n    - path: ~/d/sub\n      mode: \"0750\"\n  files:\n    - path: \"~/d/sub/it's $(touch pwned)\"\n      mode: \"0600\"\n      content: \"new\\n\"\n    - path: ~/edited\n      content: \"one\\nTWO\\n\"\n    - path: ~/loose\n      mode: \"0644\"\n      content: \"same\\n\"\n    - path: ~/gone\n      state: absent\n  settings:\n    - key: level\n      expected: info\n      type: config\n      file: ~/app.conf\n    - key: HLC_APPLY_TEST\n      expected: \"it's on\"\n      type: env_var\n";
        let p = pack(yaml);
        let (report, verdict) = check(&p, h);
        assert!(!verdict.is_compliant());
        let todo = plan(&p, &report, &verdict);
        let pv = preview("m", &p, &todo);
        assert_eq!(
            pv.summary,
            "Will write 2 files, create 1 directory, fix permissions of 1 path, remove 1 path and set 2 settings"
        );
        assert_eq!(pv.total_items, 7);
        let results = apply(&todo, h);
        for (item, ok, detail) in &results {
            assert!(ok, "{item}: {detail:?}");
        }
        assert!(!h.join("pwned").exists());
        // Backups of what was replaced or removed, none for new files.
        assert_eq!(
            std::fs::read_to_string(h.join("edited.homelabcmd.bak")).unwrap(),
            "one\ntwo\n"
        );
        assert_eq!(
            std::fs::read_to_string(h.join("gone.homelabcmd.bak")).unwrap(),
            "unwanted\n"
        );
        assert!(!h.join("gone").exists());
        assert_eq!(
            std::fs::read_to_string(h.join("app.conf")).unwrap(),
            "# app\nlevel = info\nother: 1\n"
        );
        let mode = std::fs::metadata(h.join("d/sub/it's $(touch pwned)"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o600);
        let profile = std::fs::read_to_string(h.join(".profile")).unwrap();
        assert!(
            profile.contains("export HLC_APPLY_TEST='it'\\''s on'"),
            "{profile}"
        );

        let (report2, verdict2) = check(&p, h);
        assert!(verdict2.is_compliant(), "{:#?}", verdict2.mismatches);
        assert!(plan(&p, &report2, &verdict2).is_empty());
        assert_eq!(
            preview("m", &p, &Plan::default()).summary,
            "Nothing to change: the machine already matches the pack"
        );

        // Removal: backups come back, new files go, the env var leaves.
        for (item, path) in [
            ("~/edited", h.join("edited")),
            ("~/d/sub/x", h.join("d/sub/it's $(touch pwned)")),
        ] {
            let out = run(&restore_or_delete(item, path.to_str().unwrap(), false), h);
            assert!(out.status.success());
        }
        assert_eq!(
            std::fs::read_to_string(h.join("edited")).unwrap(),
            "one\ntwo\n"
        );
        assert!(!h.join("edited.homelabcmd.bak").exists());
        assert!(!h.join("d/sub/it's $(touch pwned)").exists());
        let out = run(&unset_env("HLC_APPLY_TEST"), h);
        assert!(out.status.success());
        let profile = std::fs::read_to_string(h.join(".profile")).unwrap();
        assert!(!profile.contains("HLC_APPLY_TEST"), "{profile}");
    }

    /// A file edited between the check and the write is not overwritten.
    #[test]
    fn a_file_changed_since_the_check_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::write(h.join("f"), "old\n").unwrap();
        let p = pack("name: T\nitems:\n  files:\n    - path: ~/f\n      content: \"new\\n\"\n");
        let (report, verdict) = check(&p, h);
        let todo = plan(&p, &report, &verdict);
        std::fs::write(h.join("f"), "edited meanwhile\n").unwrap();
        let results = apply(&todo, h);
        assert_eq!(results.len(), 1);
        assert!(!results[0].1);
        assert!(
            results[0]
                .2
                .as_deref()
                .unwrap()
                .contains("changed on the host since the check"),
            "{results:?}"
        );
        assert_eq!(
            std::fs::read_to_string(h.join("f")).unwrap(),
            "edited meanwhile\n"
        );
    }

    #[test]
    fn pack_values_are_arguments_never_script_text() {
        let step = Step::WriteFile {
            item: "/etc/x".into(),
            path: "/etc/$(reboot)".into(),
            content: b"`id`".to_vec(),
            mode: None,
            owner: Some("root".into()),
            expect_sha: None,
            diff: None,
            setting: None,
            sudo: true,
        };
        let r = for_step(&step).unwrap();
        assert_eq!(&r.argv[..2], ["sh", "-c"]);
        assert!(!r.argv[2].contains("reboot") && !r.argv[2].contains("`id`"));
        assert_eq!(r.argv[3], ARG0);
        assert_eq!(r.argv[4], "/etc/$(reboot)");
        assert!(r.sudo);
        assert!(!r.label.contains("`id`"));
        let apt = for_step(&Step::InstallPackages(vec![
            crate::packs::plan::PlannedPackage {
                name: "jq".into(),
                min_version: None,
                upgrade: false,
            },
        ]))
        .unwrap();
        assert_eq!(apt.argv.last().unwrap(), "jq");
        assert_eq!(apt.argv[apt.argv.len() - 2], "--");
        assert!(apt.sudo);
        assert_eq!(
            reported_backup(b"backup\t/x.homelabcmd.bak\n").as_deref(),
            Some("/x.homelabcmd.bak")
        );
        assert_eq!(reported_backup(b"backup\t-\n"), None);
        assert_eq!(
            reported_action(b"restored\t/b\n").as_deref(),
            Some("restored")
        );
    }
}
