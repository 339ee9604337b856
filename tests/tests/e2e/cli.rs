//! The hub binary itself: `generate-key`, configuration from the
//! environment and a YAML file, and refusing bad values by name.

use std::process::Output;
use std::time::{Duration, Instant};

use base64::Engine as _;
use homelabcmd_e2e::{Hub, HubOptions, hub_command};

/// Run `homelabcmd serve` with `env` and expect it to give up by itself.
fn serve_expecting_failure(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hub_command();
    cmd.arg("serve")
        .current_dir(dir.path())
        .env("HOMELAB_CMD_HOST", "127.0.0.1")
        .env("HOMELAB_CMD_PORT", "0")
        .env("HOMELAB_CMD_API_KEY", "cli-test-key")
        .env("HOMELAB_CMD_DATABASE_URL", dir.path().join("h.db"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn homelabcmd");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("poll child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "hub kept running with {env:?}; output:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn generate_key_prints_a_fresh_base64_32_byte_key() {
    let run = || {
        let out = hub_command().arg("generate-key").output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "one line: {text:?}");
        let key = text.trim().to_owned();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&key)
            .unwrap_or_else(|e| panic!("{key:?} is not base64: {e}"));
        assert_eq!(bytes.len(), 32, "{key:?}");
        key
    };
    assert_ne!(run(), run(), "two keys are different");
}

#[test]
fn bad_values_stop_the_hub_with_a_message_naming_the_variable() {
    let secret_but_bad = "c2hvcnQta2V5"; // base64 of "short-key": 9 bytes
    for (var, value) in [
        ("HOMELAB_CMD_PORT", "eighty"),
        ("HOMELAB_CMD_PORT", "70000"),
        ("HOMELAB_CMD_HOST", "not an address"),
        ("HOMELAB_CMD_DEBUG", "maybe"),
        ("HOMELAB_CMD_EXTERNAL_URL", "hub.lan:8080"),
        ("HOMELABCMD_ENCRYPTION_KEY", secret_but_bad),
        ("HOMELABCMD_ENCRYPTION_KEY", "%%% not base64 %%%"),
        ("HOMELAB_CMD_ROLLUP_INTERVAL_SECONDS", "0"),
        ("HOMELAB_CMD_MAX_BODY_BYTES", "lots"),
        ("HOMELAB_CMD_API_KEY", "   "),
    ] {
        let out = serve_expecting_failure(&[(var, value)]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "{var}={value:?} accepted (exit {})",
            out.status
        );
        assert!(
            text.contains(var),
            "{var}={value:?}: the message does not name {var}:\n{text}"
        );
        if var == "HOMELABCMD_ENCRYPTION_KEY" {
            assert!(!text.contains(value), "the key's value is echoed:\n{text}");
        }
    }
}

#[test]
fn the_default_api_key_works_and_is_warned_about() {
    let hub = Hub::start(HubOptions {
        api_key: "dev-key-change-me".to_owned(),
        unset: vec!["HOMELAB_CMD_API_KEY".to_owned()],
        ..HubOptions::default()
    });
    hub.api().get("/api/v1/servers").expect(200);
    let log = hub.log();
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("HOMELAB_CMD_API_KEY")),
        "no warning about the default key:\n{log}"
    );
}

#[test]
fn a_yaml_config_file_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.yaml");
    std::fs::write(
        &file,
        "# test config\napi_key: key-from-file\nmax_body_bytes: 70000\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();

    // The file's key is used when the environment names none...
    let hub = Hub::start(HubOptions {
        api_key: "key-from-file".to_owned(),
        env: vec![("HOMELAB_CMD_CONFIG".to_owned(), file.clone())],
        unset: vec!["HOMELAB_CMD_API_KEY".to_owned()],
        ..HubOptions::default()
    });
    hub.api().get("/api/v1/servers").expect(200);
    // Just past the file's limit (ending there, so the hub reads it all
    // before answering; see bad_input.rs for why that matters).
    let frame = serde_json::to_vec(&serde_json::json!({ "id": "big", "hostname": "" }))
        .unwrap()
        .len();
    let big = serde_json::json!({ "id": "big", "hostname": "x".repeat(70_001 - frame) });
    assert_eq!(serde_json::to_vec(&big).unwrap().len(), 70_001);
    assert_eq!(
        hub.api().post("/api/v1/servers", &big).status,
        413,
        "max_body_bytes from the file applies"
    );
    drop(hub);

    // ...and the environment overrides it.
    let hub = Hub::start(HubOptions {
        api_key: "key-from-env".to_owned(),
        env: vec![("HOMELAB_CMD_CONFIG".to_owned(), file)],
        ..HubOptions::default()
    });
    hub.api().get("/api/v1/servers").expect(200);
    assert_eq!(
        hub.api()
            .with_key(Some("key-from-file"))
            .get("/api/v1/servers")
            .status,
        401
    );
}

#[test]
fn a_sqlite_url_names_the_database_file() {
    let hub = Hub::start(HubOptions {
        env: vec![(
            "HOMELAB_CMD_DATABASE_URL".to_owned(),
            "sqlite:///./data/homelab.db".to_owned(),
        )],
        ..HubOptions::default()
    });
    hub.api()
        .heartbeat(&homelabcmd_e2e::heartbeat("url-host"))
        .expect(200);
    let db = hub.dir().join("data").join("homelab.db");
    assert!(
        db.is_file(),
        "sqlite:///./data/homelab.db is relative to the working directory: {} missing",
        db.display()
    );
}
