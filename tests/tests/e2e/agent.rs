//! The real agent reporting to the real hub.

use std::os::unix::process::ExitStatusExt as _;
use std::time::Duration;

use chrono::Utc;
use homelabcmd_e2e::{Agent, AgentOptions, Hub, agent_print_once, contract, parse_ts, wait_for};
use serde_json::Value;

#[test]
fn agent_reports_and_its_server_is_online_with_metrics() {
    let hub = Hub::start_default();
    let api = hub.api();
    let id = "e2e-agent-host";
    let started = Utc::now();
    let mut agent = Agent::start(AgentOptions::for_hub(&hub, id));

    let server = wait_for(
        "the agent's server to be online with metrics",
        Duration::from_secs(30),
        || {
            let s = api.server(id)?;
            (s["status"] == "online" && s["latest_metrics"]["cpu_percent"].is_number()).then_some(s)
        },
    );
    contract::assert_conforms(&server, "ServerResponse");
    assert!(
        server["hostname"].as_str().is_some_and(|h| !h.is_empty()),
        "{server}"
    );
    assert!(server["guid"].is_string(), "agent sends its guid: {server}");
    assert!(server["agent_version"].is_string(), "{server}");
    let m = &server["latest_metrics"];
    for pct in ["cpu_percent", "memory_percent", "disk_percent"] {
        let v = m[pct]
            .as_f64()
            .unwrap_or_else(|| panic!("{pct} missing: {m}"));
        assert!((0.0..=100.0).contains(&v), "{pct} = {v}");
    }
    assert!(
        m["memory_total_mb"].as_i64().is_some_and(|v| v > 0),
        "memory_total_mb: {m}"
    );
    assert!(
        m["uptime_seconds"].as_i64().is_some_and(|v| v > 0),
        "uptime_seconds: {m}"
    );

    // History fills up at the agent's interval.
    let history = wait_for(
        "three points in the 24h history",
        Duration::from_secs(30),
        || {
            let h = api
                .get(&format!("/api/v1/servers/{id}/metrics?range=24h"))
                .expect_json(200);
            (h["total_points"].as_u64()? >= 3).then_some(h)
        },
    );
    contract::assert_conforms(&history, "MetricsHistoryResponse");
    assert_eq!(history["server_id"], id);
    assert_eq!(history["range"], "24h");
    let points = history["data_points"].as_array().unwrap();
    assert_eq!(history["total_points"].as_u64(), Some(points.len() as u64));
    let stamps: Vec<_> = points
        .iter()
        .map(|p| parse_ts(p["timestamp"].as_str().unwrap()))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "points in time order: {stamps:?}"
    );
    let now = Utc::now();
    for t in &stamps {
        assert!(
            *t >= started - chrono::Duration::seconds(5) && *t <= now,
            "point at {t} outside the test's lifetime ({started}..{now})"
        );
    }
    assert!(
        points.iter().all(|p| p["cpu_percent"].is_number()),
        "{history}"
    );

    // Sparkline and CSV export see the same samples.
    let spark = api
        .get(&format!(
            "/api/v1/servers/{id}/metrics/sparkline?metric=cpu_percent&period=30m"
        ))
        .expect_json(200);
    contract::assert_conforms(&spark, "SparklineResponse");
    assert_eq!(spark["metric"], "cpu_percent");
    assert_eq!(spark["period"], "30m");
    assert!(
        spark["data"].as_array().is_some_and(|d| d.len() >= 3),
        "sparkline data: {spark}"
    );

    let csv = api
        .get(&format!(
            "/api/v1/servers/{id}/metrics/export?range=24h&format=csv"
        ))
        .expect(200);
    let mut lines = csv.text.lines();
    let header = lines.next().unwrap_or_default();
    for col in ["timestamp", "cpu_percent", "memory_percent", "disk_percent"] {
        assert!(header.contains(col), "CSV header {header:?} lacks {col}");
    }
    assert!(lines.count() >= 3, "CSV rows:\n{}", csv.text);

    // SIGTERM is a clean shutdown, not something we had to SIGKILL.
    let status = agent.stop().expect("agent was running");
    assert_ne!(
        status.signal(),
        Some(9),
        "agent ignored SIGTERM for 15 s:\n{}",
        agent.log()
    );
}

#[test]
fn agent_print_once_emits_a_contract_heartbeat_and_sends_nothing() {
    let hub = Hub::start_default();
    let api = hub.api();
    let hb = agent_print_once(&[
        ("HOMELAB_AGENT_HUB_URL", hub.url()),
        ("HOMELAB_AGENT_API_KEY", hub.api_key()),
        ("HOMELAB_AGENT_SERVER_ID", "print-once-host"),
    ]);
    contract::assert_conforms(&hb, "HeartbeatRequest");
    assert_eq!(hb["server_id"], "print-once-host");
    let ts = parse_ts(hb["timestamp"].as_str().expect("timestamp"));
    assert!(
        (Utc::now() - ts).num_seconds().abs() < 60,
        "timestamp {ts} is not now"
    );
    for f in ["cpu_percent", "memory_percent", "disk_percent"] {
        assert!(hb["metrics"][f].is_number(), "metrics.{f}: {hb}");
    }

    // --print sends nothing (the agent has exited by now)...
    assert_eq!(api.servers(), Vec::<Value>::new(), "--print must not send");

    // ...and what it printed is exactly what the hub accepts.
    let resp = api.heartbeat(&hb).expect_json(200);
    assert_eq!(resp["server_registered"], true, "{resp}");
    assert!(api.server("print-once-host").is_some());
}
