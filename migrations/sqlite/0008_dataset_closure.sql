-- Closing a dataset at the end of its use, with a deletion certificate, and which retention
-- reminder went last. Keep in step with ../postgres/0008_dataset_closure.sql.

ALTER TABLE datasets ADD COLUMN closed_at INTEGER;
ALTER TABLE datasets ADD COLUMN closed_by INTEGER REFERENCES users (id);
ALTER TABLE datasets ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';
-- Days before the retention date of the last reminder sent (30, 7, 0); NULL before the first.
ALTER TABLE datasets ADD COLUMN retention_reminded INTEGER;

-- What was deleted when a dataset closed: every file with its checksum, and what could not be.
CREATE TABLE deletion_certificates (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL UNIQUE REFERENCES datasets (id),
    at          INTEGER NOT NULL,
    by_id       INTEGER NOT NULL REFERENCES users (id),
    files       TEXT    NOT NULL,
    failures    TEXT    NOT NULL DEFAULT '[]'
);
