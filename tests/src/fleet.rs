//! A real test fleet on this machine: N hosts, each a network namespace with
//! its own IP and a real OpenSSH `sshd` on port 22.
//!
//! ```text
//!   root namespace                      namespace hlc<pid>h<i>
//!   hlc<pid>r<i>  10.201.x.1/30  <-veth->  hlc<pid>n<i>  10.201.x.2/30
//!                                          /usr/sbin/sshd -D -e -f <own config>
//! ```
//!
//! Users are system-wide (a namespace isolates only the network), created
//! once and idempotently under a file lock so parallel test processes agree:
//! - [`KEY_USER`] logs in with the fleet's generated key (each fleet's sshd
//!   config points `AuthorizedKeysFile` at the fleet's own directory, so
//!   fleets never share a keys file) and has passwordless sudo;
//! - [`PASSWORD_USER`] logs in with [`PASSWORD_USER_PASSWORD`] and sudo
//!   asks for that password.
//!
//! Both users' `~/.profile` prints [`PROFILE_NOISE`] and `~/.bashrc` prints
//! [`BASHRC_NOISE`] after Debian's usual "not interactive: return" guard, so
//! tests can prove command output is not polluted by shell start-up files.
//!
//! Everything (sshd processes and whatever runs in the namespace, namespaces,
//! veths, temp dirs, the subnet reservation) is removed in `Drop`, panics
//! included. Leftovers of a killed test process are swept at the next start.
//! Needs root, `ip` (iproute2), `tc`, `ssh-keygen` and `/usr/sbin/sshd`
//! (`scripts/test` installs them): see [`Fleet::start_or_skip`].

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// User that logs in with the fleet's key and has passwordless sudo.
pub const KEY_USER: &str = "homelabcmd";
/// User that logs in with a password; sudo asks for the same password.
pub const PASSWORD_USER: &str = "hlc-password";
/// [`PASSWORD_USER`]'s login and sudo password. A constant because the user
/// is shared by every fleet on the machine, parallel processes included.
pub const PASSWORD_USER_PASSWORD: &str = "hlc-Test-pw-7c1e 'quoted' $x";
/// Passphrase of [`Fleet::encrypted_client_key_path`].
pub const CLIENT_KEY_PASSPHRASE: &str = "hlc-key-passphrase";
/// What every test user's `~/.profile` prints on stdout.
pub const PROFILE_NOISE: &str = "HLC-PROFILE-NOISE";
/// What every test user's `~/.bashrc` prints on stdout (interactive shells only).
pub const BASHRC_NOISE: &str = "HLC-BASHRC-NOISE";

const SSHD: &str = "/usr/sbin/sshd";
/// Namespaces, veths and subnet reservations all start with this.
const PREFIX: &str = "hlc";
/// Subnet reservations (one file per /30, holding the owner's pid) and the lock.
const STATE_DIR: &str = "/run/homelabcmd-fleet";
/// 10.201.0.0/16 holds 16384 /30 subnets.
const SUBNETS: u32 = 16384;

/// Hosts created by this process so far: keeps names unique across fleets.
static NEXT_HOST: AtomicUsize = AtomicUsize::new(0);

/// Why the fleet cannot run here, or `None` if it can.
pub fn unavailable_reason() -> Option<String> {
    // Real uid 0, read from /proc (no libc call needed).
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let is_root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !is_root {
        return Some("not running as root (network namespaces need it)".into());
    }
    for (tool, path) in [("ip", "ip"), ("tc", "tc"), ("ssh-keygen", "ssh-keygen")] {
        if !command_exists(path) {
            return Some(format!(
                "`{tool}` not found (install iproute2 / openssh-client)"
            ));
        }
    }
    if !Path::new(SSHD).is_file() {
        return Some(format!("{SSHD} not found (install openssh-server)"));
    }
    if !command_exists("sudo") {
        return Some("`sudo` not found (install sudo)".into());
    }
    None
}

fn command_exists(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Run a command, panic with its output if it fails.
fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run a command, ignore failures (teardown, idempotent steps).
fn run_quiet(cmd: &mut Command) -> Option<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .ok()
}

fn ip(args: &[&str]) -> Output {
    run(Command::new("ip").args(args))
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The pids of every process in namespace `ns`.
fn netns_pids(ns: &str) -> Vec<u32> {
    run_quiet(Command::new("ip").args(["netns", "pids", ns]))
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// SIGKILL every process in our namespace `ns` (sshd, its sessions and the
/// commands they run: all started by this fleet), by pid.
fn kill_netns_processes(ns: &str) {
    for _ in 0..50 {
        let pids = netns_pids(ns);
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Exclusive lock on `STATE_DIR/lock` for the guard's lifetime (user
/// creation, subnet reservation, the stale sweep).
fn state_lock() -> File {
    fs::create_dir_all(STATE_DIR).expect("create fleet state dir");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(Path::new(STATE_DIR).join("lock"))
        .expect("open fleet lock file");
    f.lock().expect("lock fleet state");
    f
}

/// Remove namespaces, veths and subnet reservations left by test processes
/// that died without dropping their fleet. Caller holds the state lock.
fn sweep_stale() {
    let owner_alive = |name: &str| -> bool {
        // hlc<pid>h<i> / hlc<pid>r<i>: the digits after the prefix.
        let digits: String = name[PREFIX.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse::<u32>().is_ok_and(pid_alive)
    };
    if let Some(out) = run_quiet(Command::new("ip").args(["netns", "list"])) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            if name.starts_with(PREFIX) && name.contains('h') && !owner_alive(name) {
                eprintln!("fleet: removing stale namespace {name}");
                kill_netns_processes(name);
                let _ = run_quiet(Command::new("ip").args(["netns", "del", name]));
            }
        }
    }
    if let Some(out) = run_quiet(Command::new("ip").args(["-o", "link", "show"])) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // "12: hlc123r0@if11: <...>"
            let Some(name) = line
                .split(':')
                .nth(1)
                .map(|s| s.trim().split('@').next().unwrap_or(""))
            else {
                continue;
            };
            if name.starts_with(PREFIX) && name.contains('r') && !owner_alive(name) {
                let _ = run_quiet(Command::new("ip").args(["link", "del", name]));
            }
        }
    }
    if let Ok(entries) = fs::read_dir(STATE_DIR) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("subnet-") {
                let owner = fs::read_to_string(e.path())
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                if !owner.is_some_and(pid_alive) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Reserve a free /30 in 10.201.0.0/16 for this process. Caller holds the lock.
fn reserve_subnet() -> u32 {
    for k in 0..SUBNETS {
        let path = Path::new(STATE_DIR).join(format!("subnet-{k}"));
        if let Ok(mut f) = OpenOptions::new().write(true).create_new(true).open(&path) {
            let _ = write!(f, "{}", std::process::id());
            return k;
        }
    }
    panic!("fleet: all {SUBNETS} test subnets are reserved (see {STATE_DIR})");
}

fn subnet_addr(k: u32, host: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 201, 0, 0)) + 4 * k + host)
}

/// Create the test users, their rc files and sudoers drop-in if missing.
/// Caller holds the state lock, so parallel processes do this once.
fn ensure_users() {
    for user in [KEY_USER, PASSWORD_USER] {
        let exists = Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !exists.is_ok_and(|s| s.success()) {
            run(Command::new("useradd").args(["--create-home", "--shell", "/bin/bash", user]));
        }
        let home = PathBuf::from(format!("/home/{user}"));
        fs::create_dir_all(&home).expect("home dir");
        // Debian's default .bashrc returns early when not interactive; the
        // noise after the guard proves we do not run an interactive shell.
        let bashrc = format!(
            "# homelabcmd test fleet\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\necho {BASHRC_NOISE}\n"
        );
        let profile = format!("# homelabcmd test fleet\necho {PROFILE_NOISE}\n");
        for (name, text) in [(".bashrc", bashrc), (".profile", profile)] {
            let path = home.join(name);
            if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                fs::write(&path, text).expect("write rc file");
            }
        }
        run(Command::new("chown").args(["-R", &format!("{user}:{user}"), &home.to_string_lossy()]));
    }
    // Set every time: cheap, and repairs a password changed by hand.
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn chpasswd");
    chpasswd
        .stdin
        .take()
        .expect("chpasswd stdin")
        .write_all(format!("{PASSWORD_USER}:{PASSWORD_USER_PASSWORD}\n").as_bytes())
        .expect("write chpasswd");
    assert!(
        chpasswd.wait().expect("chpasswd").success(),
        "chpasswd failed"
    );
    // The key user needs a usable (not locked "!") password field for sshd
    // with UsePAM no; "*" means no password login but not locked.
    run(Command::new("usermod").args(["-p", "*", KEY_USER]));

    let sudoers = format!(
        "# homelabcmd test fleet (tests/src/fleet.rs)\n\
         {KEY_USER} ALL=(ALL) NOPASSWD: ALL\n\
         {PASSWORD_USER} ALL=(ALL) ALL\n\
         Defaults:{PASSWORD_USER} !lecture, passwd_tries=1\n"
    );
    let path = Path::new("/etc/sudoers.d/homelabcmd-test-fleet");
    if fs::read_to_string(path).ok().as_deref() != Some(sudoers.as_str()) {
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, &sudoers).expect("write sudoers");
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o440)).expect("chmod sudoers");
        run(Command::new("visudo").args(["-c", "-f", &tmp.to_string_lossy()]));
        fs::rename(&tmp, path).expect("install sudoers drop-in");
    }
}

fn keygen(path: &Path, passphrase: &str, comment: &str) {
    let _ = fs::remove_file(path);
    let _ = fs::remove_file(path.with_extension("pub"));
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f"])
        .arg(path));
}

/// A set of test hosts. See the module docs.
pub struct Fleet {
    hosts: Vec<Host>,
    dir: TempDir,
}

impl Fleet {
    /// Start `n` hosts, or panic with what went wrong. Call
    /// [`Fleet::start_or_skip`] from tests.
    pub fn start(n: usize) -> Fleet {
        if let Some(reason) = unavailable_reason() {
            panic!("test fleet unavailable: {reason}");
        }
        let dir = tempfile::Builder::new()
            .prefix("hlc-fleet-")
            .tempdir()
            .expect("fleet temp dir");
        // sshd reads AuthorizedKeysFile as the logging-in user.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("chmod fleet dir");
        keygen(&dir.path().join("client_key"), "", "hlc-fleet-client");
        keygen(
            &dir.path().join("client_key_encrypted"),
            CLIENT_KEY_PASSPHRASE,
            "hlc-fleet-enc",
        );
        let keys_dir = dir.path().join("authorized_keys");
        fs::create_dir(&keys_dir).expect("authorized_keys dir");
        let mut authorized =
            fs::read_to_string(dir.path().join("client_key.pub")).expect("pub key");
        authorized +=
            &fs::read_to_string(dir.path().join("client_key_encrypted.pub")).expect("pub key");
        fs::write(keys_dir.join(KEY_USER), authorized).expect("write authorized_keys");
        fs::write(keys_dir.join(PASSWORD_USER), "").expect("write authorized_keys");
        for entry in fs::read_dir(&keys_dir).expect("list keys").flatten() {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o644))
                .expect("chmod keys");
        }
        fs::create_dir_all("/run/sshd").expect("sshd privilege separation dir");

        let mut fleet = Fleet {
            hosts: Vec::new(),
            dir,
        };
        let reserved: Vec<u32> = {
            let _lock = state_lock();
            sweep_stale();
            ensure_users();
            (0..n).map(|_| reserve_subnet()).collect()
        };
        // Hosts are pushed as they come up, so a failure half-way tears down
        // the ones already made (Drop).
        for subnet in reserved {
            let index = NEXT_HOST.fetch_add(1, Ordering::Relaxed);
            let host = Host::create(fleet.dir.path(), index, subnet);
            fleet.hosts.push(host);
        }
        for host in &mut fleet.hosts {
            host.start_sshd();
        }
        fleet
    }

    /// Start `n` hosts, or print a loud message and return `None` when this
    /// machine cannot run them (not root, no iproute2/sshd). Under CI
    /// (`CI` set) missing prerequisites are a failure, not a skip.
    pub fn start_or_skip(n: usize) -> Option<Fleet> {
        if let Some(reason) = unavailable_reason() {
            if std::env::var_os("CI").is_some() {
                panic!("test fleet unavailable under CI: {reason}");
            }
            eprintln!(
                "\n!!!!!!!!!! SKIPPED: test fleet unavailable: {reason}. \
                 Run as root after scripts/test installed iproute2, openssh-server, sudo. !!!!!!!!!!\n"
            );
            return None;
        }
        Some(Fleet::start(n))
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// For the host operations that change it (restart, key rotation, latency).
    pub fn hosts_mut(&mut self) -> &mut [Host] {
        &mut self.hosts
    }

    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[i]
    }

    /// Unencrypted ed25519 private key accepted for [`KEY_USER`] on every host.
    pub fn client_key_path(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    /// The same key's OpenSSH PEM text.
    pub fn client_private_key_pem(&self) -> String {
        fs::read_to_string(self.client_key_path()).expect("read client key")
    }

    /// A second accepted key, encrypted with [`CLIENT_KEY_PASSPHRASE`].
    pub fn encrypted_client_key_path(&self) -> PathBuf {
        self.dir.path().join("client_key_encrypted")
    }

    /// A directory for the test's own files, removed with the fleet.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A directory for files the hosts manage (they share this machine's
    /// filesystem): `name` in the fleet's directory, which is made
    /// traversable so the SSH users reach it. Give its content to
    /// [`KEY_USER`] with [`give_to_key_user`] once written.
    pub fn shared_dir(&self, name: &str) -> PathBuf {
        let dir = self.dir().join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(self.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }
}

/// `chown -R` [`KEY_USER`]: the fleet's key user owns what is under `path`.
pub fn give_to_key_user(path: &Path) {
    let ok = Command::new("chown")
        .args(["-R", &format!("{KEY_USER}:{KEY_USER}")])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chown -R {KEY_USER} {}", path.display());
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for host in &mut self.hosts {
            host.teardown();
        }
    }
}

/// One test host: a namespace, a veth pair and an sshd.
pub struct Host {
    index: usize,
    ns: String,
    root_veth: String,
    ns_veth: String,
    subnet: u32,
    dir: PathBuf,
    sshd: Option<Child>,
    torn_down: bool,
}

impl Host {
    fn create(fleet_dir: &Path, index: usize, subnet: u32) -> Host {
        let pid = std::process::id();
        let dir = fleet_dir.join(format!("host{index}"));
        fs::create_dir(&dir).expect("host dir");
        let host = Host {
            index,
            ns: format!("{PREFIX}{pid}h{index}"),
            root_veth: format!("{PREFIX}{pid}r{index}"),
            ns_veth: format!("{PREFIX}{pid}n{index}"),
            subnet,
            dir,
            sshd: None,
            torn_down: false,
        };
        ip(&["netns", "add", &host.ns]);
        ip(&[
            "link",
            "add",
            &host.root_veth,
            "type",
            "veth",
            "peer",
            "name",
            &host.ns_veth,
        ]);
        ip(&["link", "set", &host.ns_veth, "netns", &host.ns]);
        ip(&[
            "addr",
            "add",
            &format!("{}/30", host.gateway_ip()),
            "dev",
            &host.root_veth,
        ]);
        ip(&["link", "set", &host.root_veth, "up"]);
        let ns = host.ns.as_str();
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("{}/30", host.ip()),
            "dev",
            &host.ns_veth,
        ]);
        ip(&["-n", ns, "link", "set", &host.ns_veth, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
        ip(&[
            "-n",
            ns,
            "route",
            "add",
            "default",
            "via",
            &host.gateway_ip().to_string(),
        ]);
        keygen(&host.host_key_path(), "", &format!("hlc-host-{index}"));
        host.write_sshd_config(fleet_dir);
        host
    }

    fn host_key_path(&self) -> PathBuf {
        self.dir.join("ssh_host_ed25519_key")
    }

    fn write_sshd_config(&self, fleet_dir: &Path) {
        let config = format!(
            "# homelabcmd test fleet host {index}\n\
             ListenAddress {ip}:22\n\
             HostKey {key}\n\
             PidFile {dir}/sshd.pid\n\
             UsePAM no\n\
             PasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             PermitRootLogin no\n\
             AuthorizedKeysFile {fleet}/authorized_keys/%u\n\
             StrictModes no\n\
             AllowUsers {KEY_USER} {PASSWORD_USER}\n\
             MaxStartups 200:30:400\n\
             PrintMotd no\n\
             LogLevel VERBOSE\n",
            index = self.index,
            ip = self.ip(),
            key = self.host_key_path().display(),
            dir = self.dir.display(),
            fleet = fleet_dir.display(),
        );
        fs::write(self.dir.join("sshd_config"), config).expect("write sshd_config");
    }

    fn start_sshd(&mut self) {
        let log = File::create(self.dir.join("sshd.log")).expect("sshd log");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns, SSHD, "-D", "-e", "-f"])
            .arg(self.dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .spawn()
            .expect("spawn sshd");
        self.sshd = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.sshd.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!(
                    "sshd on {} exited ({status}):\n{}",
                    self.ns,
                    self.sshd_log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "sshd on {} not listening after 15 s:\n{}",
                self.ns,
                self.sshd_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop_sshd(&mut self) {
        kill_netns_processes(&self.ns);
        if let Some(mut child) = self.sshd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// This host's sshd log (stderr of `sshd -e`).
    pub fn sshd_log(&self) -> String {
        fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// The namespace name.
    pub fn namespace(&self) -> &str {
        &self.ns
    }

    /// The host's address (inside its namespace).
    pub fn ip(&self) -> Ipv4Addr {
        subnet_addr(self.subnet, 2)
    }

    /// The root-namespace end of the link.
    pub fn gateway_ip(&self) -> Ipv4Addr {
        subnet_addr(self.subnet, 1)
    }

    /// sshd's address: `ip():22`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip().into(), 22)
    }

    /// The host key's `SHA256:...` fingerprint, as `ssh-keygen -l` prints it.
    pub fn host_key_fingerprint(&self) -> String {
        let out = run(Command::new("ssh-keygen")
            .arg("-l")
            .arg("-f")
            .arg(self.host_key_path().with_extension("pub")));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .expect("fingerprint in ssh-keygen -l output")
            .to_string()
    }

    /// Run `sh -c cmd` inside the namespace (as root); returns its output.
    pub fn exec_in_ns(&self, cmd: &str) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns, "sh", "-c", cmd])
            .stdin(Stdio::null())
            .output()
            .expect("spawn ip netns exec")
    }

    /// Number of established TCP connections to this host's sshd, counted
    /// inside the namespace with `ss`.
    pub fn established_ssh_connections(&self) -> usize {
        let out = self.exec_in_ns("ss -Htn state established '( sport = :22 )'");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }

    /// Full command lines (`ps -eo args`) of every process in the namespace.
    pub fn process_args(&self) -> Vec<String> {
        netns_pids(&self.ns)
            .into_iter()
            .filter_map(|pid| fs::read(format!("/proc/{pid}/cmdline")).ok())
            .map(|raw| {
                raw.split(|b| *b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Add `ms` of delay to every round trip (netem on the host's side of
    /// the link); 0 removes it. `Err` when the kernel has no netem
    /// (`sch_netem`), as in some VMs: callers should skip what needs it.
    pub fn set_latency(&mut self, ms: u32) -> Result<(), String> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns, "tc", "qdisc"]);
        if ms == 0 {
            cmd.args(["del", "dev", &self.ns_veth, "root"]);
            let _ = run_quiet(&mut cmd);
            return Ok(());
        }
        cmd.args([
            "replace",
            "dev",
            &self.ns_veth,
            "root",
            "netem",
            "delay",
            &format!("{ms}ms"),
        ]);
        let out = run_quiet(&mut cmd).ok_or("could not run tc")?;
        if !out.status.success() {
            return Err(format!(
                "tc netem failed (kernel without sch_netem?): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    }

    /// Take the host's side of the link down, like a pulled cable: packets
    /// to it are dropped silently, so new connections hang (then "no route
    /// to host" once the neighbour entry expires) and open ones stall,
    /// rather than being refused. sshd keeps running.
    pub fn link_down(&self) {
        ip(&["-n", &self.ns, "link", "set", &self.ns_veth, "down"]);
    }

    /// Undo [`Host::link_down`] (the address and route come back with it).
    pub fn link_up(&self) {
        let ns = self.ns.as_str();
        ip(&["-n", ns, "link", "set", &self.ns_veth, "up"]);
        // The default route is dropped while the link is down.
        let _ = run_quiet(Command::new("ip").args([
            "-n",
            ns,
            "route",
            "replace",
            "default",
            "via",
            &self.gateway_ip().to_string(),
        ]));
    }

    /// Kill sshd and every session it serves, then start it again (same
    /// host key). Clients see their connections reset.
    pub fn restart_sshd(&mut self) {
        self.stop_sshd();
        self.start_sshd();
    }

    /// Generate a new host key and restart sshd with it (existing
    /// connections are cut, so clients must reconnect and see the new key).
    pub fn rotate_host_key(&mut self) {
        self.stop_sshd();
        keygen(
            &self.host_key_path(),
            "",
            &format!("hlc-host-{}-rotated", self.index),
        );
        self.start_sshd();
    }

    fn teardown(&mut self) {
        if self.torn_down {
            return;
        }
        self.torn_down = true;
        self.stop_sshd();
        let _ = run_quiet(Command::new("ip").args(["netns", "del", &self.ns]));
        let _ = run_quiet(Command::new("ip").args(["link", "del", &self.root_veth]));
        let _ = fs::remove_file(Path::new(STATE_DIR).join(format!("subnet-{}", self.subnet)));
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.teardown();
    }
}
