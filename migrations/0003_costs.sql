-- Electricity cost history: one row per machine per UTC day, written by the
-- hub's cost snapshot task (hourly: yesterday's final figures and today's
-- running ones; older days back-filled from hourly rollups). The power
-- settings and price in force are copied into each row, so later changes do
-- not rewrite history. Rows are small (one per machine per day) and kept
-- indefinitely; deleting a machine deletes its history.
CREATE TABLE cost_snapshots (
    server_id        TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    day              INTEGER NOT NULL,                   -- UTC midnight starting the day (ms)
    machine_type     TEXT NOT NULL,                      -- 'server' (charged 24 h) or 'workstation' (charged hours up)
    idle_watts       INTEGER,                            -- idle power used (own or category default); NULL when TDP-only or unconfigured
    max_watts        INTEGER,                            -- maximum power / TDP used; NULL when unconfigured
    avg_cpu_percent  REAL,                               -- average CPU load over the day's samples
    estimated_watts  REAL,                               -- idle + (max - idle) × cpu / 100, or the TDP; NULL when unconfigured
    hours_up         REAL NOT NULL,                      -- hours the heartbeats show the machine up
    hours_charged    REAL NOT NULL,                      -- hours costed: the day so far for a server, hours_up for a workstation
    kwh              REAL NOT NULL,                      -- estimated_watts × hours_charged / 1000 (0 when unconfigured)
    cost             REAL NOT NULL,                      -- kwh × electricity_rate, unrounded (sums are rounded when shown)
    electricity_rate REAL NOT NULL,                      -- price per kWh in force when written
    complete         INTEGER NOT NULL,                   -- 1 once the day is over, 0 for today's running figures
    source           TEXT NOT NULL,                      -- 'raw' (sample times) or 'hourly' (rollups, whole hours)
    updated_at       INTEGER NOT NULL,                   -- last (re)write, hub clock
    PRIMARY KEY (server_id, day)
) WITHOUT ROWID;
-- History and monthly summaries read whole days across machines.
CREATE INDEX cost_snapshots_day ON cost_snapshots (day);
