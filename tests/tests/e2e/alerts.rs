//! Alerts end to end: the real hub process, heartbeats posted over HTTP, and
//! a fake Slack incoming webhook in this test process that records every
//! POST. Each case asserts what a person would see in Slack: how many
//! messages arrive, and that each names the severity, machine, metric, value,
//! threshold and the dashboard link (`HOMELAB_CMD_EXTERNAL_URL`, which the
//! harness sets to a fixed dashboard address, not the API's own).
//!
//! Timers are shortened (`HOMELAB_CMD_ALERT_CHECK_INTERVAL_SECONDS=1`, an
//! offline threshold of 5 s, CPU sustained 2 s) so the file runs in seconds.
//! Every test has its own hub and its own receiver, so they run in parallel.
//!
//! The receiver is a few lines of HTTP/1.1 over `std::net` rather than axum:
//! the hub's client (reqwest) sends a `Content-Length` body, which is all it
//! has to understand, and this crate needs no async runtime for it.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use homelabcmd_e2e::{Api, Hub, HubOptions, fixture_json, wait_for};
use serde_json::{Value, json};

/// How long a notification may take to arrive. Generous: debug builds on two
/// cores with other tests running; the hub's own target is seconds.
const ARRIVAL: Duration = Duration::from_secs(30);
/// How long "nothing else happens" is watched: several alert-timer ticks
/// (1 s) and worker polls (1 s).
const QUIET: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------
// Fake Slack
// ---------------------------------------------------------------------------

/// How the receiver refuses a request while it is told to fail.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// `500 Internal Server Error`.
    Status500,
    /// Read the request, then close the connection without an answer (a
    /// receiver that crashed mid-request).
    HangUp,
}

/// One request the fake Slack received.
#[derive(Debug, Clone)]
struct Post {
    at: Instant,
    method: String,
    path: String,
    /// What we answered: 200, 500, or 0 for a hang-up.
    status: u16,
    /// The body as JSON (a JSON string holding the raw text if it was not).
    body: Value,
}

impl Post {
    fn delivered(&self) -> bool {
        self.status == 200
    }

    /// The message's fallback text, which is also its headline.
    fn text(&self) -> &str {
        self.body["text"].as_str().unwrap_or_default()
    }

    /// The first block's text: the Block Kit header.
    fn header(&self) -> &str {
        assert_eq!(self.body["blocks"][0]["type"], "header", "{}", self.body);
        self.body["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap_or_default()
    }

    /// Section fields by name: `*Severity*\n🔴 Critical` → `Severity` → `🔴 Critical`.
    fn fields(&self) -> BTreeMap<String, String> {
        let blocks = self.body["blocks"].as_array().cloned().unwrap_or_default();
        blocks
            .iter()
            .filter_map(|b| b["fields"].as_array())
            .flatten()
            .filter_map(|f| f["text"].as_str())
            .filter_map(|t| {
                let (name, value) = t.split_once('\n')?;
                Some((name.trim_matches('*').to_owned(), value.to_owned()))
            })
            .collect()
    }

    /// The URL of the *Open machine* button, if there is one.
    fn button_url(&self) -> Option<&str> {
        self.body["blocks"]
            .as_array()?
            .iter()
            .find(|b| b["type"] == "actions")?["elements"][0]["url"]
            .as_str()
    }
}

#[derive(Default)]
struct SlackState {
    posts: Vec<Post>,
    /// Refuse this many more requests ...
    fail_next: u32,
    /// ... this way.
    fault: Option<Fault>,
}

/// An incoming-webhook receiver on 127.0.0.1: records every request and
/// answers `ok` like Slack, or fails the next N on request.
struct FakeSlack {
    addr: SocketAddr,
    state: Arc<Mutex<SlackState>>,
    stopping: Arc<AtomicBool>,
}

impl FakeSlack {
    fn start() -> FakeSlack {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake Slack");
        let addr = listener.local_addr().expect("fake Slack address");
        let state = Arc::new(Mutex::new(SlackState::default()));
        let stopping = Arc::new(AtomicBool::new(false));
        let (st, stop) = (state.clone(), stopping.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let st = st.clone();
                    std::thread::spawn(move || serve_connection(conn, &st));
                }
            }
        });
        FakeSlack {
            addr,
            state,
            stopping,
        }
    }

    /// The webhook URL to configure.
    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, SlackState> {
        self.state.lock().expect("fake Slack state")
    }

    /// Refuse the next `n` requests with `fault`, then accept again.
    fn fail_next(&self, n: u32, fault: Fault) {
        let mut s = self.lock();
        s.fail_next = n;
        s.fault = Some(fault);
    }

    /// Accept everything from now on.
    fn heal(&self) {
        self.lock().fail_next = 0;
    }

    /// Every request so far, in arrival order.
    fn posts(&self) -> Vec<Post> {
        self.lock().posts.clone()
    }

    /// The requests answered 200.
    fn delivered(&self) -> Vec<Post> {
        self.posts().into_iter().filter(Post::delivered).collect()
    }

    /// Wait until `n` messages were delivered; returns all delivered so far.
    fn wait_delivered(&self, n: usize, what: &str) -> Vec<Post> {
        wait_for(what, ARRIVAL, || {
            let d = self.delivered();
            (d.len() >= n).then_some(d)
        })
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        // Wake the accept loop so it sees the flag and ends.
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Answer one keep-alive connection's requests until the peer closes it.
fn serve_connection(stream: TcpStream, state: &Mutex<SlackState>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut content_length = 0usize;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let answer = {
            let mut s = state.lock().expect("fake Slack state");
            let answer = match s.fault {
                Some(fault) if s.fail_next > 0 => {
                    s.fail_next -= 1;
                    Some(fault)
                }
                _ => None,
            };
            let status = match answer {
                None => 200,
                Some(Fault::Status500) => 500,
                Some(Fault::HangUp) => 0,
            };
            s.posts.push(Post {
                at: Instant::now(),
                method,
                path,
                status,
                body: serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into())),
            });
            answer
        };
        let response = match answer {
            None => "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
            Some(Fault::Status500) => {
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\
                 Content-Length: 14\r\n\r\ninternal_error"
            }
            Some(Fault::HangUp) => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        };
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// Hub, machines, checks
// ---------------------------------------------------------------------------

/// Where the Slack URL comes from.
enum SlackConfig {
    /// `SLACK_WEBHOOK_URL` in the hub's environment.
    Env,
    /// `PUT /api/v1/config/notifications` after start.
    Settings,
}

/// A hub that checks alerts every second and posts to `slack`.
fn hub_for(slack: &FakeSlack, how: SlackConfig) -> Hub {
    let mut env = vec![(
        "HOMELAB_CMD_ALERT_CHECK_INTERVAL_SECONDS".to_owned(),
        "1".to_owned(),
    )];
    let mut unset = Vec::new();
    match how {
        SlackConfig::Env => env.push(("SLACK_WEBHOOK_URL".to_owned(), slack.url())),
        // A developer's own webhook must never receive test alerts.
        SlackConfig::Settings => unset.push("SLACK_WEBHOOK_URL".to_owned()),
    }
    let hub = Hub::start(HubOptions {
        env,
        unset,
        ..Default::default()
    });
    if let SlackConfig::Settings = how {
        hub.api()
            .put(
                "/api/v1/config/notifications",
                &json!({ "slack_webhook_url": slack.url() }),
            )
            .expect(200);
    }
    hub
}

/// One simulated machine: the sample heartbeat from `tests/fixtures` with
/// its own id and metrics, at strictly increasing times (the hub keeps one
/// sample per machine and time, and ignores older ones for alerting).
struct Machine {
    id: String,
    last: DateTime<Utc>,
    uptime: u64,
}

impl Machine {
    fn new(id: &str) -> Machine {
        Machine {
            id: id.to_owned(),
            last: DateTime::<Utc>::MIN_UTC,
            uptime: 10_000,
        }
    }

    /// Display name in messages: the hostname, as no display name is set.
    fn name(&self) -> String {
        format!("{}.lan", self.id)
    }

    /// The machine's dashboard link, as the hub builds it.
    fn link(&self, hub: &Hub) -> String {
        format!("{}/servers/{}", hub.external_url(), self.id)
    }

    /// Post one heartbeat with these CPU and root-disk percentages.
    fn report(&mut self, api: &Api, cpu: f64, disk: f64) {
        let now = Utc::now().max(self.last + chrono::Duration::milliseconds(1));
        self.last = now;
        self.uptime += 1;
        let mut hb = fixture_json("heartbeat-sample.json");
        let o = hb.as_object_mut().expect("sample heartbeat is an object");
        // Matched by id: the sample's guid would make every machine one.
        o.remove("server_guid");
        o.insert("server_id".into(), json!(self.id));
        o.insert("hostname".into(), json!(self.name()));
        o.insert("timestamp".into(), json!(now.to_rfc3339()));
        // Below the security-update rule, so only the alerts under test open.
        o.insert("security_updates".into(), json!(0));
        let m = &mut o["metrics"];
        m["cpu_percent"] = json!(cpu);
        m["disk_percent"] = json!(disk);
        m["uptime_seconds"] = json!(self.uptime);
        api.heartbeat(&hb).expect(200);
    }

    /// Post a heartbeat with normal CPU and this disk usage.
    fn disk(&mut self, api: &Api, disk: f64) {
        self.report(api, 10.0, disk);
    }
}

/// The machine's alerts, newest first.
fn alerts(api: &Api, server_id: &str) -> Vec<Value> {
    let v = api
        .get(&format!("/api/v1/alerts?server_id={server_id}"))
        .expect_json(200);
    v["alerts"]
        .as_array()
        .unwrap_or_else(|| panic!("alerts list without `alerts`: {v}"))
        .clone()
}

/// Watch for `duration` that nothing unexpected happens: `problem` describes
/// what went wrong, or answers `None` while all is well.
fn stays_quiet(what: &str, duration: Duration, mut problem: impl FnMut() -> Option<String>) {
    let end = Instant::now() + duration;
    loop {
        if let Some(p) = problem() {
            panic!("{what}: {p}");
        }
        if Instant::now() >= end {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `problem` for [`stays_quiet`]: the receiver got anything but `expected` requests.
fn count_is(slack: &FakeSlack, expected: usize) -> Option<String> {
    let posts = slack.posts();
    (posts.len() != expected).then(|| {
        let texts: Vec<(u16, &str)> = posts.iter().map(|p| (p.status, p.text())).collect();
        format!(
            "expected {expected} Slack requests, got {}: {texts:?}",
            posts.len()
        )
    })
}

/// What one Slack message must say.
struct Expect<'a> {
    /// The whole header, e.g. `🔴 Critical: Disk usage critical on nas.lan`.
    header: String,
    /// Section fields that must be present with exactly these values.
    fields: &'a [(&'a str, &'a str)],
}

/// Assert `post` is a Block Kit message for `m` saying what `e` says, with
/// the machine, the time and the dashboard link.
#[track_caller]
fn assert_message(post: &Post, hub: &Hub, m: &Machine, e: &Expect<'_>) {
    assert_eq!(
        (post.method.as_str(), post.path.as_str()),
        ("POST", "/hook")
    );
    assert_eq!(post.header(), e.header, "header of {}", post.body);
    assert_eq!(post.text(), e.header, "fallback text of {}", post.body);
    let fields = post.fields();
    let machine = format!("{} (`{}`)", m.name(), m.id);
    let mut expected: Vec<(&str, &str)> = vec![("Machine", &machine)];
    expected.extend_from_slice(e.fields);
    for (name, value) in expected {
        assert_eq!(
            fields.get(name).map(String::as_str),
            Some(value),
            "field {name} of {}",
            post.body
        );
    }
    assert!(
        fields.get("Time").is_some_and(|t| t.starts_with("<!date^")),
        "no Time field: {}",
        post.body
    );
    assert_eq!(
        post.button_url(),
        Some(m.link(hub).as_str()),
        "link of {}",
        post.body
    );
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

#[test]
fn a_full_disk_posts_once_when_it_opens_and_once_when_it_clears() {
    let slack = FakeSlack::start();
    let hub = hub_for(&slack, SlackConfig::Env);
    let api = hub.api();
    let mut nas = Machine::new("disk-nas");

    nas.disk(api, 50.0);
    // Disk is immediate (sustained 0 s); a second sample at 95 % is the same
    // alert, not news.
    nas.disk(api, 95.0);
    nas.disk(api, 95.0);
    let posts = slack.wait_delivered(1, "the opened message");
    assert_message(
        &posts[0],
        &hub,
        &nas,
        &Expect {
            header: format!("🔴 Critical: Disk usage critical on {}", nas.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Metric", "disk"),
                ("Value", "95.0%"),
                ("Threshold", "95.0%"),
            ],
        },
    );
    assert!(
        posts[0]
            .body
            .to_string()
            .contains("Disk at 95.0% (threshold 95%)"),
        "message text: {}",
        posts[0].body
    );
    stays_quiet("while the disk stays full", QUIET, || count_is(&slack, 1));

    nas.disk(api, 50.0);
    let posts = slack.wait_delivered(2, "the resolved message");
    assert_message(
        &posts[1],
        &hub,
        &nas,
        &Expect {
            header: format!("✅ Resolved: Disk usage critical on {}", nas.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Metric", "disk"),
                ("Threshold", "95.0%"),
            ],
        },
    );
    assert!(
        posts[1].body.to_string().contains("cleared by itself"),
        "{}",
        posts[1].body
    );
    stays_quiet("after the disk cleared", QUIET, || count_is(&slack, 2));

    let list = alerts(api, &nas.id);
    assert_eq!(list.len(), 1, "one alert in all: {list:?}");
    assert_eq!(list[0]["alert_type"], "disk_high");
    assert_eq!(list[0]["status"], "resolved");
    assert_eq!(list[0]["auto_resolved"], true);
}

#[test]
fn a_single_cpu_spike_posts_nothing_but_a_sustained_one_does() {
    let slack = FakeSlack::start();
    let hub = hub_for(&slack, SlackConfig::Settings);
    let api = hub.api();
    api.put(
        "/api/v1/config/thresholds",
        &json!({ "cpu": { "sustained_seconds": 2 } }),
    )
    .expect(200);

    // Two lone spikes further apart than the window: each is forgotten by
    // the normal sample after it, so they never add up to a breach.
    let mut spiky = Machine::new("spiky");
    spiky.report(api, 20.0, 40.0);
    spiky.report(api, 99.0, 40.0);
    spiky.report(api, 20.0, 40.0);
    std::thread::sleep(Duration::from_millis(2_500));
    spiky.report(api, 99.0, 40.0);
    spiky.report(api, 20.0, 40.0);
    stays_quiet("after single CPU spikes", QUIET, || {
        let list = alerts(api, &spiky.id);
        if !list.is_empty() {
            return Some(format!("alerts opened: {list:?}"));
        }
        count_is(&slack, 0)
    });
    let pending = api.get("/api/v1/alerts/pending").expect_json(200);
    assert!(
        !pending.to_string().contains("spiky"),
        "the spike is still pending: {pending}"
    );

    // The control: the same hub does post a breach that lasts the window,
    // so the silence above is the rule at work, not a broken channel.
    let mut busy = Machine::new("busy");
    for _ in 0..3 {
        busy.report(api, 99.0, 40.0);
        std::thread::sleep(Duration::from_millis(1_100));
    }
    let posts = slack.wait_delivered(1, "the sustained CPU alert");
    assert_message(
        &posts[0],
        &hub,
        &busy,
        &Expect {
            header: format!("🔴 Critical: CPU usage critical on {}", busy.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Metric", "cpu"),
                ("Value", "99.0%"),
                ("Threshold", "95.0%"),
            ],
        },
    );
    stays_quiet(
        "after the sustained CPU alert",
        Duration::from_secs(1),
        || count_is(&slack, 1),
    );
}

#[test]
fn a_silent_workstation_is_not_offline_but_a_silent_server_is() {
    let slack = FakeSlack::start();
    let hub = hub_for(&slack, SlackConfig::Env);
    let api = hub.api();
    let mut desk = Machine::new("desk");
    let mut rack = Machine::new("rack");
    desk.disk(api, 40.0);
    rack.disk(api, 40.0);
    let v = api
        .put(
            "/api/v1/servers/desk",
            &json!({ "machine_type": "workstation", "offline_threshold_seconds": 5 }),
        )
        .expect_json(200);
    assert_eq!(v["machine_type"], "workstation");
    api.put(
        "/api/v1/servers/rack",
        &json!({ "offline_threshold_seconds": 5 }),
    )
    .expect(200);

    // Both fall silent now, the workstation first.
    desk.disk(api, 40.0);
    let silent_from = Instant::now();
    rack.disk(api, 40.0);
    let posts = slack.wait_delivered(1, "the server's offline message");
    assert!(
        posts[0].at.duration_since(silent_from) >= Duration::from_secs(5),
        "offline after {:?}, before the 5 s threshold",
        posts[0].at.duration_since(silent_from)
    );
    assert_message(
        &posts[0],
        &hub,
        &rack,
        &Expect {
            header: format!("🔴 Critical: Server offline on {}", rack.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Alert", "server_offline"),
                ("Threshold", "5"),
            ],
        },
    );
    stays_quiet("while both stay silent", QUIET, || {
        let list = alerts(api, &desk.id);
        if !list.is_empty() {
            return Some(format!("the workstation has alerts: {list:?}"));
        }
        count_is(&slack, 1)
    });
    let list = alerts(api, &rack.id);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["alert_type"], "server_offline");
    assert_eq!(list[0]["status"], "open");
    assert_ne!(
        api.server("desk").expect("desk exists")["status"],
        "offline"
    );

    // Back: the offline alert resolves with one message.
    rack.disk(api, 40.0);
    let posts = slack.wait_delivered(2, "the server's back-online message");
    assert_eq!(
        posts[1].header(),
        format!("✅ Resolved: Server offline on {}", rack.name())
    );
    assert_eq!(posts[1].button_url(), Some(rack.link(&hub).as_str()));
}

#[test]
fn a_paused_server_records_its_full_disk_but_posts_nothing() {
    let slack = FakeSlack::start();
    let hub = hub_for(&slack, SlackConfig::Env);
    let api = hub.api();
    let mut paused = Machine::new("in-maintenance");
    paused.disk(api, 50.0);
    api.put_empty("/api/v1/servers/in-maintenance/pause")
        .expect(200);
    paused.disk(api, 97.0);

    let list = wait_for("the paused server's disk alert", ARRIVAL, || {
        let list = alerts(api, &paused.id);
        (!list.is_empty()).then_some(list)
    });
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["alert_type"], "disk_high");
    assert_eq!(list[0]["severity"], "critical");
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["actual_value"], 97.0);

    // The control: an active server's full disk is posted, and it is the
    // only message (the worker sends in order, so a message for the paused
    // server would have come first).
    let mut active = Machine::new("active");
    active.disk(api, 50.0);
    active.disk(api, 97.0);
    let posts = slack.wait_delivered(1, "the active server's disk message");
    assert_message(
        &posts[0],
        &hub,
        &active,
        &Expect {
            header: format!("🔴 Critical: Disk usage critical on {}", active.name()),
            fields: &[("Value", "97.0%"), ("Threshold", "95.0%")],
        },
    );
    stays_quiet("with a paused server's alert open", QUIET, || {
        count_is(&slack, 1)
    });
}

#[test]
fn a_failing_receiver_gets_the_message_exactly_once_after_retries() {
    let slack = FakeSlack::start();
    slack.fail_next(3, Fault::Status500);
    let hub = hub_for(&slack, SlackConfig::Env);
    let api = hub.api();
    let mut m = Machine::new("retry-box");
    m.disk(api, 50.0);
    m.disk(api, 96.0);

    // Backoff 1 s, 2 s, 4 s (±20 %): delivered on the fourth attempt.
    slack.wait_delivered(1, "the message after three 500s");
    stays_quiet("after the delivery", QUIET, || count_is(&slack, 4));
    let posts = slack.posts();
    let statuses: Vec<u16> = posts.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    assert!(
        posts.iter().all(|p| p.body == posts[0].body),
        "every attempt carries the same message: {:?}",
        posts.iter().map(|p| &p.body).collect::<Vec<_>>()
    );
    for w in posts.windows(2) {
        let gap = w[1].at.duration_since(w[0].at);
        assert!(
            gap >= Duration::from_millis(700),
            "retried after {gap:?}: a failing receiver is hammered"
        );
    }
    assert_message(
        &posts[3],
        &hub,
        &m,
        &Expect {
            header: format!("🔴 Critical: Disk usage critical on {}", m.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Metric", "disk"),
                ("Value", "96.0%"),
                ("Threshold", "95.0%"),
            ],
        },
    );
}

#[test]
fn a_message_pending_when_the_hub_crashes_is_delivered_once_after_restart() {
    let slack = FakeSlack::start();
    // Down: every request is read and the connection dropped unanswered.
    slack.fail_next(u32::MAX, Fault::HangUp);
    let mut hub = hub_for(&slack, SlackConfig::Env);
    let mut m = Machine::new("crashy");
    m.disk(hub.api(), 50.0);
    m.disk(hub.api(), 98.0);
    wait_for("a failed delivery attempt", ARRIVAL, || {
        (!slack.posts().is_empty()).then_some(())
    });
    assert!(slack.delivered().is_empty());

    hub.kill();
    slack.heal();
    hub.start_again();
    let api = hub.api().clone();

    let posts = slack.wait_delivered(1, "the message after the restart");
    stays_quiet("after the delivery", QUIET, || {
        let n = slack.delivered().len();
        (n != 1).then(|| format!("delivered {n} times"))
    });
    assert_message(
        &posts[0],
        &hub,
        &m,
        &Expect {
            header: format!("🔴 Critical: Disk usage critical on {}", m.name()),
            fields: &[
                ("Severity", "🔴 Critical"),
                ("Metric", "disk"),
                ("Value", "98.0%"),
                ("Threshold", "95.0%"),
            ],
        },
    );
    assert!(
        slack.posts().iter().all(|p| p.body == posts[0].body),
        "every attempt was the same message"
    );
    let list = alerts(&api, &m.id);
    assert_eq!(list.len(), 1, "the restart opened nothing new: {list:?}");
    assert_eq!(list[0]["status"], "open");
}

#[test]
fn a_disk_flapping_around_the_threshold_posts_once() {
    let slack = FakeSlack::start();
    let hub = hub_for(&slack, SlackConfig::Settings);
    let api = hub.api();
    let mut m = Machine::new("flappy");
    for i in 0..10 {
        m.disk(api, if i % 2 == 0 { 79.0 } else { 81.0 });
    }
    let posts = slack.wait_delivered(1, "the high disk message");
    assert_message(
        &posts[0],
        &hub,
        &m,
        &Expect {
            header: format!("🟠 High: Disk usage high on {}", m.name()),
            fields: &[
                ("Severity", "🟠 High"),
                ("Metric", "disk"),
                ("Value", "81.0%"),
                ("Threshold", "80.0%"),
            ],
        },
    );
    stays_quiet("after ten flapping samples", QUIET, || count_is(&slack, 1));
    let list = alerts(api, &m.id);
    assert_eq!(
        list.len(),
        1,
        "one alert, held open by hysteresis: {list:?}"
    );
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["severity"], "high");
}
