//! The hub goes away while an agent runs: the agent buffers its samples on
//! disk and replays them, with their own timestamps, once the hub is back.
//! Every sample must arrive exactly once and none may be lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use homelabcmd_e2e::{Agent, AgentOptions, Api, Hub, wait_for};

/// How long the hub stays down. This is the scenario, not a wait for
/// something to happen.
const OUTAGE: Duration = Duration::from_secs(6);

/// Stored sample times for `id` (empty before the server exists).
fn stored(api: &Api, id: &str) -> Vec<DateTime<Utc>> {
    if api.server(id).is_none() {
        return Vec::new();
    }
    api.exported_timestamps(id)
}

#[test]
fn samples_taken_while_the_hub_is_down_arrive_exactly_once() {
    let mut hub = Hub::start_default();
    let id = "outage-host";
    let mut agent = Agent::start(AgentOptions::for_hub(&hub, id));
    let interval = chrono::Duration::seconds(1);

    wait_for(
        "three samples before the outage",
        Duration::from_secs(30),
        || (stored(hub.api(), id).len() >= 3).then_some(()),
    );

    hub.stop().expect("hub was running");
    let down_at = Utc::now();
    std::thread::sleep(OUTAGE);
    let up_at = Utc::now();
    hub.start_again();
    let api = hub.api().clone();

    // Caught up: the outage window is covered and live samples flow again.
    wait_for(
        "buffered samples replayed and live ones arriving",
        Duration::from_secs(45),
        || {
            let ts = stored(&api, id);
            let in_outage = ts.iter().filter(|t| **t > down_at && **t < up_at).count();
            let live = ts
                .iter()
                .filter(|t| **t > up_at + chrono::Duration::seconds(2))
                .count();
            (in_outage as i64 >= OUTAGE.as_secs() as i64 - 1 && live >= 2).then_some(())
        },
    );

    let status = agent.stop().expect("agent was running");
    let final_ts = stored(&api, id);
    eprintln!(
        "agent exited with {status}; {} samples stored; outage {down_at}..{up_at}",
        final_ts.len()
    );

    // Exactly once: no timestamp stored twice.
    let mut sorted = final_ts.clone();
    sorted.sort();
    let dups: Vec<_> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    assert!(dups.is_empty(), "samples stored twice: {dups:?}");

    // None lost: consecutive samples are about one interval apart, across
    // the outage too. Two intervals would mean a sample went missing; allow
    // scheduling jitter on a busy two-core machine on top of one interval.
    let max_gap = sorted
        .windows(2)
        .map(|w| (w[1] - w[0], w[0]))
        .max_by_key(|(gap, _)| *gap)
        .expect("at least two samples");
    assert!(
        max_gap.0 < interval * 2 + chrono::Duration::milliseconds(500),
        "gap of {} ms after the sample at {} (outage {down_at}..{up_at}); samples: {sorted:?}",
        max_gap.0.num_milliseconds(),
        max_gap.1
    );

    // The outage window holds about one sample per interval (the gap
    // check above bounds it from below; this catches replays stored under
    // shifted timestamps).
    let in_outage = sorted
        .iter()
        .filter(|t| **t > down_at && **t < up_at)
        .count() as i64;
    let expected = (up_at - down_at).num_milliseconds() / interval.num_milliseconds();
    assert!(
        (expected - 1..=expected + 1).contains(&in_outage),
        "{in_outage} samples during a {} ms outage, expected about {expected}",
        (up_at - down_at).num_milliseconds()
    );

    // The server is still the one server, and not duplicated by the replay.
    let servers = api.servers();
    assert_eq!(
        servers.iter().filter(|s| s["id"] == id).count(),
        1,
        "{servers:?}"
    );
}
