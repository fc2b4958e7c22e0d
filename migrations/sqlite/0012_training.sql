-- Training materials: courses with Markdown pages and attachments, public or for staff only.
-- Keep in step with ../postgres/0012_training.sql. Times are Unix seconds.
CREATE TABLE courses (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    topic      TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    audience   TEXT    NOT NULL CHECK (audience IN ('public', 'staff')),
    owner_id   INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX courses_listing ON courses (title, id);

-- A page keeps its Markdown for editing and the sanitised HTML rendered when it was saved.
CREATE TABLE course_pages (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    slug       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    html       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (course_id, slug)
);

CREATE TABLE course_attachments (
    id          INTEGER PRIMARY KEY,
    course_id   INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    file_name   TEXT    NOT NULL,
    media_type  TEXT    NOT NULL,
    size_bytes  INTEGER NOT NULL,
    content     BLOB    NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    uploaded_at INTEGER NOT NULL,
    UNIQUE (course_id, file_name)
);
