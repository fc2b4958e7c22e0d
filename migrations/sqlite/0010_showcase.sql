-- Public project pages (the showcase) and operators' announcements.
-- Keep in step with ../postgres/0010_showcase.sql. Times are Unix seconds.

-- One public page per project. The lead edits `draft`; publishing copies it into `published`
-- with the body rendered and sanitised, and fills the listing columns from it. Visitors only
-- ever see `published`.
CREATE TABLE showcase_pages (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL UNIQUE REFERENCES projects (id) ON DELETE CASCADE,
    slug         TEXT    NOT NULL UNIQUE,
    draft        TEXT    NOT NULL,
    published    TEXT,
    title        TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    year         INTEGER,
    published_at INTEGER,
    updated_at   INTEGER NOT NULL,
    updated_by   INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX showcase_listing ON showcase_pages (title, id) WHERE published_at IS NOT NULL;

-- The tags of the published copy, for the list's filter.
CREATE TABLE showcase_tags (
    page_id INTEGER NOT NULL REFERENCES showcase_pages (id) ON DELETE CASCADE,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (page_id, tag)
);
CREATE INDEX showcase_tags_by_tag ON showcase_tags (tag, page_id);

CREATE TABLE announcements (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('information', 'maintenance', 'incident')),
    message      TEXT    NOT NULL,
    starts_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    withdrawn_at INTEGER,
    CHECK (expires_at > starts_at)
);
CREATE INDEX announcements_by_expiry ON announcements (expires_at);

-- What any page may need to be rendered again for: bumped whenever public content changes, so
-- every replica's cache of anonymous pages notices within a second.
CREATE TABLE content_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO content_generation (id, value) VALUES (1, 1);
