//! The one shell script a compliance check runs on a host (`sh -c`), built
//! from a resolved pack. It only reads, and prints one tab-separated line
//! per item (see [`super::report`] for the format). Every path, package and
//! service name is single-quoted with [`shell_quote`]; free text (file
//! content, setting values) only ever comes back base64-encoded.

use crate::shell::shell_quote;

use super::loader::ResolvedPack;
use super::model::{PackPath, SettingItem, SettingType, setting_command};
use super::report::{FOOTER, HEADER};

/// Files up to this size come back whole when their hash is not the
/// expected one (so the hub can diff them); larger ones only by hash.
pub const MAX_CONTENT_BYTES: u64 = 64 * 1024;

/// Helper functions every script starts with. `$1` tag, `$2` index, `$3`
/// path, `$4` expected sha256 (or `-`: always send small content).
///
/// Process starts are most of a check's time on a small host, so [`build`]
/// runs one `stat` over every path, one `sha256sum --tag` over every file
/// and one `dpkg-query` over every package first, and the per-item
/// functions look their lines up with shell builtins (a path the batch did
/// not answer for, such as one with a backslash, falls back to its own
/// `stat`/`sha256sum`).
const PRELUDE: &str = r#"export LC_ALL=C
tab=$(printf '\t')
nl='
'
hlc_stats= hlc_sums=
hlc_b64() { base64 | tr -d '\n'; }
# hlc_find HAYSTACK KEY: the rest of the line after "<newline>KEY" in
# HAYSTACK, in hlc_v (builtins only: no process per lookup).
hlc_find() {
  case "$1" in
    *"$nl$2"*) hlc_v=${1#*"$nl$2"}; hlc_v=${hlc_v%%"$nl"*}; return 0 ;;
  esac
  return 1
}
hlc_path() {
  if [ -e "$3" ] || [ -L "$3" ]; then
    m=- o=- h=- c=- s=0
    if [ -L "$3" ] && [ ! -e "$3" ]; then t=l
    else
      if [ -d "$3" ]; then t=d; elif [ -f "$3" ]; then t=f; else t=o; fi
      if hlc_find "$hlc_stats" "$3$tab"; then st=$hlc_v
      else st=$(stat -L -c '%a %U:%G %s' -- "$3" 2>/dev/null) || st=; fi
      if [ -n "$st" ]; then m=${st%% *}; st=${st#* }; o=${st%% *}; s=${st#* }; fi
    fi
    if [ "$t" = f ]; then
      if [ -r "$3" ]; then
        if hlc_find "$hlc_sums" "SHA256 ($3) = "; then h=$hlc_v
        else h=$(sha256sum < "$3"); h=${h%% *}; fi
        if [ "$h" != "$4" ] && [ "$s" -le __MAX__ ]; then c=b:$(hlc_b64 < "$3"); fi
      else h=unreadable; fi
    fi
    printf '%s\t%s\t1\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$t" "$m" "$o" "$h" "$c"
  else
    printf '%s\t%s\t0\n' "$1" "$2"
  fi
}
hlc_pkg() {
  if [ -z "$hlc_dpkg" ]; then printf 'P\t%s\tno-dpkg\t-\n' "$1"; return; fi
  r=
  while IFS="$tab" read -r n st v; do
    if [ "$n" = "$2" ]; then r=$st$tab${v:--}; break; fi
  done <<HLC_PKGS
$hlc_pkgs
HLC_PKGS
  printf 'P\t%s\t%s\n' "$1" "${r:-not-installed$tab-}"
}
hlc_svc() {
  if command -v systemctl >/dev/null 2>&1; then
    e=$(systemctl is-enabled "$2" 2>/dev/null | head -n 1)
    a=$(systemctl is-active "$2" 2>/dev/null | head -n 1)
  else
    e=no-systemd a=no-systemd
  fi
  printf 'V\t%s\t%s\t%s\n' "$1" "${e:-unknown}" "${a:-unknown}"
}
hlc_file_text() {
  if [ -r "$2" ] && [ -f "$2" ]; then
    printf 'S\t%s\tb:%s\n' "$1" "$(head -c 65536 "$2" | hlc_b64)"
  else
    printf 'S\t%s\t-\n' "$1"
  fi
}
"#;

/// A path as a shell word: `~/x` becomes `"$HOME"/'x'`.
pub fn shell_path(path: &PackPath) -> String {
    match path.as_str().strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", shell_quote(rest)),
        None => shell_quote(path.as_str()),
    }
}

/// Expected sha256 hex of inline content (templates depend on the host,
/// so they always come back as content when small).
fn expected_hash(f: &super::model::FileItem) -> String {
    if let Some(c) = &f.content {
        return super::compare::sha256_hex(c.as_bytes());
    }
    if let Some(h) = &f.content_hash {
        return h.hex().to_string();
    }
    "-".to_string()
}

/// The check script for `pack`.
pub fn build(pack: &ResolvedPack) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str(&PRELUDE.replace("__MAX__", &MAX_CONTENT_BYTES.to_string()));
    s.push_str(&format!("printf '%s\\n' {}\n", shell_quote(HEADER)));
    s.push_str("printf 'FACT\\tuser\\t%s\\n' \"$(id -un | hlc_b64)\"\n");
    s.push_str("printf 'FACT\\thome\\t%s\\n' \"$(printf %s \"$HOME\" | hlc_b64)\"\n");
    s.push_str(
        "printf 'FACT\\thostname\\t%s\\n' \"$(cat /proc/sys/kernel/hostname 2>/dev/null | hlc_b64)\"\n",
    );
    let items = &pack.items;
    let paths: Vec<String> = items
        .files
        .iter()
        .map(|f| shell_path(&f.path))
        .chain(items.directories.iter().map(|d| shell_path(&d.path)))
        .collect();
    if !paths.is_empty() {
        // A leading newline so every entry, the first included, is found
        // as "<newline><path><tab>".
        s.push_str(&format!(
            "hlc_stats=$nl$(stat -L --printf '%n\\t%a %U:%G %s\\n' -- {} 2>/dev/null)\n",
            paths.join(" ")
        ));
    }
    let files: Vec<String> = items
        .files
        .iter()
        .filter(|f| f.state == super::model::PathState::Present)
        .map(|f| shell_path(&f.path))
        .collect();
    if !files.is_empty() {
        s.push_str(&format!(
            "hlc_sums=$nl$(sha256sum --tag -- {} 2>/dev/null)\n",
            files.join(" ")
        ));
    }
    for (i, f) in items.files.iter().enumerate() {
        s.push_str(&format!(
            "hlc_path F {i} {} {}\n",
            shell_path(&f.path),
            shell_quote(&expected_hash(f))
        ));
    }
    for (i, d) in items.directories.iter().enumerate() {
        s.push_str(&format!("hlc_path D {i} {} -\n", shell_path(&d.path)));
    }
    if !items.packages.is_empty() {
        // One dpkg-query for every package: `${Package}` is the bare name
        // (a multi-arch package may answer once per architecture; the
        // first line wins). Unknown names only print to stderr.
        let names: Vec<String> = items
            .packages
            .iter()
            .map(|p| shell_quote(p.name.as_str()))
            .collect();
        s.push_str(&format!(
            "hlc_dpkg=; hlc_pkgs=\nif command -v dpkg-query >/dev/null 2>&1; then hlc_dpkg=1\n  hlc_pkgs=$(dpkg-query -W -f='${{Package}}\\t${{db:Status-Status}}\\t${{Version}}\\n' -- {} 2>/dev/null)\nfi\n",
            names.join(" ")
        ));
    }
    for (i, p) in items.packages.iter().enumerate() {
        s.push_str(&format!("hlc_pkg {i} {}\n", shell_quote(p.name.as_str())));
    }
    for (i, set) in items.settings.iter().enumerate() {
        s.push_str(&setting_line(i, set));
    }
    for (i, v) in items.services.iter().enumerate() {
        s.push_str(&format!("hlc_svc {i} {}\n", shell_quote(v.name.as_str())));
    }
    s.push_str(&format!("printf '%s\\n' {FOOTER}\n"));
    s
}

/// The line that reads one setting: the login environment, a config
/// file's text, or a whitelisted command's output.
fn setting_line(i: usize, set: &SettingItem) -> String {
    match set.kind {
        SettingType::EnvVar => {
            // The login environment (/etc/profile, ~/.profile): what a
            // new session sees. Markers fence the value from anything
            // the profile prints; `+1` tells unset from empty.
            let inner = format!(
                "printf '\\036%s\\036%s\\036' \"${{{k}+1}}\" \"${{{k}-}}\"",
                k = set.key
            );
            format!(
                "if command -v bash >/dev/null 2>&1; then hlc_sh=bash; else hlc_sh=sh; fi\n\
                 printf 'S\\t%s\\tb:%s\\n' {i} \"$($hlc_sh -l -c {} </dev/null 2>/dev/null | hlc_b64)\"\n",
                shell_quote(&inner)
            )
        }
        SettingType::Config => {
            let file = set
                .file
                .as_ref()
                .map(shell_path)
                .unwrap_or_else(|| "''".into());
            format!("hlc_file_text {i} {file}\n")
        }
        SettingType::Command => {
            // Only fixed text from the whitelist reaches the shell.
            let cmd = setting_command(&set.key).unwrap_or("false");
            format!(
                "printf 'S\\t%s\\tb:%s\\n' {i} \"$( ( {cmd} ) 2>/dev/null </dev/null | head -c 4096 | hlc_b64)\"\n"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::compare::sha256_hex;
    use homelabcmd_protocol::packs::MismatchType;
    use std::os::unix::fs::PermissionsExt as _;
    use std::process::Command;

    fn pack(yaml: &str) -> ResolvedPack {
        crate::packs::loader::test_pack(yaml)
    }

    #[test]
    fn home_paths_expand_and_everything_else_is_quoted() {
        let p = PackPath::parse("~/it's $(id)").unwrap();
        assert_eq!(shell_path(&p), "\"$HOME\"/'it'\\''s $(id)'");
        let p = PackPath::parse("/etc/a b").unwrap();
        assert_eq!(shell_path(&p), "'/etc/a b'");
    }

    /// The real script in a real `sh` against a scratch HOME: proves the
    /// shell side and the parser agree, nasty names included.
    #[test]
    fn the_script_runs_in_sh_and_its_report_parses() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::write(h.join(".a"), "one\ntwo\n").unwrap();
        std::fs::set_permissions(h.join(".a"), std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::write(h.join("it's $(touch pwned)"), "same\n").unwrap();
        std::fs::create_dir(h.join("bin")).unwrap();
        std::fs::write(h.join("cfg"), "Key = value\n").unwrap();
        let yaml = format!(
            "name: T\nitems:\n  files:\n    - path: ~/.a\n      mode: \"0644\"\n      content: \"one\\nTWO\\n\"\n    - path: \"~/it's $(touch pwned)\"\n      content: \"same\\n\"\n    - path: ~/missing\n  directories:\n    - path: ~/bin\n  packages:\n    - name: dpkg\n    - name: hlc-no-such-package\n  settings:\n    - key: Key\n      expected: value\n      type: config\n      file: ~/cfg\n    - key: HLC_TEST_UNSET_VAR\n      expected: x\n      type: env_var\n    - key: kernel\n      expected: \"{}\"\n      type: command\n",
            String::from_utf8(Command::new("uname").arg("-r").output().unwrap().stdout)
                .unwrap()
                .trim()
        );
        let p = pack(&yaml);
        let script = build(&p);
        let out = Command::new("sh")
            .args(["-c", &script])
            .env("HOME", h)
            .current_dir(h)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = crate::packs::report::parse(&out.stdout, p.counts());
        assert_eq!(
            report.errors,
            Vec::<String>::new(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(report.facts.home, h.to_string_lossy());
        assert!(!h.join("pwned").exists());
        let c = crate::packs::compare(&p, &report);
        let kinds: Vec<_> = c
            .mismatches
            .iter()
            .map(|m| (m.kind, m.item.as_str()))
            .collect();
        let has_dpkg = Command::new("sh")
            .args(["-c", "command -v dpkg-query"])
            .status()
            .unwrap()
            .success();
        let mut want = vec![
            (MismatchType::WrongPermissions, "~/.a"),
            (MismatchType::WrongContent, "~/.a"),
            (MismatchType::MissingFile, "~/missing"),
        ];
        if has_dpkg {
            want.push((MismatchType::MissingPackage, "hlc-no-such-package"));
        } else {
            want.push((MismatchType::CheckError, "dpkg"));
            want.push((MismatchType::CheckError, "hlc-no-such-package"));
        }
        want.push((MismatchType::WrongSetting, "HLC_TEST_UNSET_VAR"));
        assert_eq!(kinds, want);
        let diff = c.mismatches[1].diff.as_deref().unwrap();
        assert!(diff.contains("-two\n+TWO\n"), "{diff}");
        assert_eq!(
            c.mismatches[1].actual.hash.as_deref(),
            Some(sha256_hex(b"one\ntwo\n").as_str())
        );
    }
}
