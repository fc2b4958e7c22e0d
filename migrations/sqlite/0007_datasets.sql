-- Datasets that approved acquisitions bring in: their versions and files with checksums, every
-- upload with its scan result (quarantined ones included), and access grants to projects with
-- their revocations. Keep in step with ../postgres/0007_datasets.sql. Times are Unix seconds.

CREATE TABLE datasets (
    id              INTEGER PRIMARY KEY,
    acquisition_id  INTEGER NOT NULL UNIQUE REFERENCES acquisitions (id),
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    licence         TEXT    NOT NULL,
    classification  TEXT    NOT NULL,
    conditions      TEXT    NOT NULL DEFAULT '[]',
    owner_id        INTEGER NOT NULL REFERENCES users (id),
    retention_date  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE dataset_versions (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets (id),
    number      INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    UNIQUE (dataset_id, number)
);

CREATE TABLE dataset_files (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES dataset_versions (id),
    name        TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    -- Where the file is kept, relative to the datasets folder.
    path        TEXT    NOT NULL
);
CREATE INDEX dataset_files_by_version ON dataset_files (version_id);

-- Every file uploaded, clean or not: infected ones stay here, quarantined, and never become a
-- version.
CREATE TABLE dataset_uploads (
    id           INTEGER PRIMARY KEY,
    dataset_id   INTEGER NOT NULL REFERENCES datasets (id),
    uploader_id  INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    bytes        INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    -- 'clean' or 'infected'
    outcome      TEXT    NOT NULL CHECK (outcome IN ('clean', 'infected')),
    signature    TEXT    NOT NULL DEFAULT '',
    path         TEXT    NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX dataset_uploads_by_dataset ON dataset_uploads (dataset_id);

CREATE TABLE dataset_grants (
    id             INTEGER PRIMARY KEY,
    dataset_id     INTEGER NOT NULL REFERENCES datasets (id),
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    granted_by     INTEGER NOT NULL REFERENCES users (id),
    granted_at     INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    revoked_by     INTEGER REFERENCES users (id),
    revoked_at     INTEGER,
    revoke_reason  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX dataset_grants_by_dataset ON dataset_grants (dataset_id);
CREATE INDEX dataset_grants_by_project ON dataset_grants (project_id);
