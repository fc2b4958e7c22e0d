-- Hardware, the catalogue, quotas, resource requests with their history, the job queue,
-- notifications and the audit trail. Keep in step with ../postgres/0002_resources.sql.
-- Flags are integers 0/1; times are Unix seconds except the queue's, which are milliseconds.

CREATE TABLE sites (
    id   INTEGER PRIMARY KEY,
    code TEXT    NOT NULL UNIQUE,
    name TEXT    NOT NULL
);

CREATE TABLE hosts (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites (id),
    name         TEXT    NOT NULL UNIQUE,
    cores        INTEGER NOT NULL CHECK (cores > 0),
    mhz_per_core INTEGER NOT NULL CHECK (mhz_per_core > 0),
    ram_gb       INTEGER NOT NULL CHECK (ram_gb >= 0),
    storage_gb   INTEGER NOT NULL CHECK (storage_gb >= 0),
    gpus         INTEGER NOT NULL DEFAULT 0 CHECK (gpus >= 0),
    gpu_model    TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE offerings (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    kind               TEXT    NOT NULL CHECK (kind IN ('workspace', 'storage', 'web_service')),
    tool               TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    description        TEXT    NOT NULL,
    -- For web services and non-JupyterLab workspaces: the command the local driver runs.
    command            TEXT    NOT NULL DEFAULT '',
    needs_approval     INTEGER NOT NULL DEFAULT 0 CHECK (needs_approval IN (0, 1)),
    default_days       INTEGER NOT NULL CHECK (default_days > 0),
    extension_days     INTEGER NOT NULL CHECK (extension_days >= 0),
    max_extensions     INTEGER NOT NULL CHECK (max_extensions >= 0),
    idle_stop_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (idle_stop_minutes >= 0),
    retired            INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
);

CREATE TABLE offering_sizes (
    id          INTEGER PRIMARY KEY,
    offering_id INTEGER NOT NULL REFERENCES offerings (id) ON DELETE CASCADE,
    code        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    cpu_cores   INTEGER NOT NULL CHECK (cpu_cores >= 0),
    ram_gb      INTEGER NOT NULL CHECK (ram_gb >= 0),
    gpus        INTEGER NOT NULL CHECK (gpus >= 0),
    storage_gb  INTEGER NOT NULL CHECK (storage_gb >= 0),
    UNIQUE (offering_id, code)
);

CREATE TABLE project_quotas (
    project_id   INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    cpu_cores    INTEGER NOT NULL,
    ram_gb       INTEGER NOT NULL,
    gpus         INTEGER NOT NULL,
    storage_gb   INTEGER NOT NULL,
    workspaces   INTEGER NOT NULL,
    datasets     INTEGER NOT NULL,
    web_services INTEGER NOT NULL
);

-- A request and the resource it becomes share one row: the state says which it is now.
CREATE TABLE resources (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    offering_id    INTEGER NOT NULL REFERENCES offerings (id),
    size_code      TEXT    NOT NULL,
    requester_id   INTEGER NOT NULL REFERENCES users (id),
    state          TEXT    NOT NULL,
    cpu_cores      INTEGER NOT NULL,
    ram_gb         INTEGER NOT NULL,
    gpus           INTEGER NOT NULL,
    storage_gb     INTEGER NOT NULL,
    end_date       TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    visibility     TEXT    NOT NULL CHECK (visibility IN ('private', 'project', 'staff', 'public')),
    extensions     INTEGER NOT NULL DEFAULT 0,
    reason         TEXT    NOT NULL DEFAULT '',
    driver         TEXT    NOT NULL DEFAULT '',
    external_id    TEXT    NOT NULL DEFAULT '',
    endpoint       TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL
);
CREATE INDEX resources_by_project ON resources (project_id, state);
CREATE INDEX resources_by_state ON resources (state);

-- What happened to a resource, in order: the steps its page shows.
CREATE TABLE resource_events (
    id          INTEGER PRIMARY KEY,
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users (id),
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX resource_events_by_resource ON resource_events (resource_id, id);

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    resource_id    INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL,
    run_at_ms      INTEGER NOT NULL,
    lease_token    TEXT    NOT NULL DEFAULT '',
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    created_at_ms  INTEGER NOT NULL,
    started_at_ms  INTEGER NOT NULL DEFAULT 0,
    finished_at_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_claimable ON jobs (state, run_at_ms);
CREATE INDEX jobs_by_resource ON jobs (resource_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    link       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    emailed_at INTEGER
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);

-- Append-only: the store has no UPDATE or DELETE for this table.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    before_value TEXT    NOT NULL DEFAULT '',
    after_value  TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_by_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
