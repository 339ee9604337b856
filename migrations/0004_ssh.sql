-- SSH executor: encrypted credentials, uploaded keys, pinned host keys and
-- the append-only audit trail. Secrets are stored only as blobs made by
-- hub/src/crypto.rs (XChaCha20-Poly1305, version | key id | nonce |
-- ciphertext+tag, bound to their row by associated data); no plaintext and no
-- key ever reaches this file.

-- Per-machine SSH port; NULL uses the default port from /settings/ssh.
-- (hostname, ip_address, tailscale_hostname, ssh_username and sudo_mode are
-- already on servers since 0001.)
ALTER TABLE servers ADD COLUMN ssh_port INTEGER CHECK (ssh_port IS NULL OR ssh_port BETWEEN 1 AND 65535);

-- One secret per (scope, type). server_id NULL is the global default that a
-- machine falls back to when it has no value of its own.
CREATE TABLE credentials (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id       TEXT REFERENCES servers(id) ON DELETE CASCADE,   -- NULL: global default
    credential_type TEXT NOT NULL CHECK (credential_type IN
                        ('ssh_private_key', 'ssh_password', 'sudo_password', 'ssh_key_passphrase')),
    ciphertext      BLOB NOT NULL,                 -- crypto.rs blob, context credential:<scope>:<type>
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- COALESCE: NULL (global) must be unique too, which a plain UNIQUE would not enforce.
CREATE UNIQUE INDEX credentials_scope ON credentials (COALESCE(server_id, ''), credential_type);

-- Uploaded private keys (/settings/ssh/keys). At most one is the default,
-- used by every machine without a key of its own.
CREATE TABLE ssh_keys (
    id          TEXT PRIMARY KEY,                  -- sanitised name ([A-Za-z0-9_-]), the contract's "filename"
    name        TEXT NOT NULL,                     -- as shown (same as id)
    username    TEXT,                              -- SSH user for this key; NULL: the default username
    key_type    TEXT NOT NULL,                     -- ED25519, RSA, ECDSA
    fingerprint TEXT NOT NULL,                     -- SHA256:base64, as ssh-keygen -l prints it
    public_key  TEXT NOT NULL,                     -- OpenSSH one-line public key (not secret)
    ciphertext  BLOB NOT NULL,                     -- the private key, context ssh_key:<id>
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX ssh_keys_one_default ON ssh_keys (is_default) WHERE is_default = 1;

-- Host keys pinned on first use. A different key later is refused and kept
-- in the pending_* columns so it can be shown and accepted explicitly.
CREATE TABLE ssh_host_keys (
    server_id           TEXT PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
    algorithm           TEXT NOT NULL,             -- e.g. ssh-ed25519
    fingerprint_sha256  TEXT NOT NULL,             -- SHA256:base64
    public_key          TEXT NOT NULL,             -- OpenSSH one-line form
    first_seen          INTEGER NOT NULL,
    last_seen           INTEGER NOT NULL,          -- last successful match
    pending_algorithm   TEXT,                      -- a refused, different key (NULL: none)
    pending_fingerprint TEXT,
    pending_public_key  TEXT,
    pending_seen_at     INTEGER
);

-- Tamper-evident audit trail of everything the hub does or refuses to do
-- over SSH, and of credential changes. hash = sha256(prev_hash || canonical
-- row); `homelabcmd audit verify` recomputes the chain. Never holds secrets.
-- No foreign key on server_id: the trail outlives deleted machines.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,               -- assigned by the appender: previous id + 1
    ts          INTEGER NOT NULL,                  -- ms since epoch
    actor       TEXT NOT NULL,                     -- api, dashboard, cli, auto, ...
    server_id   TEXT,
    action      TEXT NOT NULL,                     -- catalog action (service_restart, ...) or credential_store, ...
    argv        TEXT,                              -- JSON array of the command as run (never secrets)
    outcome     TEXT NOT NULL CHECK (outcome IN ('allowed', 'rejected', 'completed', 'failed')),
    reason      TEXT,                              -- why rejected/failed, or what changed
    exit_code   INTEGER,
    duration_ms INTEGER,
    prev_hash   TEXT NOT NULL,                     -- hex; 64 zeros for the first row
    hash        TEXT NOT NULL UNIQUE               -- hex sha256
);
CREATE INDEX audit_log_server ON audit_log (server_id, ts);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Missing since 0002: deleting an alert sets outbox rows' alert_id to NULL,
-- which scanned the whole outbox.
CREATE INDEX IF NOT EXISTS notification_outbox_alert ON notification_outbox (alert_id);
