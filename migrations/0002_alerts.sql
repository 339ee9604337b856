-- Alerts, pending breaches and the notification outbox.

-- Every alert ever raised; history is kept after resolution.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id       TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    condition_key   TEXT NOT NULL,                 -- engine condition: cpu, disk, offline, service:nginx, ...
    alert_type      TEXT NOT NULL,                 -- contract alert_type: cpu_high, server_offline, service_down, ...
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    title           TEXT NOT NULL,
    message         TEXT,
    threshold_value REAL,
    actual_value    REAL,
    service_name    TEXT,                          -- for service alerts
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    resolved_at     INTEGER,
    auto_resolved   INTEGER NOT NULL DEFAULT 0,    -- 1 when the condition cleared by itself
    snoozed_until   INTEGER,                       -- notifications silenced until then (ms)
    last_notified_at INTEGER                       -- for per-alert reminder cooldowns
);
-- One active alert per condition per machine, enforced by the database too.
CREATE UNIQUE INDEX alerts_one_active ON alerts (server_id, condition_key) WHERE status != 'resolved';
CREATE INDEX alerts_status ON alerts (status, created_at);
CREATE INDEX alerts_server ON alerts (server_id, created_at);

-- Metric breaches waiting out their sustained window (engine's `Pending`).
CREATE TABLE pending_breaches (
    server_id       TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    metric          TEXT NOT NULL,                 -- cpu, memory, disk
    first_breach_at INTEGER NOT NULL,
    samples         INTEGER NOT NULL,
    last_value      REAL NOT NULL,
    PRIMARY KEY (server_id, metric)
) WITHOUT ROWID;

-- Per-machine threshold overrides; absent fields fall back to /config/thresholds.
CREATE TABLE threshold_overrides (
    server_id         TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    metric            TEXT NOT NULL CHECK (metric IN ('cpu', 'memory', 'disk')),
    high_percent      INTEGER,
    critical_percent  INTEGER,
    sustained_seconds INTEGER,
    PRIMARY KEY (server_id, metric)
) WITHOUT ROWID;

-- Durable outbox: written in the same transaction that opens, escalates or
-- resolves an alert, delivered by the notifier with retries. One row per
-- event and channel.
CREATE TABLE notification_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      INTEGER NOT NULL,
    channel         TEXT NOT NULL,                 -- slack, discord, ntfy, webhook
    event           TEXT NOT NULL,                 -- JSON AlertEvent (channel-independent)
    alert_id        INTEGER REFERENCES alerts(id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'suppressed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,                          -- never contains the webhook URL
    delivered_at    INTEGER
);
CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
