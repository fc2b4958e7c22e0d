-- Training sessions (cohorts): a time, seats and one sandbox offering; each attendee's sandbox
-- is a resource of the session's own project. Keep in step with ../postgres/0013_training_sessions.sql.
CREATE TABLE training_sessions (
    id             INTEGER PRIMARY KEY,
    course_id      INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    trainer_id     INTEGER NOT NULL REFERENCES users (id),
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    offering_id    INTEGER NOT NULL REFERENCES offerings (id),
    size_code      TEXT    NOT NULL,
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    seats          INTEGER NOT NULL CHECK (seats > 0),
    lead_minutes   INTEGER NOT NULL CHECK (lead_minutes >= 0),
    grace_minutes  INTEGER NOT NULL CHECK (grace_minutes >= 0),
    torn_down_at   INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX training_sessions_by_time ON training_sessions (ends_at, starts_at);

CREATE TABLE session_attendees (
    session_id  INTEGER NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    added_by    INTEGER NOT NULL REFERENCES users (id),
    added_at    INTEGER NOT NULL,
    resource_id INTEGER REFERENCES resources (id),
    PRIMARY KEY (session_id, user_id)
);
