-- One search index over what people look for: published projects, courses, datasets and
-- requests. Services keep a row per item in the same transaction as the item's change.
-- Keep in step with ../postgres/0011_search.sql (tsvector there, FTS5 here).
-- audience: 'public' (anyone), 'staff' (internal roles), 'project' (members of project_id and
-- operators).
CREATE TABLE search_documents (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('project', 'course', 'dataset', 'request')),
    ref_id     INTEGER NOT NULL,
    audience   TEXT    NOT NULL CHECK (audience IN ('public', 'staff', 'project')),
    project_id INTEGER,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, ref_id)
);

CREATE VIRTUAL TABLE search_index USING fts5(
    title, body,
    content = 'search_documents', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- What existed before the index did.
INSERT INTO search_documents (kind, ref_id, audience, project_id, title, body, url, updated_at)
SELECT 'dataset', d.id, 'staff', NULL, d.title, d.description || ' ' || d.source, '/datasets/' || d.id, d.created_at
FROM datasets d WHERE d.closed_at IS NULL;
INSERT INTO search_documents (kind, ref_id, audience, project_id, title, body, url, updated_at)
SELECT 'request', r.id, 'project', r.project_id, o.name || ' for ' || p.name, r.purpose, '/requests/' || r.id, r.created_at
FROM resources r JOIN offerings o ON o.id = r.offering_id JOIN projects p ON p.id = r.project_id;
