-- Configuration packs (docs/packs.md): which packs each machine should
-- follow, the results of compliance checks against them, and (not used yet)
-- runs that apply a pack to a machine.

-- Packs assigned to a machine. No row: the machine-type default applies
-- (server → base; workstation → base + developer-lite; docs/API.md).
CREATE TABLE server_pack_assignments (
    server_id               TEXT PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
    packs                   TEXT NOT NULL,                -- JSON array of pack ids, 'base' first
    updated_at              INTEGER NOT NULL              -- unix ms of the last PUT
);
-- (Whether drift detection covers the machine stays in
-- servers.drift_detection_enabled, from 0001.)

-- One compliance check of one machine against one pack.
CREATE TABLE config_checks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,  -- check record id (history API)
    server_id         TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    pack_name         TEXT NOT NULL,                      -- pack id checked (a pack may later be removed; kept as text)
    checked_at        INTEGER NOT NULL,                   -- unix ms when the check finished
    is_compliant      INTEGER NOT NULL,                   -- 0/1: no mismatch at all
    mismatch_count    INTEGER NOT NULL,                   -- number of mismatch entries
    total_items       INTEGER NOT NULL,                   -- items in the resolved pack
    mismatched_items  INTEGER NOT NULL,                   -- items with at least one mismatch
    check_duration_ms INTEGER NOT NULL,                   -- SSH round trip + evaluation
    mismatches        TEXT NOT NULL                       -- JSON array of DiffMismatchItem (with unified diffs)
);
-- History per machine (newest first) and the latest check per machine and pack.
CREATE INDEX config_checks_server ON config_checks(server_id, pack_name, id);

-- A run applying a pack to a machine (issue 5, apply step: not used yet).
CREATE TABLE config_apply_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    pack_name    TEXT NOT NULL,
    dry_run      INTEGER NOT NULL DEFAULT 0,              -- 0/1: preview only, nothing changed
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    actor        TEXT NOT NULL,                           -- who asked (audit actor)
    started_at   INTEGER NOT NULL,                        -- unix ms
    completed_at INTEGER,                                 -- unix ms, NULL while running
    items        TEXT,                                    -- JSON: per-item results
    error        TEXT                                     -- failure message, never a secret
);
CREATE INDEX config_apply_runs_server ON config_apply_runs(server_id, id);
