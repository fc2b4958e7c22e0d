-- Campus Portal schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql:
-- same tables, columns and constraints; integers are 64-bit, times are Unix seconds (UTC).

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    username          TEXT    NOT NULL UNIQUE,
    display_name      TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    password_hash     TEXT,
    oidc_issuer       TEXT,
    oidc_subject      TEXT,
    created_at        INTEGER NOT NULL,
    last_sign_in_at   INTEGER,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL CHECK (role IN ('staff', 'reviewer', 'operator', 'admin', 'partner')),
    -- 'idp': mapped from the identity provider's groups at each sign-in; 'portal': granted by an admin.
    source  TEXT    NOT NULL CHECK (source IN ('idp', 'portal')),
    PRIMARY KEY (user_id, role, source)
);

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    summary    TEXT    NOT NULL,
    lead_id    INTEGER NOT NULL REFERENCES users (id),
    end_date   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE project_members (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_by   INTEGER NOT NULL REFERENCES users (id),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    username TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (username, at);
