-- HomelabCmd hub schema, version 1.
-- Times are INTEGER milliseconds since the Unix epoch (UTC): compact, cheap
-- to compare and to bucket for rollups.

-- One row per machine (server or workstation).
CREATE TABLE servers (
    id                        TEXT PRIMARY KEY,          -- slug, ^[a-z0-9-]+$
    guid                      TEXT UNIQUE,               -- agent's permanent UUID v4
    hostname                  TEXT NOT NULL,
    display_name              TEXT,
    ip_address                TEXT,                      -- last address a heartbeat came from, or set by hand
    machine_type              TEXT NOT NULL DEFAULT 'server' CHECK (machine_type IN ('server', 'workstation')),
    tdp_watts                 INTEGER,                   -- max power draw for cost estimation
    idle_watts                INTEGER,
    machine_category          TEXT,
    machine_category_source   TEXT,                      -- 'auto' or 'user'
    cpu_model                 TEXT,
    cpu_cores                 INTEGER,
    os_distribution           TEXT,
    os_version                TEXT,
    kernel_version            TEXT,
    architecture              TEXT,
    agent_version             TEXT,
    agent_mode                TEXT,
    updates_available         INTEGER,
    security_updates          INTEGER,
    reboot_required           INTEGER,                   -- 0/1, from the newest sample
    is_paused                 INTEGER NOT NULL DEFAULT 0, -- maintenance mode
    paused_at                 INTEGER,
    is_inactive               INTEGER NOT NULL DEFAULT 0, -- agent removed; heartbeats refused
    inactive_since            INTEGER,
    last_seen                 INTEGER,                   -- hub clock at the newest heartbeat received
    latest_sample_at          INTEGER,                   -- agent time of the newest sample (replays may be older)
    latest_metrics            TEXT,                      -- JSON MetricsPayload of the newest sample
    filesystems               TEXT,                      -- JSON [FilesystemMetric] of the newest sample
    network_interfaces        TEXT,                      -- JSON [NetworkInterfaceMetric] of the newest sample
    services                  TEXT,                      -- JSON [ServiceStatusPayload] of the newest sample
    containers                TEXT,                      -- JSON [ContainerStatus] of the newest sample
    packages_hash             TEXT,                      -- sha256 of the last stored package list; unchanged lists are not rewritten
    packages_checked_at       INTEGER,
    tailscale_hostname        TEXT,
    ssh_username              TEXT,
    sudo_mode                 TEXT NOT NULL DEFAULT 'passwordless',
    config_user               TEXT,
    offline_threshold_seconds INTEGER,                   -- NULL: the global server_offline_seconds
    drift_detection_enabled   INTEGER NOT NULL DEFAULT 1,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);

-- Full-resolution samples, one per heartbeat, kept for the raw retention
-- window. (server_id, ts) is the key, so a replayed or retried sample is
-- stored once.
CREATE TABLE metrics (
    server_id        TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    ts               INTEGER NOT NULL,                   -- sample time (agent clock)
    cpu_percent      REAL,
    memory_percent   REAL,
    memory_total_mb  INTEGER,
    memory_used_mb   INTEGER,
    disk_percent     REAL,
    disk_total_gb    REAL,
    disk_used_gb     REAL,
    network_rx_bytes INTEGER,
    network_tx_bytes INTEGER,
    load_1m          REAL,
    load_5m          REAL,
    load_15m         REAL,
    uptime_seconds   INTEGER,
    PRIMARY KEY (server_id, ts)
) WITHOUT ROWID;
CREATE INDEX metrics_ts ON metrics (ts);

-- Rolled-up metrics: tier is the bucket width in seconds (3600 from raw,
-- 86400 from hourly). Min/avg/max so exports and charts keep the peaks.
CREATE TABLE metrics_rollup (
    server_id   TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    tier        INTEGER NOT NULL,
    bucket      INTEGER NOT NULL,                        -- bucket start
    samples     INTEGER NOT NULL,                        -- raw samples folded in
    cpu_avg     REAL,
    cpu_min     REAL,
    cpu_max     REAL,
    memory_avg  REAL,
    memory_min  REAL,
    memory_max  REAL,
    disk_avg    REAL,
    disk_min    REAL,
    disk_max    REAL,
    load_1m_avg REAL,
    network_rx_max INTEGER,                              -- counters: the highest value seen
    network_tx_max INTEGER,
    PRIMARY KEY (server_id, tier, bucket)
) WITHOUT ROWID;
CREATE INDEX metrics_rollup_bucket ON metrics_rollup (tier, bucket);

-- Per-filesystem samples, raw window only; hourly rollups below.
CREATE TABLE filesystem_metrics (
    server_id       TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    ts              INTEGER NOT NULL,
    mount_point     TEXT NOT NULL,
    device          TEXT NOT NULL,
    fs_type         TEXT NOT NULL,
    total_bytes     INTEGER NOT NULL,
    used_bytes      INTEGER NOT NULL,
    available_bytes INTEGER NOT NULL,
    percent         REAL NOT NULL,
    PRIMARY KEY (server_id, ts, mount_point)
) WITHOUT ROWID;
CREATE INDEX filesystem_metrics_ts ON filesystem_metrics (ts);

-- Per-interface counter samples, raw window only; hourly rollups below.
CREATE TABLE interface_metrics (
    server_id  TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    ts         INTEGER NOT NULL,
    name       TEXT NOT NULL,
    rx_bytes   INTEGER NOT NULL,
    tx_bytes   INTEGER NOT NULL,
    rx_packets INTEGER NOT NULL,
    tx_packets INTEGER NOT NULL,
    is_up      INTEGER NOT NULL,
    PRIMARY KEY (server_id, ts, name)
) WITHOUT ROWID;
CREATE INDEX interface_metrics_ts ON interface_metrics (ts);

-- Hourly per-filesystem usage, kept as long as the hourly metrics tier.
CREATE TABLE filesystem_rollup (
    server_id    TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    bucket       INTEGER NOT NULL,
    mount_point  TEXT NOT NULL,
    total_bytes  INTEGER NOT NULL,                       -- newest size in the hour
    used_max     INTEGER NOT NULL,
    percent_avg  REAL NOT NULL,
    percent_max  REAL NOT NULL,
    PRIMARY KEY (server_id, bucket, mount_point)
) WITHOUT ROWID;

-- Hourly per-interface counters (highest value in the hour; rates are
-- differences between consecutive hours).
CREATE TABLE interface_rollup (
    server_id TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    bucket    INTEGER NOT NULL,
    name      TEXT NOT NULL,
    rx_max    INTEGER NOT NULL,
    tx_max    INTEGER NOT NULL,
    PRIMARY KEY (server_id, bucket, name)
) WITHOUT ROWID;

-- Pending package updates, the newest list an agent reported.
CREATE TABLE packages (
    server_id       TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    current_version TEXT NOT NULL,
    new_version     TEXT NOT NULL,
    repository      TEXT NOT NULL,
    is_security     INTEGER NOT NULL,
    detected_at     INTEGER NOT NULL,                    -- first reported (kept while the same update stays pending)
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (server_id, name)
) WITHOUT ROWID;

-- Services an operator expects on a machine.
CREATE TABLE expected_services (
    server_id    TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    service_name TEXT NOT NULL,
    display_name TEXT,
    is_critical  INTEGER NOT NULL DEFAULT 0,
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (server_id, service_name)
) WITHOUT ROWID;

-- Hub-wide settings as JSON documents (thresholds, notifications, cost,
-- dashboard preferences), one row per key.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Dashboard widget layout per machine.
CREATE TABLE widget_layouts (
    server_id  TEXT PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
    layouts    TEXT NOT NULL,                            -- JSON WidgetLayouts
    updated_at INTEGER NOT NULL
);

-- Remediation actions (executed hub → SSH); listed per server.
CREATE TABLE actions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    action_type      TEXT NOT NULL,
    status           TEXT NOT NULL,                      -- pending, approved, executing, completed, failed, rejected, cancelled
    service_name     TEXT,
    command          TEXT NOT NULL,
    alert_id         INTEGER,
    created_at       INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    approved_at      INTEGER,
    approved_by      TEXT,
    rejected_at      INTEGER,
    rejected_by      TEXT,
    rejection_reason TEXT,
    executed_at      INTEGER,
    completed_at     INTEGER,
    exit_code        INTEGER,
    stdout           TEXT,
    stderr           TEXT
);
CREATE INDEX actions_server ON actions (server_id, created_at);
