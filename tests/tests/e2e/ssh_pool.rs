//! The SSH pool (`homelabcmd_ssh`) against real OpenSSH servers: each test
//! starts its own fleet of network-namespace hosts (tests/src/fleet.rs).
//! Skipped loudly when not root or sshd/iproute2 are missing; under CI
//! (`CI` set) that is a failure instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use homelabcmd_e2e::fleet::{
    BASHRC_NOISE, CLIENT_KEY_PASSPHRASE, Fleet, Host, KEY_USER, PASSWORD_USER,
    PASSWORD_USER_PASSWORD, PROFILE_NOISE,
};
use homelabcmd_e2e::{wait_until, wait_until_async};
use homelabcmd_ssh::{
    Auth, ExecRequest, MemoryHostKeyStore, PoolConfig, SshError, SshPool, SudoMode, Target,
};

fn key_target(fleet: &Fleet, host: &Host) -> Target {
    Target {
        host: host.ip().to_string(),
        port: 22,
        username: KEY_USER.into(),
        auth: Auth::Key {
            private_key_pem: fleet.client_private_key_pem().into(),
            passphrase: None,
        },
        host_key_id: format!("server-{}", host.namespace()),
    }
}

fn password_target(host: &Host, password: &str) -> Target {
    Target {
        host: host.ip().to_string(),
        port: 22,
        username: PASSWORD_USER.into(),
        auth: Auth::Password(password.into()),
        host_key_id: format!("server-{}", host.namespace()),
    }
}

fn test_config() -> PoolConfig {
    PoolConfig {
        connect_timeout: Duration::from_secs(5),
        default_command_timeout: Duration::from_secs(30),
        ..PoolConfig::default()
    }
}

fn pool_with(config: PoolConfig) -> (SshPool, Arc<MemoryHostKeyStore>) {
    let store = Arc::new(MemoryHostKeyStore::new());
    (SshPool::new(config, store.clone()), store)
}

fn pool() -> (SshPool, Arc<MemoryHostKeyStore>) {
    pool_with(test_config())
}

async fn run(pool: &SshPool, target: &Target, argv: &[&str]) -> homelabcmd_ssh::ExecOutput {
    pool.exec(target, &ExecRequest::new(argv.iter().copied()))
        .await
        .unwrap_or_else(|e| panic!("{argv:?} on {}: {e}", target.host))
}

#[tokio::test]
async fn a_command_returns_stdout_stderr_and_exit_code() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let target = key_target(&fleet, fleet.host(0));

    let out = run(&pool, &target, &["echo", "hello world"]).await;
    assert_eq!(out.stdout_text(), "hello world\n");
    assert_eq!(out.exit_code, Some(0));
    assert!(out.success());
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());

    let out = run(
        &pool,
        &target,
        &["sh", "-c", "echo oops >&2; echo partial; exit 3"],
    )
    .await;
    assert_eq!(out.exit_code, Some(3));
    assert!(!out.success());
    assert_eq!(out.stdout_text(), "partial\n");
    assert_eq!(out.stderr_text(), "oops\n");

    // Arguments reach the program verbatim: no shell expansion remotely.
    let nasty = [
        "$(id)",
        "`id`",
        "a;b",
        "x && y",
        "*",
        "it's",
        "line\nbreak",
        "ünï ✓",
        "",
    ];
    let mut argv = vec!["printf", "%s|"];
    argv.extend(nasty);
    let out = run(&pool, &target, &argv).await;
    assert_eq!(
        out.stdout_text(),
        nasty.iter().map(|w| format!("{w}|")).collect::<String>()
    );

    // stdin is delivered, then EOF.
    let out = pool
        .exec(
            &target,
            &ExecRequest::new(["cat"]).stdin(b"piped in\n".to_vec()),
        )
        .await
        .expect("cat");
    assert_eq!(out.stdout_text(), "piped in\n");
}

#[tokio::test]
async fn shell_startup_files_do_not_pollute_stdout() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let host = fleet.host(0);
    for target in [
        key_target(&fleet, host),
        password_target(host, PASSWORD_USER_PASSWORD),
    ] {
        // The login shell is bash, and the rc files print noise: .profile
        // always, .bashrc after the usual non-interactive guard.
        let out = run(&pool, &target, &["echo", "clean"]).await;
        assert_eq!(out.stdout_text(), "clean\n", "user {}", target.username);
        assert!(!out.stdout_text().contains(PROFILE_NOISE));
        assert!(!out.stdout_text().contains(BASHRC_NOISE));
        assert!(!out.stderr_text().contains(PROFILE_NOISE));
    }
}

#[tokio::test]
async fn a_hundred_sequential_commands_use_one_tcp_connection() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let host = fleet.host(0);
    let target = key_target(&fleet, host);
    for i in 0..100 {
        let out = run(&pool, &target, &["echo", &i.to_string()]).await;
        assert_eq!(out.stdout_text(), format!("{i}\n"));
    }
    let stats = pool.stats();
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    assert_eq!(stats.connections_open, 1);
    assert_eq!(stats.commands_started, 100);
    assert_eq!(
        host.established_ssh_connections(),
        1,
        "seen by ss in the namespace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_commands_share_one_connection_within_max_sessions() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let target = key_target(&fleet, fleet.host(0));
    // Fresh pool: the 40 first uses race for the connection and must open one.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let pool = pool.clone();
            let target = target.clone();
            tokio::spawn(async move {
                pool.exec(
                    &target,
                    &ExecRequest::new(["sh", "-c", "sleep 0.2; echo $1", "sh", &i.to_string()]),
                )
                .await
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let out = task
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("command {i}: {e}"));
        assert_eq!(out.stdout_text(), format!("{i}\n"));
        assert_eq!(out.exit_code, Some(0));
    }
    let stats = pool.stats();
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    assert_eq!(stats.commands_started, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_command_on_three_hosts_at_once() {
    let Some(fleet) = Fleet::start_or_skip(3) else {
        return;
    };
    let (pool, _) = pool();
    let tasks: Vec<_> = fleet
        .hosts()
        .iter()
        .map(|h| {
            let (pool, target) = (pool.clone(), key_target(&fleet, h));
            tokio::spawn(async move {
                pool.exec(&target, &ExecRequest::new(["hostname", "-I"]))
                    .await
            })
        })
        .collect();
    for (host, task) in fleet.hosts().iter().zip(tasks) {
        let out = task.await.expect("join").expect("hostname -I");
        // The command ran inside that host's namespace: it sees its own IP.
        assert_eq!(out.stdout_text().trim(), host.ip().to_string());
    }
    assert_eq!(pool.stats().connections_opened, 3);
}

#[tokio::test]
async fn first_use_pins_the_host_key_and_a_changed_key_is_refused() {
    let Some(mut fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, store) = pool();
    let target = key_target(&fleet, fleet.host(0));
    let original = fleet.host(0).host_key_fingerprint();

    let info = pool
        .test_connection(&target)
        .await
        .expect("test connection");
    assert!(
        info.server_version.starts_with("SSH-2.0-OpenSSH"),
        "{info:?}"
    );
    assert_eq!(info.host_key_fingerprint, original);
    assert_eq!(info.host_key_algorithm, "ssh-ed25519");
    assert!(info.latency < Duration::from_secs(5));
    assert_eq!(store.pinned(&target.host_key_id), Some(original.clone()));
    run(&pool, &target, &["true"]).await;

    let host = &mut fleet.hosts_mut()[0];
    host.rotate_host_key();
    let rotated = host.host_key_fingerprint();
    assert_ne!(rotated, original);
    let err = pool
        .exec(&target, &ExecRequest::new(["true"]))
        .await
        .expect_err("a changed host key must be refused");
    assert_eq!(
        err,
        SshError::HostKeyMismatch {
            expected: original.clone(),
            actual: rotated.clone()
        }
    );
    assert!(err.to_string().contains("host key changed"), "{err}");
    // The pin is not silently replaced.
    assert_eq!(store.pinned(&target.host_key_id), Some(original));
    // An operator accepting the new key (forget the pin) lets it through.
    store.forget(&target.host_key_id);
    run(&pool, &target, &["true"]).await;
    assert_eq!(store.pinned(&target.host_key_id), Some(rotated));
}

#[tokio::test]
async fn a_wrong_password_is_auth_failed_within_the_connect_timeout() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let target = password_target(fleet.host(0), "not-the-password");
    let started = Instant::now();
    let err = pool
        .exec(&target, &ExecRequest::new(["true"]))
        .await
        .expect_err("must fail");
    assert!(
        started.elapsed() < test_config().connect_timeout,
        "{:?}",
        started.elapsed()
    );
    let SshError::AuthFailed { username, methods } = &err else {
        panic!("expected AuthFailed, got {err:?}");
    };
    assert_eq!(username, PASSWORD_USER);
    assert!(methods.iter().any(|m| m == "password"), "{methods:?}");
    assert!(!err.to_string().contains("not-the-password"));
    assert!(
        !format!("{target:?}").contains("not-the-password"),
        "Debug redacts"
    );
    // And the right password works.
    run(
        &pool,
        &password_target(fleet.host(0), PASSWORD_USER_PASSWORD),
        &["true"],
    )
    .await;
}

#[tokio::test]
async fn an_encrypted_key_needs_its_passphrase() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let pem = std::fs::read_to_string(fleet.encrypted_client_key_path()).expect("key");
    let mut target = key_target(&fleet, fleet.host(0));
    target.auth = Auth::Key {
        private_key_pem: pem.clone().into(),
        passphrase: None,
    };
    let err = pool
        .exec(&target, &ExecRequest::new(["true"]))
        .await
        .expect_err("no passphrase");
    assert!(matches!(err, SshError::InvalidKey(_)), "{err:?}");
    target.auth = Auth::Key {
        private_key_pem: pem.clone().into(),
        passphrase: Some("wrong".into()),
    };
    let err = pool
        .exec(&target, &ExecRequest::new(["true"]))
        .await
        .expect_err("bad passphrase");
    assert!(matches!(err, SshError::InvalidKey(_)), "{err:?}");
    target.auth = Auth::Key {
        private_key_pem: pem.into(),
        passphrase: Some(CLIENT_KEY_PASSPHRASE.into()),
    };
    assert_eq!(
        run(&pool, &target, &["whoami"]).await.stdout_text(),
        format!("{KEY_USER}\n")
    );
}

#[tokio::test]
async fn an_unreachable_host_fails_clearly_within_the_timeout() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let config = PoolConfig {
        connect_timeout: Duration::from_secs(2),
        ..test_config()
    };
    let host = fleet.host(0);
    let target = key_target(&fleet, host);

    // New connection to a host whose link is down.
    let (pool, _) = pool_with(config.clone());
    host.link_down();
    let started = Instant::now();
    let err = pool
        .exec(&target, &ExecRequest::new(["true"]))
        .await
        .expect_err("link is down");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, SshError::ConnectTimeout { .. }), "{err:?}");
    assert!(err.to_string().contains(&host.ip().to_string()), "{err}");
    host.link_up();

    // A pooled connection whose link goes down: bounded too (channel open
    // times out, the retry's connect times out).
    run(&pool, &target, &["true"]).await;
    host.link_down();
    let started = Instant::now();
    let err = pool
        .exec(
            &target,
            &ExecRequest::new(["true"]).timeout(Duration::from_secs(2)),
        )
        .await
        .expect_err("link is down");
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?} {err:?}",
        started.elapsed()
    );
    host.link_up();
    // Back up: works again.
    run(&pool, &target, &["true"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sudo_with_a_password_keeps_it_off_the_process_list() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let host = fleet.host(0);
    let target = password_target(host, PASSWORD_USER_PASSWORD);
    let sudo = SudoMode::Password(PASSWORD_USER_PASSWORD.into());

    let out = pool
        .exec(&target, &ExecRequest::new(["id", "-u"]).sudo(sudo.clone()))
        .await
        .expect("sudo id");
    assert_eq!(out.stdout_text(), "0\n", "stderr: {}", out.stderr_text());
    assert!(!out.stderr_text().contains(PASSWORD_USER_PASSWORD));

    // Without the password, sudo refuses (the user has no NOPASSWD rule).
    let out = run(&pool, &target, &["sudo", "-n", "true"]).await;
    assert_ne!(out.exit_code, Some(0));

    // Stdin after the password line reaches the command.
    let out = pool
        .exec(
            &target,
            &ExecRequest::new(["cat"])
                .sudo(sudo.clone())
                .stdin(b"after".to_vec()),
        )
        .await
        .expect("sudo cat");
    assert_eq!(out.stdout_text(), "after");

    // While a sudo command runs, nothing in the namespace has the password
    // in its argv.
    let sleeper = {
        let (pool, target, sudo) = (pool.clone(), target.clone(), sudo.clone());
        tokio::spawn(async move {
            pool.exec(&target, &ExecRequest::new(["sleep", "3"]).sudo(sudo))
                .await
        })
    };
    let mut seen_sleep = false;
    for _ in 0..50 {
        let procs = host.process_args();
        for p in &procs {
            assert!(!p.contains(PASSWORD_USER_PASSWORD), "password in argv: {p}");
            assert!(!p.contains("hlc-Test-pw"), "password in argv: {p}");
        }
        if procs.iter().any(|p| p.contains("sleep 3")) {
            seen_sleep = procs.iter().any(|p| p.starts_with("sudo "));
            if seen_sleep {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_sleep, "the sudo command was observed running");
    let out = sleeper.await.expect("join").expect("sudo sleep");
    assert_eq!(out.exit_code, Some(0));

    // A wrong sudo password: sudo's failure, no hang.
    let out = pool
        .exec(
            &target,
            &ExecRequest::new(["id", "-u"]).sudo(SudoMode::Password("wrong".into())),
        )
        .await
        .expect("runs, sudo fails");
    assert_eq!(out.exit_code, Some(1));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn passwordless_sudo_works() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let target = key_target(&fleet, fleet.host(0));
    let out = pool
        .exec(
            &target,
            &ExecRequest::new(["id", "-un"]).sudo(SudoMode::NoPassword),
        )
        .await
        .expect("sudo -n");
    assert_eq!(out.stdout_text(), "root\n", "stderr: {}", out.stderr_text());
    assert_eq!(
        run(&pool, &target, &["id", "-un"]).await.stdout_text(),
        format!("{KEY_USER}\n")
    );
}

#[tokio::test]
async fn a_command_past_its_timeout_is_killed_on_the_host() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let host = fleet.host(0);
    let target = key_target(&fleet, host);
    for (argv, sudo) in [
        (["sleep", "300"], SudoMode::None),
        (["sleep", "301"], SudoMode::NoPassword),
    ] {
        let started = Instant::now();
        let err = pool
            .exec(
                &target,
                &ExecRequest::new(argv)
                    .sudo(sudo)
                    .timeout(Duration::from_secs(2)),
            )
            .await
            .expect_err("must time out");
        let took = started.elapsed();
        assert_eq!(
            err,
            SshError::Timeout {
                after: Duration::from_secs(2)
            }
        );
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(4),
            "{took:?}"
        );
        let pattern = argv.join(" ");
        wait_until(
            &format!("`{pattern}` gone from the host"),
            Duration::from_secs(10),
            || !host.process_args().iter().any(|p| p.starts_with(&pattern)),
        );
    }
    // The connection is still usable afterwards.
    assert_eq!(
        run(&pool, &target, &["echo", "ok"]).await.stdout_text(),
        "ok\n"
    );
    assert_eq!(pool.stats().connections_opened, 1);
}

#[tokio::test]
async fn a_pooled_connection_reconnects_after_sshd_restarts() {
    let Some(mut fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool();
    let target = key_target(&fleet, fleet.host(0));
    run(&pool, &target, &["true"]).await;
    fleet.hosts_mut()[0].restart_sshd();
    let out = run(&pool, &target, &["echo", "again"]).await;
    assert_eq!(out.stdout_text(), "again\n");
    let stats = pool.stats();
    assert_eq!(stats.connections_opened, 2, "{stats:?}");
    assert!(stats.stale_retries <= 1, "{stats:?}");
}

#[tokio::test]
async fn output_is_capped_and_flagged() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool_with(PoolConfig {
        output_cap_bytes: 1000,
        ..test_config()
    });
    let target = key_target(&fleet, fleet.host(0));
    let out = run(
        &pool,
        &target,
        &["sh", "-c", "head -c 300000 /dev/zero; echo small >&2"],
    )
    .await;
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.stdout.len(), 1000);
    assert!(out.stdout_truncated);
    assert_eq!(out.stderr_text(), "small\n");
    assert!(!out.stderr_truncated);
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let Some(fleet) = Fleet::start_or_skip(1) else {
        return;
    };
    let (pool, _) = pool_with(PoolConfig {
        idle_close: Duration::from_secs(1),
        ..test_config()
    });
    let host = fleet.host(0);
    let target = key_target(&fleet, host);
    run(&pool, &target, &["true"]).await;
    assert_eq!(pool.stats().connections_open, 1);
    // Closed within 2.5 s of going idle (idle_close is 1 s).
    wait_until_async(
        "the pool to close its idle connection",
        Duration::from_millis(2500),
        || pool.stats().connections_open == 0,
    )
    .await;
    assert_eq!(pool.stats().connections_open, 0);
    wait_until(
        "sshd sees the connection closed",
        Duration::from_secs(5),
        || host.established_ssh_connections() == 0,
    );
    run(&pool, &target, &["true"]).await;
    assert_eq!(pool.stats().connections_opened, 2);
}

#[tokio::test]
async fn bad_requests_are_refused_before_connecting() {
    let (pool, _) = pool();
    let target = Target {
        host: "192.0.2.254".into(),
        port: 22,
        username: "x".into(),
        auth: Auth::Password("secret".into()),
        host_key_id: "x".into(),
    };
    for argv in [vec![], vec![String::new()], vec!["a\0b".to_string()]] {
        let req = ExecRequest {
            argv,
            ..ExecRequest::default()
        };
        let err = pool.exec(&target, &req).await.expect_err("invalid");
        assert!(matches!(err, SshError::InvalidRequest(_)), "{err:?}");
    }
    assert_eq!(pool.stats().connections_opened, 0);
}
