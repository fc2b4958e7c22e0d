-- Data acquisitions through data control and ethics review. Keep in step with
-- ../postgres/0006_acquisitions.sql. Times are Unix seconds; answers, ethics ratings and
-- conditions are JSON held as text, because the sections' fields are defined in code
-- (campus_core::acquisitions) and change with the office's forms.

CREATE TABLE acquisitions (
    id               INTEGER PRIMARY KEY,
    applicant_id     INTEGER NOT NULL REFERENCES users (id),
    title            TEXT    NOT NULL DEFAULT '',
    state            TEXT    NOT NULL DEFAULT 'draft',
    answers          TEXT    NOT NULL DEFAULT '{}',
    -- Sections the applicant has saved at least once (for optional-only sections).
    visited          TEXT    NOT NULL DEFAULT '[]',
    ethics           TEXT    NOT NULL DEFAULT '[]',
    -- The answers as last submitted, and as submitted the time before, so a resubmission shows
    -- what changed.
    submitted        TEXT    NOT NULL DEFAULT '{}',
    previous         TEXT    NOT NULL DEFAULT '{}',
    revision         INTEGER NOT NULL DEFAULT 0,
    reviewer_class   TEXT    NOT NULL DEFAULT '',
    lawful_basis     TEXT    NOT NULL DEFAULT '',
    legislation      TEXT    NOT NULL DEFAULT '',
    agreement_ref    TEXT    NOT NULL DEFAULT '',
    route            TEXT    NOT NULL DEFAULT '',
    committee_date   TEXT    NOT NULL DEFAULT '',
    phase_due        INTEGER,
    -- Which deadline reminders have gone for the current phase: '', 'before', 'after'.
    reminded         TEXT    NOT NULL DEFAULT '',
    outcome_reason   TEXT    NOT NULL DEFAULT '',
    conditions       TEXT    NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    decided_at       INTEGER
);
CREATE INDEX acquisitions_state ON acquisitions (state);

CREATE TABLE acquisition_collaborators (
    acquisition_id INTEGER NOT NULL REFERENCES acquisitions (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (acquisition_id, user_id)
);

-- Who is assigned to each phase.
CREATE TABLE acquisition_reviewers (
    acquisition_id INTEGER NOT NULL REFERENCES acquisitions (id),
    phase          TEXT    NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    assigned_at    INTEGER NOT NULL,
    PRIMARY KEY (acquisition_id, phase, user_id)
);

-- Final-decision approvals of one submission (revision); two distinct reviewers approve it.
CREATE TABLE acquisition_approvals (
    acquisition_id INTEGER NOT NULL REFERENCES acquisitions (id),
    revision       INTEGER NOT NULL,
    reviewer_id    INTEGER NOT NULL REFERENCES users (id),
    conditions     TEXT    NOT NULL DEFAULT '[]',
    at             INTEGER NOT NULL,
    PRIMARY KEY (acquisition_id, revision, reviewer_id)
);

-- Changes asked for, section by section, on one submission.
CREATE TABLE acquisition_comments (
    id             INTEGER PRIMARY KEY,
    acquisition_id INTEGER NOT NULL REFERENCES acquisitions (id),
    revision       INTEGER NOT NULL,
    section        TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    author_id      INTEGER NOT NULL REFERENCES users (id),
    at             INTEGER NOT NULL
);
CREATE INDEX acquisition_comments_by_acquisition ON acquisition_comments (acquisition_id);

-- The decision path: every change of state, by whom, and why.
CREATE TABLE acquisition_events (
    id             INTEGER PRIMARY KEY,
    acquisition_id INTEGER NOT NULL REFERENCES acquisitions (id),
    at             INTEGER NOT NULL,
    actor_id       INTEGER REFERENCES users (id),
    from_state     TEXT    NOT NULL,
    to_state       TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX acquisition_events_by_acquisition ON acquisition_events (acquisition_id);
