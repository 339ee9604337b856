//! Many first heartbeats for the same new machine at once.

use std::sync::{Arc, Barrier};

use chrono::{Duration as ChronoDuration, Utc};
use homelabcmd_e2e::{Api, Hub, heartbeat_at};

const PARALLEL: usize = 20;

#[test]
fn concurrent_first_heartbeats_register_exactly_one_server() {
    let hub = Hub::start_default();
    let id = "burst-host";
    let base = Utc::now() - ChronoDuration::seconds(60);
    let barrier = Arc::new(Barrier::new(PARALLEL));

    let handles: Vec<_> = (0..PARALLEL)
        .map(|i| {
            // Own client each: own connections, truly parallel requests.
            let api = Api::new(hub.url(), Some(hub.api_key()));
            let barrier = Arc::clone(&barrier);
            let hb = heartbeat_at(id, base + ChronoDuration::seconds(i as i64));
            std::thread::spawn(move || {
                barrier.wait();
                api.heartbeat(&hb)
            })
        })
        .collect();
    let responses: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("request thread"))
        .collect();

    for r in &responses {
        assert_eq!(
            r.status, 200,
            "concurrent heartbeat: {} {}",
            r.status, r.text
        );
    }
    let registered = responses
        .iter()
        .filter(|r| r.json()["server_registered"] == true)
        .count();
    assert_eq!(
        registered,
        1,
        "exactly one heartbeat registers the server; responses: {:?}",
        responses.iter().map(|r| &r.text).collect::<Vec<_>>()
    );

    let servers = hub.api().servers();
    assert_eq!(servers.len(), 1, "servers: {servers:?}");
    assert_eq!(servers[0]["id"], id);

    // Twenty distinct samples, all stored.
    let mut stamps = hub.api().exported_timestamps(id);
    stamps.sort();
    stamps.dedup();
    assert_eq!(stamps.len(), PARALLEL, "stored samples: {stamps:?}");
    assert!(
        !hub.log().contains("panicked"),
        "hub panicked:\n{}",
        hub.log()
    );
}
