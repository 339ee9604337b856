//! Apply and remove a pack through the real hub on a real fleet host
//! (tests/src/fleet.rs): the dry-run plan, the background run with its
//! progress, files written atomically with backups, a package installed
//! through the host's real apt/dpkg from a `.deb` this test builds, the
//! re-check, a second apply that changes nothing, drift after a hand edit,
//! and removal restoring the backup. Skipped loudly without root.
//!
//! The fleet's hosts share this machine's filesystem and dpkg database: the
//! test package is purged and its apt source removed in `Drop`.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use homelabcmd_e2e::contract::assert_conforms;
use homelabcmd_e2e::fleet::{
    Fleet, KEY_USER, PASSWORD_USER, PASSWORD_USER_PASSWORD, give_to_key_user,
};
use homelabcmd_e2e::{Api, Hub, HubOptions, wait_for};
use serde_json::{Value, json};

const PKG: &str = "hlc-apply-test";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A one-package apt repository made here, known to apt until dropped.
struct TestRepo {
    list: PathBuf,
}

impl TestRepo {
    fn new(dir: &Path) -> TestRepo {
        let root = dir.join("pkgroot");
        fs::create_dir_all(root.join("DEBIAN")).unwrap();
        fs::create_dir_all(root.join("usr/share/doc").join(PKG)).unwrap();
        fs::write(
            root.join("usr/share/doc").join(PKG).join("README"),
            "HomelabCmd apply test package\n",
        )
        .unwrap();
        fs::write(
            root.join("DEBIAN/control"),
            format!(
                "Package: {PKG}\nVersion: 1.2-1\nArchitecture: all\nMaintainer: HomelabCmd tests <tests@homelabcmd.invalid>\nDescription: apply test package\n Built by tests/tests/e2e/packs_apply.rs.\n"
            ),
        )
        .unwrap();
        let repo = dir.join("repo");
        fs::create_dir_all(&repo).unwrap();
        let deb = repo.join(format!("{PKG}_1.2-1_all.deb"));
        run(Command::new("dpkg-deb")
            .args(["--build", "--root-owner-group"])
            .arg(&root)
            .arg(&deb));
        let control = run(Command::new("dpkg-deb").arg("-f").arg(&deb));
        let sha = run(Command::new("sha256sum").arg(&deb));
        let sha = sha.split_whitespace().next().unwrap();
        let size = fs::metadata(&deb).unwrap().len();
        fs::write(
            repo.join("Packages"),
            format!(
                "{}\nFilename: ./{PKG}_1.2-1_all.deb\nSize: {size}\nSHA256: {sha}\n\n",
                control.trim_end()
            ),
        )
        .unwrap();
        let mut p = repo.as_path();
        while let Some(parent) = p.parent() {
            // apt's sandbox user must reach the repository.
            let mode = fs::metadata(p).unwrap().permissions().mode();
            fs::set_permissions(p, fs::Permissions::from_mode(mode | 0o755)).unwrap();
            p = parent;
        }
        let list = PathBuf::from(format!(
            "/etc/apt/sources.list.d/{PKG}-{}.list",
            std::process::id()
        ));
        fs::write(
            &list,
            format!("deb [trusted=yes] file:{} ./\n", repo.display()),
        )
        .unwrap();
        run(Command::new("apt-get").args([
            "update",
            "-q",
            "-o",
            &format!("Dir::Etc::sourcelist={}", list.display()),
            "-o",
            "Dir::Etc::sourceparts=-",
            "-o",
            "APT::Get::List-Cleanup=0",
        ]));
        TestRepo { list }
    }
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", PKG]).output();
        let _ = fs::remove_file(&self.list);
    }
}

fn installed_version() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status} ${Version}", PKG])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.strip_prefix("installed ").map(str::to_string)
}

/// Start an apply and wait for its end; returns the final status.
fn apply(api: &Api, id: &str, pack: &str) -> Value {
    let started = api
        .post(
            &format!("/api/v1/servers/{id}/config/apply"),
            &json!({"pack_name": pack}),
        )
        .expect_json(202);
    assert_conforms(&started, "ApplyInitiatedResponse");
    let apply_id = started["apply_id"].as_i64().unwrap();
    let mut seen_running = Vec::new();
    let done = wait_for("the apply run to end", Duration::from_secs(120), || {
        let s = api
            .get(&format!("/api/v1/servers/{id}/config/apply/{apply_id}"))
            .expect_json(200);
        match s["status"].as_str() {
            Some("completed" | "failed") => Some(s),
            _ => {
                seen_running.push(s);
                None
            }
        }
    });
    assert_conforms(&done, "ApplyStatusResponse");
    for s in &seen_running {
        let p = s["progress"].as_i64().unwrap();
        assert!((0..100).contains(&p), "{s}");
    }
    done
}

fn pack_dir(yaml: &str) -> tempfile::TempDir {
    let packs = tempfile::tempdir().unwrap();
    fs::write(packs.path().join("base.yaml"), "name: Base\nitems: {}\n").unwrap();
    fs::write(packs.path().join("apply-test.yaml"), yaml).unwrap();
    packs
}

fn hub_for(packs: &Path) -> Hub {
    Hub::start(HubOptions {
        env: vec![("HOMELAB_CMD_PACKS_DIR".into(), packs.display().to_string())],
        ..HubOptions::default()
    })
}

#[test]
fn apply_installs_writes_with_backups_rechecks_and_removal_restores() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let root = fleet.shared_dir("managed-apply");
    fs::write(root.join("motd"), "welcome\n").unwrap();
    fs::write(root.join("app.conf"), "# app\nlevel = debug\n").unwrap();
    give_to_key_user(&root);
    let _repo = TestRepo::new(fleet.dir());
    assert_eq!(installed_version(), None, "{PKG} is installed already");
    let r = root.display();
    let packs = pack_dir(&format!(
        "name: Apply test\nextends: base\nitems:\n  directories:\n    - path: {r}/conf.d\n      mode: \"0751\"\n  files:\n    - path: {r}/motd\n      mode: \"0644\"\n      content: \"welcome\\nmanaged by homelabcmd\\n\"\n    - path: {r}/conf.d/new.conf\n      mode: \"0640\"\n      owner: \"{{{{user}}}}\"\n      content: \"x = 1\\n\"\n  packages:\n    - name: {PKG}\n      min_version: \"1.0\"\n  settings:\n    - key: level\n      expected: info\n      type: config\n      file: {r}/app.conf\n"
    ));
    let hub = hub_for(packs.path());
    let api = hub.api();
    api.add_ssh_machine(
        &json!({"id": "fleet-a", "hostname": "fleet-a",
                "ip_address": fleet.host(0).ip().to_string()}),
        KEY_USER,
        &[("ssh_private_key", &fleet.client_private_key_pem())],
    );

    // The preview: a plan from a fresh check; nothing changes.
    let preview = api
        .post(
            "/api/v1/servers/fleet-a/config/apply",
            &json!({"pack_name": "apply-test", "dry_run": true}),
        )
        .expect_json(202);
    assert_conforms(&preview, "ApplyPreviewResponse");
    assert_eq!(
        preview["summary"],
        "Will install 1 package, write 2 files, create 1 directory and set 1 setting",
        "{preview}"
    );
    assert_eq!(preview["total_items"], 5);
    assert_eq!(preview["needs_sudo"], true);
    let actions = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["action"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (dir, motd, new) = (
        format!("{r}/conf.d"),
        format!("{r}/motd"),
        format!("{r}/conf.d/new.conf"),
    );
    assert_eq!(
        actions(&preview["files"]),
        [
            ("update_file".to_string(), motd.clone()),
            ("create_file".to_string(), new.clone())
        ]
    );
    assert_eq!(
        actions(&preview["paths"]),
        [("create_directory".to_string(), dir.clone())]
    );
    assert!(
        preview["files"][0]["diff"]
            .as_str()
            .unwrap()
            .contains("+managed by homelabcmd"),
        "{preview}"
    );
    assert_eq!(preview["packages"][0]["package"], PKG);
    assert_eq!(preview["packages"][0]["action"], "install_package");
    assert_eq!(preview["settings"][0]["action"], "set_config");
    assert_eq!(preview["manual"], json!([]));
    assert_eq!(preview["settings"][0]["key"], "level");
    assert_eq!(preview["settings"][0]["value"], "info");
    assert!(!root.join("conf.d").exists());
    assert_eq!(installed_version(), None);

    // Apply.
    let done = apply(api, "fleet-a", "apply-test");
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress"], 100);
    assert_eq!(done["items_total"], 5);
    assert_eq!(done["items_completed"], 5, "{done}");
    assert_eq!(done["items_failed"], 0);
    assert_eq!(done["recheck"]["is_compliant"], true, "{done}");
    let actions: Vec<(&str, &str)> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["item"].as_str().unwrap(), i["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            (dir.as_str(), "directory_created"),
            (motd.as_str(), "updated"),
            (new.as_str(), "created"),
            (PKG, "installed"),
            ("level", "set"),
        ]
    );
    assert_eq!(
        done["items"][1]["backup_path"],
        format!("{r}/motd.homelabcmd.bak")
    );
    assert_eq!(
        fs::read_to_string(root.join("motd")).unwrap(),
        "welcome\nmanaged by homelabcmd\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("motd.homelabcmd.bak")).unwrap(),
        "welcome\n"
    );
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&root.join("conf.d")), 0o751);
    // Created as root (sudo); the pack's `{{user}}` owner is the SSH user,
    // who can read it back in the re-check.
    assert_eq!(
        fs::metadata(root.join("conf.d")).unwrap().uid(),
        0,
        "directories without an owner belong to root"
    );
    let ssh_uid: u32 = run(Command::new("id").args(["-u", KEY_USER]))
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        fs::metadata(root.join("conf.d/new.conf")).unwrap().uid(),
        ssh_uid
    );
    assert_eq!(mode(&root.join("conf.d/new.conf")), 0o640);
    assert_eq!(
        fs::read_to_string(root.join("conf.d/new.conf")).unwrap(),
        "x = 1\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("app.conf")).unwrap(),
        "# app\nlevel = info\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("app.conf.homelabcmd.bak")).unwrap(),
        "# app\nlevel = debug\n"
    );
    // No temp file left next to the written ones.
    let leftovers: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".homelabcmd."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(installed_version().as_deref(), Some("1.2-1"));

    // A second apply changes nothing.
    let motd_inode = fs::metadata(root.join("motd")).unwrap().ino();
    let again = apply(api, "fleet-a", "apply-test");
    assert_eq!(again["status"], "completed", "{again}");
    assert_eq!(again["items_total"], 0, "{again}");
    assert_eq!(again["items"], json!([]));
    assert_eq!(again["recheck"]["is_compliant"], true);
    assert_eq!(fs::metadata(root.join("motd")).unwrap().ino(), motd_inode);
    assert_eq!(
        fs::read_to_string(root.join("motd.homelabcmd.bak")).unwrap(),
        "welcome\n"
    );

    // A hand edit is drift, with the right diff.
    fs::write(root.join("motd"), "welcome\nhand edit\n").unwrap();
    let check = api
        .post(
            "/api/v1/servers/fleet-a/config/check",
            &json!({"pack_name": "apply-test"}),
        )
        .expect_json(200);
    assert_eq!(check["is_compliant"], false);
    let diff = api
        .get("/api/v1/servers/fleet-a/config/diff?pack=apply-test")
        .expect_json(200);
    assert_eq!(diff["mismatches"][0]["type"], "wrong_content", "{diff}");
    let d = diff["mismatches"][0]["diff"].as_str().unwrap();
    assert!(
        d.contains("-hand edit\n") && d.contains("+managed by homelabcmd\n"),
        "{d}"
    );

    // The audit trail has each step by label, never file content.
    let audit = api
        .get("/api/v1/audit?server_id=fleet-a&limit=200")
        .expect_json(200);
    let steps: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "config_apply" && e["outcome"] == "completed")
        .map(|e| e["argv"][0].as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&format!("write {motd}").as_str()),
        "{steps:?}"
    );
    assert!(steps.contains(&format!("apt-get install {PKG}").as_str()));
    assert!(!audit.to_string().contains("managed by homelabcmd"));

    // Removal: preview, then the backup comes back and new files go;
    // the package stays.
    let rp = api
        .delete_json(
            "/api/v1/servers/fleet-a/config/apply",
            &json!({"pack_name": "apply-test"}),
        )
        .expect_json(200);
    assert_conforms(&rp, "RemovePreviewResponse");
    assert_eq!(rp["preview"], true);
    assert_eq!(rp["files"].as_array().unwrap().len(), 2, "{rp}");
    assert_eq!(
        rp["files"][0]["backup_path"],
        format!("{motd}.homelabcmd.bak")
    );
    assert_eq!(rp["packages"][0]["action"], "skip");
    assert_eq!(rp["settings"][0]["key"], "level");
    assert!(root.join("conf.d/new.conf").exists());
    let removed = api
        .delete_json(
            "/api/v1/servers/fleet-a/config/apply",
            &json!({"pack_name": "apply-test", "confirm": true}),
        )
        .expect_json(200);
    assert_conforms(&removed, "RemoveResponse");
    assert_eq!(removed["success"], true, "{removed}");
    assert_eq!(removed["items_deleted"], 2);
    assert_eq!(removed["items_skipped"], 1);
    assert_eq!(removed["items_removed"], 1);
    assert_eq!(removed["items_failed"], 0);
    assert_eq!(removed["items"][0]["action"], "deleted");
    assert_eq!(
        removed["items"][0]["backup_path"],
        format!("{motd}.homelabcmd.bak")
    );
    assert_eq!(removed["items"][1]["action"], "deleted");
    assert_eq!(removed["items"][1]["backup_path"], Value::Null);
    assert_eq!(fs::read_to_string(root.join("motd")).unwrap(), "welcome\n");
    assert_eq!(
        fs::read_to_string(root.join("app.conf")).unwrap(),
        "# app\nlevel = debug\n"
    );
    assert!(!root.join("motd.homelabcmd.bak").exists());
    assert!(!root.join("conf.d/new.conf").exists());
    assert_eq!(installed_version().as_deref(), Some("1.2-1"));

    // Unknown pack, unknown run.
    api.post(
        "/api/v1/servers/fleet-a/config/apply",
        &json!({"pack_name": "nope"}),
    )
    .expect(404);
    api.get("/api/v1/servers/fleet-a/config/apply/999999")
        .expect(404);
    api.post(
        "/api/v1/servers/fleet-a/config/apply",
        &json!({"pack_name": ""}),
    )
    .expect(422);
}

/// sudo with a password (sent first on stdin) and the file content after
/// it: the file gets exactly the content, never the password.
#[test]
fn apply_with_a_sudo_password_writes_exactly_the_content() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let root = fleet.shared_dir("managed-sudo");
    let r = root.display();
    let packs = pack_dir(&format!(
        "name: Apply test\nitems:\n  files:\n    - path: {r}/root-owned.conf\n      mode: \"0644\"\n      owner: root:root\n      content: \"secret = no\\n\"\n"
    ));
    let hub = hub_for(packs.path());
    let api = hub.api();
    api.add_ssh_machine(
        &json!({"id": "fleet-pw", "hostname": "fleet-pw",
                "ip_address": fleet.host(0).ip().to_string()}),
        PASSWORD_USER,
        &[
            ("ssh_password", PASSWORD_USER_PASSWORD),
            ("sudo_password", PASSWORD_USER_PASSWORD),
        ],
    );
    api.put(
        "/api/v1/servers/fleet-pw",
        &json!({"sudo_mode": "password"}),
    )
    .expect(200);
    let done = apply(api, "fleet-pw", "apply-test");
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["items_completed"], 1, "{done}");
    assert_eq!(done["recheck"]["is_compliant"], true, "{done}");
    let path = root.join("root-owned.conf");
    assert_eq!(fs::read_to_string(&path).unwrap(), "secret = no\n");
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (0, 0));
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert!(!hub.log().contains(PASSWORD_USER_PASSWORD));
}
