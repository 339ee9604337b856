//! Loading a packs directory: parse each `*.yaml`, check what one field
//! cannot check alone (duplicates, templates, setting kinds), then resolve
//! `extends` chains. A bad pack is reported with `file:line:column` and
//! skipped; the others still load.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::model::{Items, PackDoc, PathState, SettingItem, SettingType, setting_command};
use super::template;

/// Name of the templates directory inside a packs directory.
pub const TEMPLATES_DIR: &str = "templates";

/// One problem with one pack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackError {
    pub file: PathBuf,
    /// 1-based, when known.
    pub line: Option<usize>,
    /// 1-based, when known.
    pub column: Option<usize>,
    /// The field, as a path such as `items.files[2].mode`, when known.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A pack file that parsed and passed its own checks.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPack {
    /// File name without `.yaml`: the id used by `extends` and the API.
    pub id: String,
    pub source: PathBuf,
    pub doc: PackDoc,
    pub modified: Option<DateTime<Utc>>,
    /// Templates this pack's own files use: name → text.
    pub templates: BTreeMap<String, String>,
}

/// A pack with its `extends` chain merged in.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPack {
    pub id: String,
    pub name: String,
    pub description: String,
    pub version: Option<u32>,
    pub extends: Option<String>,
    /// Ids from the root ancestor to this pack.
    pub chain: Vec<String>,
    /// Parent items first; a child item with the same path / name / key
    /// replaces the parent's in place.
    pub items: Items,
    /// Every template the merged items use.
    pub templates: BTreeMap<String, String>,
}

/// Every loadable pack of a directory, and what failed.
#[derive(Debug, Clone, Default)]
pub struct PackSet {
    pub dir: PathBuf,
    pub own: BTreeMap<String, LoadedPack>,
    pub resolved: BTreeMap<String, ResolvedPack>,
    pub errors: Vec<PackError>,
}

impl PackSet {
    pub fn get(&self, id: &str) -> Option<&ResolvedPack> {
        self.resolved.get(id)
    }
}

/// Load every `*.yaml` / `*.yml` file of `dir` (not recursive). A missing
/// directory is one error, not a panic.
pub fn load_dir(dir: &Path) -> PackSet {
    let mut set = PackSet {
        dir: dir.to_path_buf(),
        ..PackSet::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            set.errors.push(PackError {
                file: dir.to_path_buf(),
                line: None,
                column: None,
                field: None,
                message: format!("cannot read packs directory: {e}"),
            });
            return set;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let templates_dir = dir.join(TEMPLATES_DIR);
    for file in files {
        let id = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                set.errors
                    .push(err(&file, None, None, format!("cannot read: {e}")));
                continue;
            }
        };
        let modified = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from);
        match parse_pack(&id, &file, &text, &templates_dir) {
            Ok(mut pack) => {
                pack.modified = modified;
                match set.own.entry(id) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        set.errors.push(err(
                            &file,
                            None,
                            None,
                            format!("another file already defines pack `{}`", e.key()),
                        ));
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(pack);
                    }
                }
            }
            Err(errors) => set.errors.extend(errors),
        }
    }
    let (resolved, errors) = resolve_all(&set.own);
    set.resolved = resolved;
    set.errors.extend(errors);
    set
}

fn err(file: &Path, field: Option<&str>, at: Option<(usize, usize)>, message: String) -> PackError {
    PackError {
        file: file.to_path_buf(),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        field: field.map(str::to_string),
        message,
    }
}

/// Turn a yaml_serde error into a [`PackError`]: its location, and the
/// field path it starts its message with (`items.files[0]: ...`).
fn yaml_error(file: &Path, e: &yaml_serde::Error) -> PackError {
    let mut message = e.to_string();
    let loc = e.location();
    if let Some(l) = &loc {
        let suffix = format!(" at line {} column {}", l.line(), l.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_string();
        }
    }
    let mut field = None;
    if let Some((head, rest)) = message.split_once(": ")
        && !head.contains(' ')
        && (head.contains('.')
            || head.contains('[')
            || head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        field = Some(head.to_string());
        message = rest.to_string();
    }
    PackError {
        file: file.to_path_buf(),
        line: loc.as_ref().map(|l| l.line()),
        column: loc.as_ref().map(|l| l.column()),
        field,
        message,
    }
}

/// The errors found in one pack file, each naming its field and, where
/// the YAML shows it, its location.
struct PackErrors<'a> {
    file: &'a Path,
    /// The file's text, to locate values found bad after deserializing.
    text: &'a str,
    list: Vec<PackError>,
}

impl PackErrors<'_> {
    fn push(&mut self, field: &str, at: Option<(usize, usize)>, message: String) {
        self.list.push(err(self.file, Some(field), at, message));
    }
}

/// Parse one pack file and check it on its own (not its parents).
pub fn parse_pack(
    id: &str,
    file: &Path,
    text: &str,
    templates_dir: &Path,
) -> Result<LoadedPack, Vec<PackError>> {
    check_id(id, file).map_err(|e| vec![e])?;
    let doc: PackDoc = yaml_serde::from_str(text).map_err(|e| vec![yaml_error(file, &e)])?;
    let mut errors = PackErrors {
        file,
        text,
        list: Vec::new(),
    };
    check_header(&doc, id, &mut errors);
    check_unique_paths(&doc.items, &mut errors);
    let templates = check_files(&doc.items, templates_dir, &mut errors);
    check_unique_packages(&doc.items, &mut errors);
    check_settings(&doc.items, &mut errors);
    check_unique_services(&doc.items, &mut errors);
    if !errors.list.is_empty() {
        return Err(errors.list);
    }
    Ok(LoadedPack {
        id: id.to_string(),
        source: file.to_path_buf(),
        doc,
        modified: None,
        templates,
    })
}

/// The id is the file name, used in URLs and `extends`.
fn check_id(id: &str, file: &Path) -> Result<(), PackError> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
    {
        return Err(err(
            file,
            None,
            None,
            format!("pack id `{id}` (the file name) must be lowercase letters, digits, `-` or `_`"),
        ));
    }
    Ok(())
}

/// A name to show, and no pack extending itself (longer cycles are found
/// when resolving).
fn check_header(doc: &PackDoc, id: &str, errors: &mut PackErrors) {
    let text = errors.text;
    if doc.name.trim().is_empty() {
        errors.push(
            "name",
            locate(text, "name", None, 0),
            "must not be empty".into(),
        );
    }
    if doc.extends.as_deref() == Some(id) {
        errors.push(
            "extends",
            locate(text, "extends", Some(id), 0),
            format!("extends cycle: {id} -> {id}"),
        );
    }
}

/// Paths are unique across files and directories.
fn check_unique_paths(items: &Items, errors: &mut PackErrors) {
    let text = errors.text;
    let mut seen_paths: BTreeMap<&str, usize> = BTreeMap::new();
    let paths = items
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (format!("items.files[{i}]"), f.path.as_str()))
        .chain(
            items
                .directories
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("items.directories[{i}]"), d.path.as_str())),
        );
    for (field, path) in paths {
        let n = seen_paths.entry(path).or_insert(0);
        *n += 1;
        if *n > 1 {
            errors.push(
                &format!("{field}.path"),
                locate(text, "path", Some(path), *n - 1),
                format!("duplicate path `{path}` (each path may appear once per pack)"),
            );
        }
    }
}

/// Files: at most one content source, none for an absent file, and
/// templates that exist and render. Returns the templates read: name →
/// text.
fn check_files(
    items: &Items,
    templates_dir: &Path,
    errors: &mut PackErrors,
) -> BTreeMap<String, String> {
    let text = errors.text;
    let mut templates = BTreeMap::new();
    for (i, f) in items.files.iter().enumerate() {
        let field = format!("items.files[{i}]");
        let sources = [
            f.content.is_some(),
            f.template.is_some(),
            f.content_hash.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if sources > 1 {
            errors.push(
                &field,
                locate(text, "path", Some(f.path.as_str()), 0),
                "give at most one of `content`, `template` and `content_hash`".into(),
            );
        }
        if f.state == PathState::Absent && sources > 0 {
            errors.push(
                &format!("{field}.state"),
                locate(text, "path", Some(f.path.as_str()), 0),
                "a file with `state: absent` has no content".into(),
            );
        }
        if let Some(t) = &f.template
            && let Some(body) = read_template(t.as_str(), &field, templates_dir, errors)
        {
            templates.insert(t.as_str().to_string(), body);
        }
    }
    templates
}

/// A file's template: read from `templates_dir`, UTF-8, and valid
/// template syntax (an error there points into the template file).
fn read_template(
    name: &str,
    field: &str,
    templates_dir: &Path,
    errors: &mut PackErrors,
) -> Option<String> {
    let at = locate(errors.text, "template", Some(name), 0);
    let path = templates_dir.join(name);
    match std::fs::read(&path) {
        Err(e) => errors.push(
            &format!("{field}.template"),
            at,
            format!("template `{}` not found ({e})", path.display()),
        ),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(_) => errors.push(
                &format!("{field}.template"),
                at,
                format!("template `{}` is not UTF-8 text", path.display()),
            ),
            Ok(body) => match template::check(&body) {
                Err((line, col, msg)) => errors.list.push(err(
                    &path,
                    Some(&format!("{field}.template")),
                    Some((line, col)),
                    msg,
                )),
                Ok(()) => return Some(body),
            },
        },
    }
    None
}

fn check_unique_packages(items: &Items, errors: &mut PackErrors) {
    let text = errors.text;
    let mut names = HashSet::new();
    for (i, p) in items.packages.iter().enumerate() {
        if !names.insert(p.name.as_str()) {
            errors.push(
                &format!("items.packages[{i}].name"),
                locate(text, "name", Some(p.name.as_str()), 1),
                format!("duplicate package `{}`", p.name),
            );
        }
    }
}

/// Settings: a key that fits their kind, `file` only (and always) for
/// config lines, and each (kind, key, file) once.
fn check_settings(items: &Items, errors: &mut PackErrors) {
    let text = errors.text;
    let file = errors.file;
    let mut keys = HashSet::new();
    for (i, s) in items.settings.iter().enumerate() {
        let field = format!("items.settings[{i}]");
        let at = locate(text, "key", Some(&s.key), 0);
        let mut bad = |f: &str, m: String| {
            errors
                .list
                .push(err(file, Some(&format!("{field}.{f}")), at, m));
        };
        check_setting_kind(s, &mut bad);
        if s.kind != SettingType::Config && s.file.is_some() {
            bad("file", "`file` is only for `type: config`".into());
        }
        let identity = (s.kind, s.key.clone(), s.file.clone());
        if !keys.insert(identity) {
            bad("key", format!("duplicate setting `{}`", s.key));
        }
    }
}

/// What each kind of setting asks of its key (and file).
fn check_setting_kind(s: &SettingItem, bad: &mut impl FnMut(&str, String)) {
    match s.kind {
        SettingType::EnvVar => {
            if !is_env_name(&s.key) {
                bad(
                    "key",
                    format!("`{}` is not an environment variable name", s.key),
                );
            }
        }
        SettingType::Config => {
            if s.file.is_none() {
                bad("file", "a `type: config` setting needs `file`".into());
            }
            if s.key.is_empty() || s.key.chars().any(|c| c.is_whitespace() || c == '=') {
                bad("key", format!("config key `{}` must be one word", s.key));
            }
        }
        SettingType::Command => {
            if setting_command(&s.key).is_none() {
                let known: Vec<&str> = super::model::SETTING_COMMANDS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect();
                bad(
                    "key",
                    format!(
                        "`{}` is not a whitelisted command (one of: {})",
                        s.key,
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

fn check_unique_services(items: &Items, errors: &mut PackErrors) {
    let text = errors.text;
    let mut services = HashSet::new();
    for (i, s) in items.services.iter().enumerate() {
        if !services.insert(s.name.as_str()) {
            errors.push(
                &format!("items.services[{i}].name"),
                locate(text, "name", Some(s.name.as_str()), 1),
                format!("duplicate service `{}`", s.name),
            );
        }
    }
}

fn is_env_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Where the `nth` (0-based) `key: value` line is in `text` (1-based line
/// and the value's column), for errors found after deserializing. `value`
/// `None` matches any value. Quotes around the value are ignored.
pub fn locate(text: &str, key: &str, value: Option<&str>, nth: usize) -> Option<(usize, usize)> {
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let trimmed = trimmed
            .strip_prefix("- ")
            .map(str::trim_start)
            .unwrap_or(trimmed);
        let Some(rest) = trimmed.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let v = rest.trim();
        let v = v.split(" #").next().unwrap_or(v).trim();
        let unquoted = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v);
        if value.is_none_or(|want| unquoted == want) {
            if count == nth {
                let col = line.len() - rest.trim_start().len() + 1;
                return Some((i + 1, col));
            }
            count += 1;
        }
    }
    None
}

/// Resolve every pack's `extends` chain. Packs whose chain is broken
/// (missing parent, cycle, a parent that failed) are left out with an error.
pub fn resolve_all(
    own: &BTreeMap<String, LoadedPack>,
) -> (BTreeMap<String, ResolvedPack>, Vec<PackError>) {
    let mut resolved = BTreeMap::new();
    let mut errors = Vec::new();
    for (id, pack) in own {
        match chain_of(own, id) {
            Ok(chain) => {
                resolved.insert(id.clone(), merge(own, &chain));
            }
            Err(message) => {
                let text = std::fs::read_to_string(&pack.source).unwrap_or_default();
                errors.push(err(
                    &pack.source,
                    Some("extends"),
                    locate(&text, "extends", None, 0),
                    message,
                ));
            }
        }
    }
    (resolved, errors)
}

/// The ids from the root ancestor down to `id`, or why there is none.
fn chain_of(own: &BTreeMap<String, LoadedPack>, id: &str) -> Result<Vec<String>, String> {
    let mut chain = vec![id.to_string()];
    let mut current = id;
    while let Some(parent) = own.get(current).and_then(|p| p.doc.extends.as_deref()) {
        if let Some(pos) = chain.iter().position(|c| c == parent) {
            let mut cycle: Vec<&str> = chain[pos..].iter().map(String::as_str).collect();
            cycle.push(parent);
            return Err(format!("extends cycle: {}", cycle.join(" -> ")));
        }
        if !own.contains_key(parent) {
            return Err(format!(
                "extends `{parent}`, which is not a loaded pack (missing or invalid; chain: {} -> {parent})",
                chain.join(" -> ")
            ));
        }
        chain.push(parent.to_string());
        current = parent;
    }
    chain.reverse();
    Ok(chain)
}

/// Merge items root first; same identity replaces in place.
fn merge(own: &BTreeMap<String, LoadedPack>, chain: &[String]) -> ResolvedPack {
    let mut items = Items::default();
    let mut templates = BTreeMap::new();
    for id in chain {
        let pack = &own[id];
        let src = &pack.doc.items;
        upsert(&mut items.files, &src.files, |f| f.path.clone());
        upsert(&mut items.directories, &src.directories, |d| d.path.clone());
        upsert(&mut items.packages, &src.packages, |p| p.name.clone());
        upsert(&mut items.settings, &src.settings, |s| {
            (s.kind, s.key.clone(), s.file.clone())
        });
        upsert(&mut items.services, &src.services, |s| s.name.clone());
        templates.extend(pack.templates.clone());
    }
    let me = &own[chain.last().expect("chain holds the pack itself")];
    ResolvedPack {
        id: me.id.clone(),
        name: me.doc.name.clone(),
        description: me.doc.description.clone(),
        version: me.doc.version,
        extends: me.doc.extends.clone(),
        chain: chain.to_vec(),
        items,
        templates,
    }
}

fn upsert<T: Clone, K: PartialEq>(into: &mut Vec<T>, from: &[T], key: impl Fn(&T) -> K) {
    for item in from {
        let k = key(item);
        match into.iter_mut().find(|x| key(x) == k) {
            Some(slot) => *slot = item.clone(),
            None => into.push(item.clone()),
        }
    }
}

/// A pack `t` from YAML text, resolved alone (unit tests of the modules
/// that take a [`ResolvedPack`]).
#[cfg(test)]
pub fn test_pack(yaml: &str) -> ResolvedPack {
    let p = parse_pack("t", Path::new("t.yaml"), yaml, Path::new("/nonexistent"))
        .unwrap_or_else(|e| panic!("test pack: {e:?}"));
    let own = BTreeMap::from([("t".to_string(), p)]);
    resolve_all(&own)
        .0
        .remove("t")
        .unwrap_or_else(|| panic!("test pack did not resolve"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/peer-packs")
    }

    /// A packs dir with `files` (name, text) and templates (name, text).
    fn dir_with(files: &[(&str, &str)], templates: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(d.path().join(name), text).unwrap();
        }
        std::fs::create_dir(d.path().join(TEMPLATES_DIR)).unwrap();
        for (name, text) in templates {
            std::fs::write(d.path().join(TEMPLATES_DIR).join(name), text).unwrap();
        }
        d
    }

    fn only_error(set: &PackSet) -> String {
        assert_eq!(set.errors.len(), 1, "{:#?}", set.errors);
        set.errors[0].to_string()
    }

    #[test]
    fn the_peer_packs_load_unchanged_and_resolve() {
        let set = load_dir(&peer_dir());
        assert_eq!(set.errors, vec![], "{:#?}", set.errors);
        assert_eq!(set.resolved.len(), 3);
        let base = set.get("base").unwrap();
        assert_eq!(base.name, "Base Pack");
        assert_eq!(base.items.files.len(), 6);
        assert_eq!(base.items.files[0].mode.unwrap().0, 0o664);
        assert_eq!(base.items.packages.len(), 4);
        let lite = set.get("developer-lite").unwrap();
        assert_eq!(lite.chain, ["base", "developer-lite"]);
        assert_eq!(lite.items.packages.len(), 9);
        // Parent items first.
        assert_eq!(lite.items.packages[0].name.as_str(), "bash-completion");
        let max = set.get("developer-max").unwrap();
        assert_eq!(max.chain, ["base", "developer-lite", "developer-max"]);
        assert_eq!(max.items.files.len(), 11);
        assert_eq!(max.items.packages.len(), 10);
        assert_eq!(max.items.files[10].path.as_str(), "~/AppImages");
    }

    #[test]
    fn unknown_keys_name_file_line_column_and_field() {
        let d = dir_with(
            &[(
                "p.yaml",
                "name: P\nitems:\n  files:\n    - path: /etc/x\n      mode: \"0644\"\n      colour: red\n",
            )],
            &[],
        );
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:6:7: items.files[0]: unknown field `colour`"),
            "{e}"
        );
        let d = dir_with(&[("p.yaml", "name: P\nitem: {}\n")], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(e.contains("p.yaml:2:1: unknown field `item`"), "{e}");
    }

    #[test]
    fn unquoted_or_bad_modes_are_rejected_with_their_location() {
        let d = dir_with(
            &[(
                "p.yaml",
                "name: P\nitems:\n  files:\n    - path: /etc/x\n      mode: 644\n",
            )],
            &[],
        );
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:5:13: items.files[0].mode: mode 644 is a YAML number"),
            "{e}"
        );
        let d = dir_with(
            &[(
                "p.yaml",
                "name: P\nitems:\n  directories:\n    - path: /srv\n      mode: \"0999\"\n",
            )],
            &[],
        );
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:5:13: items.directories[0].mode: mode `0999`"),
            "{e}"
        );
    }

    #[test]
    fn yaml_syntax_errors_have_a_location() {
        let d = dir_with(&[("p.yaml", "name: P\nitems:\n  files: [\n")], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.starts_with(&format!("{}:", d.path().join("p.yaml").display())),
            "{e}"
        );
        let err = &load_dir(d.path()).errors[0];
        assert!(err.line.is_some() && err.column.is_some(), "{err:?}");
    }

    #[test]
    fn missing_templates_and_bad_template_variables() {
        let pack =
            "name: P\nitems:\n  files:\n    - path: ~/.gitconfig\n      template: nope.tmpl\n";
        let d = dir_with(&[("p.yaml", pack)], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:5:17: items.files[0].template: template `"),
            "{e}"
        );
        assert!(e.contains("nope.tmpl` not found"), "{e}");
        let pack = "name: P\nitems:\n  files:\n    - path: ~/.gitconfig\n      template: g.tmpl\n";
        let d = dir_with(
            &[("p.yaml", pack)],
            &[("g.tmpl", "[user]\n  name = {{ usr }}\n")],
        );
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("g.tmpl:2:10: items.files[0].template: unknown template variable `usr`"),
            "{e}"
        );
        let d = dir_with(
            &[("p.yaml", pack)],
            &[("g.tmpl", "[user]\n  name = {{ user }}\n")],
        );
        let set = load_dir(d.path());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        assert!(set.get("p").unwrap().templates.contains_key("g.tmpl"));
    }

    #[test]
    fn extends_cycles_name_the_chain_and_skip_only_those_packs() {
        let d = dir_with(
            &[
                ("a.yaml", "name: A\nextends: b\n"),
                ("b.yaml", "name: B\nextends: c\n"),
                ("c.yaml", "name: C\nextends: a\n"),
                ("ok.yaml", "name: OK\n"),
                ("self.yaml", "name: S\nextends: self\n"),
                ("orphan.yaml", "name: O\nextends: missing\n"),
            ],
            &[],
        );
        let set = load_dir(d.path());
        assert_eq!(set.resolved.keys().collect::<Vec<_>>(), ["ok"]);
        let errors: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("a.yaml:2:10: extends: extends cycle: a -> b -> c -> a")),
            "{errors:#?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("self.yaml:2:10: extends: extends cycle: self -> self")),
            "{errors:#?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("orphan.yaml:2:10: extends: extends `missing`")),
            "{errors:#?}"
        );
    }

    #[test]
    fn duplicates_and_inconsistent_items_are_rejected() {
        let pack =
            "name: P\nitems:\n  files:\n    - path: /etc/a\n  directories:\n    - path: /etc/a\n";
        let d = dir_with(&[("p.yaml", pack)], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:6:13: items.directories[0].path: duplicate path `/etc/a`"),
            "{e}"
        );
        let pack = "name: P\nitems:\n  packages:\n    - name: curl\n    - name: curl\n";
        let d = dir_with(&[("p.yaml", pack)], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(
            e.contains("p.yaml:5:13: items.packages[1].name: duplicate package `curl`"),
            "{e}"
        );
        let pack = "name: P\nitems:\n  files:\n    - path: /etc/a\n      content: x\n      content_hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n";
        let d = dir_with(&[("p.yaml", pack)], &[]);
        let e = only_error(&load_dir(d.path()));
        assert!(e.contains("at most one of"), "{e}");
        let pack = "name: P\nitems:\n  settings:\n    - key: X\n      expected: y\n      type: config\n    - key: rm\n      expected: y\n      type: command\n    - key: 'A B'\n      expected: y\n      type: env_var\n";
        let d = dir_with(&[("p.yaml", pack)], &[]);
        let set = load_dir(d.path());
        let errors: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].contains(
                "p.yaml:4:12: items.settings[0].file: a `type: config` setting needs `file`"
            ),
            "{errors:#?}"
        );
        assert!(
            errors[1].contains("items.settings[1].key: `rm` is not a whitelisted command"),
            "{errors:#?}"
        );
        assert!(
            errors[2].contains("items.settings[2].key: `A B` is not an environment variable name"),
            "{errors:#?}"
        );
    }

    #[test]
    fn children_override_parent_items_in_place() {
        let d = dir_with(
            &[
                (
                    "base.yaml",
                    "name: B\nitems:\n  files:\n    - path: /a\n      mode: \"0644\"\n    - path: /b\n",
                ),
                (
                    "child.yaml",
                    "name: C\nextends: base\nitems:\n  files:\n    - path: /c\n    - path: /a\n      mode: \"0600\"\n",
                ),
            ],
            &[],
        );
        let set = load_dir(d.path());
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let c = set.get("child").unwrap();
        let paths: Vec<_> = c.items.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/b", "/c"]);
        assert_eq!(c.items.files[0].mode.unwrap().0, 0o600);
    }

    #[test]
    fn the_shipped_packs_load() {
        let set = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../packs"));
        assert_eq!(set.errors, vec![], "{:#?}", set.errors);
        let max = set.get("developer-max").unwrap();
        assert_eq!(max.chain, ["base", "developer-lite", "developer-max"]);
        assert!(
            max.items
                .packages
                .iter()
                .any(|p| p.name.as_str() == "ripgrep")
        );
        assert!(
            max.items
                .files
                .iter()
                .any(|f| f.path.as_str() == "~/.gitconfig")
        );
        assert!(max.templates.contains_key("gitconfig"));
    }

    #[test]
    fn a_missing_directory_is_one_error() {
        let set = load_dir(Path::new("/nonexistent/packs"));
        assert!(set.resolved.is_empty());
        assert!(only_error(&set).contains("cannot read packs directory"));
    }
}
