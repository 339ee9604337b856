//! Config packs end to end: the shipped and peer packs validate through the
//! real `homelabcmd packs validate`, invalid packs print `file:line:column`,
//! and a compliance check runs over the SSH pool against a real fleet host
//! (tests/src/fleet.rs). The API wiring is not there yet, so the check here
//! is the hub library's script + parser + compare over `SshPool` directly.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use homelabcmd_core::packs::{self, check_script};
use homelabcmd_e2e::fleet::{Fleet, KEY_USER, give_to_key_user};
use homelabcmd_e2e::{hub_command, workspace_root};
use homelabcmd_protocol::packs::MismatchType;
use homelabcmd_ssh::{Auth, ExecRequest, MemoryHostKeyStore, PoolConfig, SshPool, Target};

fn validate(dir: &Path) -> (bool, String, String) {
    let out = hub_command()
        .args(["packs", "validate"])
        .arg(dir)
        .output()
        .expect("run homelabcmd packs validate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shipped_and_peer_packs_validate() {
    for dir in ["packs", "tests/fixtures/peer-packs"] {
        let (ok, out, err) = validate(&workspace_root().join(dir));
        assert!(ok, "{dir}: {out}{err}");
        assert!(out.contains("3 packs valid"), "{dir}: {out}");
        assert!(out.contains("developer-max"), "{dir}: {out}");
    }
}

#[test]
fn invalid_packs_print_file_line_column_and_exit_1() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("templates")).unwrap();
    let cases = [
        (
            "unknown.yaml",
            "name: U\nitems:\n  files:\n    - path: /etc/x\n      colour: red\n",
            "unknown.yaml:5:7: items.files[0]: unknown field `colour`",
        ),
        (
            "mode.yaml",
            "name: M\nitems:\n  files:\n    - path: /etc/x\n      mode: 644\n",
            "mode.yaml:5:13: items.files[0].mode: mode 644 is a YAML number: quote it",
        ),
        (
            "tmpl.yaml",
            "name: T\nitems:\n  files:\n    - path: ~/.x\n      template: nope\n",
            "tmpl.yaml:5:17: items.files[0].template: template `",
        ),
        (
            "cycle-a.yaml",
            "name: A\nextends: cycle-b\n",
            "cycle-a.yaml:2:10: extends: extends cycle: cycle-a -> cycle-b -> cycle-a",
        ),
        (
            "cycle-b.yaml",
            "name: B\nextends: cycle-a\n",
            "cycle-b.yaml:2:10: extends: extends cycle: cycle-b -> cycle-a -> cycle-b",
        ),
        (
            "dup.yaml",
            "name: D\nitems:\n  files:\n    - path: /a\n    - path: /a\n",
            "dup.yaml:5:13: items.files[1].path: duplicate path `/a`",
        ),
        (
            "syntax.yaml",
            "name: S\n  x: y\n",
            "syntax.yaml:2:4: mapping values are not allowed in this context",
        ),
    ];
    for (name, text, _) in &cases {
        fs::write(d.path().join(name), text).unwrap();
    }
    fs::write(d.path().join("good.yaml"), "name: Good\n").unwrap();
    let (ok, out, err) = validate(d.path());
    assert!(!ok, "{out}{err}");
    assert!(out.contains("ok    good (Good)"), "{out}");
    for (_, _, want) in &cases {
        let want = format!("error {}/{want}", d.path().display());
        assert!(err.contains(&want), "missing `{want}` in:\n{err}");
    }
}

fn pool() -> SshPool {
    SshPool::new(
        PoolConfig {
            connect_timeout: Duration::from_secs(5),
            default_command_timeout: Duration::from_secs(30),
            ..PoolConfig::default()
        },
        std::sync::Arc::new(MemoryHostKeyStore::new()),
    )
}

/// Run a pack's check script on the host as the key user; returns the
/// comparison.
async fn check(pool: &SshPool, target: &Target, pack: &packs::ResolvedPack) -> packs::Comparison {
    let script = check_script::build(pack);
    let out = pool
        .exec(target, &ExecRequest::new(["sh", "-c", script.as_str()]))
        .await
        .expect("run check script");
    assert!(out.success(), "check script failed: {}", out.stderr_text());
    packs::evaluate(pack, &out.stdout)
}

#[tokio::test]
async fn a_fleet_host_reports_exactly_its_missing_files_packages_and_edits() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let host = fleet.host(0);
    // The fleet's hosts share this machine's filesystem: the managed files
    // live in the fleet's own directory, owned by the SSH user.
    let root = fleet.shared_dir("managed");
    fs::create_dir_all(root.join("conf.d")).unwrap();
    fs::write(root.join("motd"), "welcome\n").unwrap();
    fs::write(
        root.join("app.conf"),
        "port = 8080\nmode = prod\nworkers = 4\n",
    )
    .unwrap();
    fs::set_permissions(root.join("app.conf"), fs::Permissions::from_mode(0o640)).unwrap();
    give_to_key_user(&root);

    let r = root.display();
    let dpkg_version = String::from_utf8(
        std::process::Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", "dpkg"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        !dpkg_version.is_empty(),
        "dpkg is installed on the test machine"
    );
    let pack_yaml = format!(
        r#"name: Fleet test
items:
  directories:
    - path: {r}/conf.d
      mode: "0755"
    - path: {r}/cache
  files:
    - path: {r}/motd
      mode: "0644"
      owner: {KEY_USER}
      content: "welcome\n"
    - path: {r}/app.conf
      mode: "0640"
      content: "port = 8080\nmode = prod\nworkers = 4\n"
    - path: {r}/missing.conf
      mode: "0600"
      content: "x = 1\n"
  packages:
    - name: dpkg
      min_version: "{dpkg_version}"
    - name: openssh-server
      min_version: "99:1.0"
    - name: hlc-no-such-package
  settings:
    - key: mode
      expected: prod
      type: config
      file: {r}/app.conf
"#
    );
    let packs_dir = tempfile::tempdir().unwrap();
    fs::write(packs_dir.path().join("fleet-test.yaml"), pack_yaml).unwrap();
    let set = packs::load_dir(packs_dir.path());
    assert_eq!(set.errors, vec![]);
    let pack = set.get("fleet-test").unwrap();

    let target = Target {
        host: host.ip().to_string(),
        port: 22,
        username: KEY_USER.into(),
        auth: Auth::Key {
            private_key_pem: fleet.client_private_key_pem().into(),
            passphrase: None,
        },
        host_key_id: format!("server-{}", host.namespace()),
    };
    let pool = pool();

    let c = check(&pool, &target, pack).await;
    let got: Vec<(MismatchType, String)> = c
        .mismatches
        .iter()
        .map(|m| (m.kind, m.item.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (MismatchType::MissingFile, format!("{r}/missing.conf")),
            (MismatchType::MissingFile, format!("{r}/cache")),
            (MismatchType::WrongVersion, "openssh-server".to_string()),
            (
                MismatchType::MissingPackage,
                "hlc-no-such-package".to_string()
            ),
        ],
        "{:#?}",
        c.mismatches
    );
    assert_eq!(c.total_items, 9);
    assert_eq!(c.mismatched_items, 4);

    // Edit a managed file by hand: the check shows exactly that change.
    fs::write(
        root.join("app.conf"),
        "port = 8080\nmode = debug\nworkers = 4\n",
    )
    .unwrap();
    let c = check(&pool, &target, pack).await;
    let content: Vec<_> = c
        .mismatches
        .iter()
        .filter(|m| m.item == format!("{r}/app.conf"))
        .collect();
    assert_eq!(content.len(), 1, "{:#?}", c.mismatches);
    assert_eq!(content[0].kind, MismatchType::WrongContent);
    assert_eq!(
        content[0].diff.as_deref(),
        Some(
            format!(
                "--- {r}/app.conf (host)\n+++ {r}/app.conf (pack)\n@@ -1,3 +1,3 @@\n port = 8080\n-mode = debug\n+mode = prod\n workers = 4\n"
            )
            .as_str()
        )
    );
    let setting = c.mismatches.iter().find(|m| m.item == "mode").unwrap();
    assert_eq!(setting.kind, MismatchType::WrongSetting);
    assert_eq!(setting.actual.value.as_deref(), Some("debug"));
    pool.close_all().await;
}
