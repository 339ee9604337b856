//! Parsing what the check script printed. Defensive: the input is whatever
//! came back over SSH (truncated output, a noisy shell, a broken tool), so
//! nothing here panics; a line that cannot be read becomes an error naming
//! its line number, and items without a line are reported by the compare.
//!
//! ```text
//! HLC-PACK-CHECK 1
//! FACT  <user|home|hostname>  <base64>
//! F|D   <idx>  0                                     (missing)
//! F|D   <idx>  1  <f|d|l|o>  <mode>  <user:group>  <sha256|-|unreadable>  <b:base64|->
//! P     <idx>  <installed|not-installed|config-files|...|no-dpkg>  <version|->
//! S     <idx>  <b:base64|->
//! V     <idx>  <is-enabled word>  <is-active word>
//! END
//! ```

use base64::Engine as _;

use super::template::Facts;

/// First line of every report (the check script prints it first).
pub const HEADER: &str = "HLC-PACK-CHECK 1";
/// Last line of a complete report.
pub const FOOTER: &str = "END";

/// What kind of filesystem object a path is: the wire enum (a `symlink`
/// is one whose target does not exist; others report what they point to).
pub use homelabcmd_protocol::packs::FileType;

/// A path as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathObs {
    Missing,
    Present {
        kind: FileType,
        mode: Option<u32>,
        owner: Option<String>,
        /// sha256 hex of a readable regular file.
        sha256: Option<String>,
        /// The whole content, when small and not the expected hash.
        content: Option<Vec<u8>>,
        unreadable: bool,
    },
}

/// A package as dpkg knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgObs {
    /// dpkg's status word: `installed`, `not-installed`, `config-files`,
    /// `half-installed`, ... or `no-dpkg`.
    pub status: String,
    pub version: Option<String>,
}

/// A service as systemd reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvcObs {
    /// `systemctl is-enabled` (`enabled`, `disabled`, `masked`, ...).
    pub enabled: String,
    /// `systemctl is-active` (`active`, `inactive`, `failed`, ...).
    pub active: String,
}

/// Everything one report said. `None` entries got no line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub facts: Facts,
    pub files: Vec<Option<PathObs>>,
    pub directories: Vec<Option<PathObs>>,
    pub packages: Vec<Option<PkgObs>>,
    /// Raw bytes: the setting's source (file text, command output, or the
    /// marker-fenced env output). `Some(None)`: the file is not there.
    pub settings: Vec<Option<Option<Vec<u8>>>>,
    pub services: Vec<Option<SvcObs>>,
    /// Lines that could not be read, with their line numbers.
    pub errors: Vec<String>,
}

/// How many items of each kind the pack has (the report is indexed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: usize,
    pub directories: usize,
    pub packages: usize,
    pub settings: usize,
    pub services: usize,
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// `b:<base64>` → bytes, `-` → `None`; `Err` for anything else.
fn content_field(s: &str) -> Result<Option<Vec<u8>>, String> {
    if s == "-" {
        return Ok(None);
    }
    match s.strip_prefix("b:") {
        Some(b) => b64(b).map(Some).ok_or_else(|| "bad base64".to_string()),
        None => Err(format!("expected `b:<base64>` or `-`, got `{}`", clip(s))),
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

fn word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|c| c.is_ascii_graphic())
}

/// Parse a report for a pack with `counts` items.
pub fn parse(stdout: &[u8], counts: Counts) -> Report {
    let mut r = Report {
        files: vec![None; counts.files],
        directories: vec![None; counts.directories],
        packages: vec![None; counts.packages],
        settings: vec![None; counts.settings],
        services: vec![None; counts.services],
        ..Report::default()
    };
    let text = String::from_utf8_lossy(stdout);
    let mut started = false;
    let mut ended = false;
    let mut last = 0;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        last = n;
        if !started {
            // Anything a shell start-up file printed comes before the header.
            if line == HEADER {
                started = true;
            }
            continue;
        }
        if ended {
            r.errors
                .push(format!("report line {n}: text after {FOOTER}"));
            continue;
        }
        if line == FOOTER {
            ended = true;
            continue;
        }
        if let Err(e) = parse_line(line, &mut r) {
            r.errors
                .push(format!("report line {n}: {e}: `{}`", clip(line)));
        }
    }
    if !started {
        r.errors.push(format!(
            "the check script printed no `{HEADER}` line ({last} lines of output)"
        ));
    } else if !ended {
        r.errors.push(format!(
            "the report is truncated after line {last} (no `{FOOTER}` line)"
        ));
    }
    r
}

fn slot<'a, T>(v: &'a mut [Option<T>], idx: &str, what: &str) -> Result<&'a mut Option<T>, String> {
    let i: usize = idx
        .parse()
        .map_err(|_| format!("bad {what} index `{}`", clip(idx)))?;
    let len = v.len();
    let s = v
        .get_mut(i)
        .ok_or_else(|| format!("{what} index {i} out of range (pack has {len})"))?;
    if s.is_some() {
        return Err(format!("{what} {i} reported twice"));
    }
    Ok(s)
}

fn parse_line(line: &str, r: &mut Report) -> Result<(), String> {
    let f: Vec<&str> = line.split('\t').collect();
    match f[0] {
        "FACT" => {
            let [_, name, value] = f[..] else {
                return Err("FACT needs 3 fields".into());
            };
            let v = b64(value).ok_or("bad base64")?;
            let v = String::from_utf8_lossy(&v)
                .trim_end_matches('\n')
                .to_string();
            match name {
                "user" => r.facts.user = v,
                "home" => r.facts.home = v,
                "hostname" => r.facts.hostname = v,
                _ => return Err(format!("unknown fact `{}`", clip(name))),
            }
        }
        tag @ ("F" | "D") => {
            let obs = parse_path(tag, &f)?;
            let list = if tag == "F" {
                &mut r.files
            } else {
                &mut r.directories
            };
            *slot(list, f[1], if tag == "F" { "file" } else { "directory" })? = Some(obs);
        }
        "P" => {
            let [_, idx, status, version] = f[..] else {
                return Err(format!("P line has {} fields", f.len()));
            };
            if !word(status) || !word(version) {
                return Err("bad package status or version".into());
            }
            let obs = PkgObs {
                status: status.to_string(),
                version: (version != "-").then(|| version.to_string()),
            };
            *slot(&mut r.packages, idx, "package")? = Some(obs);
        }
        "S" => {
            let [_, idx, value] = f[..] else {
                return Err(format!("S line has {} fields", f.len()));
            };
            let v = content_field(value)?;
            *slot(&mut r.settings, idx, "setting")? = Some(v);
        }
        "V" => {
            let [_, idx, enabled, active] = f[..] else {
                return Err(format!("V line has {} fields", f.len()));
            };
            if !word(enabled) || !word(active) {
                return Err("bad service state".into());
            }
            let obs = SvcObs {
                enabled: enabled.to_string(),
                active: active.to_string(),
            };
            *slot(&mut r.services, idx, "service")? = Some(obs);
        }
        other => return Err(format!("unknown tag `{}`", clip(other))),
    }
    Ok(())
}

/// The fields of an `F` (file) or `D` (directory) line: missing, or what
/// is at the path.
fn parse_path(tag: &str, f: &[&str]) -> Result<PathObs, String> {
    let obs = match f[..] {
        [_, _, "0"] => PathObs::Missing,
        [_, _, "1", kind, mode, owner, hash, content] => {
            let kind = match kind {
                "f" => FileType::File,
                "d" => FileType::Directory,
                "l" => FileType::Symlink,
                "o" => FileType::Other,
                _ => return Err(format!("unknown file type `{}`", clip(kind))),
            };
            let mode = match mode {
                "-" => None,
                m => Some(
                    u32::from_str_radix(m, 8)
                        .ok()
                        .filter(|v| *v <= 0o7777)
                        .ok_or_else(|| format!("bad mode `{}`", clip(m)))?,
                ),
            };
            let owner = (owner != "-").then(|| owner.to_string());
            if owner.as_deref().is_some_and(|o| !word(o)) {
                return Err("bad owner".into());
            }
            let unreadable = hash == "unreadable";
            let sha256 = match hash {
                "-" | "unreadable" => None,
                h if h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()) => {
                    Some(h.to_ascii_lowercase())
                }
                h => return Err(format!("bad sha256 `{}`", clip(h))),
            };
            PathObs::Present {
                kind,
                mode,
                owner,
                sha256,
                content: content_field(content)?,
                unreadable,
            }
        }
        _ => return Err(format!("{tag} line has {} fields", f.len())),
    };
    Ok(obs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Counts {
        Counts {
            files: 2,
            directories: 1,
            packages: 2,
            settings: 1,
            services: 1,
        }
    }

    const GOOD: &str = "noise from .profile\nHLC-PACK-CHECK 1\n\
FACT\tuser\tYWxpY2UK\nFACT\thome\tL2hvbWUvYWxpY2U=\nFACT\thostname\tbmFzCg==\n\
F\t0\t1\tf\t644\talice:alice\te3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\tb:\n\
F\t1\t0\n\
D\t0\t1\td\t755\talice:alice\t-\t-\n\
P\t0\tinstalled\t7.88.1-10+deb12u5\n\
P\t1\tnot-installed\t-\n\
S\t0\tb:aGVsbG8=\n\
V\t0\tenabled\tactive\n\
END\n";

    #[test]
    fn a_complete_report_parses() {
        let r = parse(GOOD.as_bytes(), counts());
        assert_eq!(r.errors, Vec::<String>::new());
        assert_eq!(r.facts.user, "alice");
        assert_eq!(r.facts.home, "/home/alice");
        assert_eq!(r.facts.hostname, "nas");
        assert!(matches!(
            &r.files[0],
            Some(PathObs::Present { kind: FileType::File, mode: Some(0o644), content: Some(c), .. }) if c.is_empty()
        ));
        assert_eq!(r.files[1], Some(PathObs::Missing));
        assert_eq!(
            r.packages[0].as_ref().unwrap().version.as_deref(),
            Some("7.88.1-10+deb12u5")
        );
        assert_eq!(r.packages[1].as_ref().unwrap().status, "not-installed");
        assert_eq!(r.settings[0], Some(Some(b"hello".to_vec())));
        assert_eq!(r.services[0].as_ref().unwrap().active, "active");
    }

    #[test]
    fn truncation_is_an_error_and_keeps_what_came() {
        let cut = &GOOD[..GOOD.find("P\t1").unwrap()];
        let r = parse(cut.as_bytes(), counts());
        assert_eq!(r.packages[0].as_ref().unwrap().status, "installed");
        assert!(r.packages[1].is_none());
        assert!(
            r.errors.iter().any(|e| e.contains("truncated")),
            "{:?}",
            r.errors
        );
        // Cut in the middle of a line.
        let mid = &GOOD[..GOOD.find("alice:alice\te3b").unwrap() + 5];
        let r = parse(mid.as_bytes(), counts());
        assert!(r.files[0].is_none());
        assert!(
            r.errors.iter().any(|e| e.contains("report line 6")),
            "{:?}",
            r.errors
        );
    }

    #[test]
    fn garbage_never_panics_and_names_the_line() {
        let cases = [
            "",
            "HLC-PACK-CHECK 1\nF\t99\t0\nEND\n",
            "HLC-PACK-CHECK 1\nF\t-1\t0\nEND\n",
            "HLC-PACK-CHECK 1\nF\t0\t1\tz\t644\ta:b\t-\t-\nEND\n",
            "HLC-PACK-CHECK 1\nF\t0\t1\tf\t999\ta:b\t-\t-\nEND\n",
            "HLC-PACK-CHECK 1\nF\t0\t1\tf\t644\ta:b\txyz\t-\nEND\n",
            "HLC-PACK-CHECK 1\nF\t0\t1\tf\t644\ta:b\t-\tb:!!!\nEND\n",
            "HLC-PACK-CHECK 1\nP\t0\n\nEND\n",
            "HLC-PACK-CHECK 1\nS\t0\tnot-b64\nEND\n",
            "HLC-PACK-CHECK 1\nFACT\tuser\t%%%\nEND\n",
            "HLC-PACK-CHECK 1\nQ\t0\nEND\n",
            "HLC-PACK-CHECK 1\nF\t0\t0\nF\t0\t0\nEND\n",
            "HLC-PACK-CHECK 1\nEND\nextra\n",
            "HLC-PACK-CHECK 1\nV\t0\ta b\tc\nEND\n",
            "\u{0}\u{1}\t\t\t\n\u{ff}",
        ];
        for c in cases {
            let r = parse(c.as_bytes(), counts());
            assert!(!r.errors.is_empty(), "no error for {c:?}");
        }
        let r = parse(b"HLC-PACK-CHECK 1\nF\t0\t0\nQ\tjunk\nEND\n", counts());
        assert_eq!(r.files[0], Some(PathObs::Missing));
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0].starts_with("report line 3: unknown tag `Q`"),
            "{:?}",
            r.errors
        );
        // Invalid UTF-8 bytes are replaced, not fatal.
        let mut bytes = b"HLC-PACK-CHECK 1\nF\t0\t0\n".to_vec();
        bytes.extend([0xff, 0xfe, b'\n']);
        bytes.extend(b"END\n");
        let r = parse(&bytes, counts());
        assert_eq!(r.files[0], Some(PathObs::Missing));
        assert_eq!(r.errors.len(), 1);
    }
}
