-- Output checks (core/src/output_checks, core/src/services/output_checks.rs): before a web
-- service goes public, two output checkers from outside its project approve one frozen
-- snapshot of it. A check is decided in rounds; each round keeps the snapshot's files with
-- their digests, the outputs described and the checklist as it stood, so a decision can always
-- be read against exactly what was checked.
CREATE TABLE output_checks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id  BIGINT NOT NULL REFERENCES resources (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    state        TEXT   NOT NULL CHECK (state IN ('submitted', 'changes_requested', 'approved', 'rejected', 'withdrawn', 'lapsed')),
    round        BIGINT NOT NULL,
    -- Why it was rejected, or what changed when it lapsed.
    reason       TEXT   NOT NULL DEFAULT '',
    -- When the current round's checkers are reminded, and when they last were.
    due_at       BIGINT NOT NULL,
    reminded_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    decided_at   BIGINT
);
-- One live check per resource: a second is refused rather than run beside it.
CREATE UNIQUE INDEX output_checks_live ON output_checks (resource_id)
    WHERE state IN ('submitted', 'changes_requested', 'approved');
CREATE INDEX output_checks_by_state ON output_checks (state, due_at);
-- Every read of a resource looks up its approved check (what it serves).
CREATE INDEX output_checks_by_resource ON output_checks (resource_id, state);

CREATE TABLE output_check_rounds (
    check_id     BIGINT NOT NULL REFERENCES output_checks (id),
    round        BIGINT NOT NULL,
    digest       TEXT   NOT NULL,
    size_bytes   BIGINT NOT NULL,
    -- JSON: the outputs as described, with their checklist answers.
    outputs      TEXT   NOT NULL,
    -- JSON: the checklist items in force when it was submitted.
    items        TEXT   NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users (id),
    submitted_at BIGINT NOT NULL,
    PRIMARY KEY (check_id, round)
);

CREATE TABLE output_check_files (
    check_id BIGINT NOT NULL,
    round    BIGINT NOT NULL,
    path     TEXT   NOT NULL,
    size     BIGINT NOT NULL,
    sha256   TEXT   NOT NULL,
    PRIMARY KEY (check_id, round, path),
    FOREIGN KEY (check_id, round) REFERENCES output_check_rounds (check_id, round)
);

-- One decision per checker per round: a second approval by the same person cannot count twice,
-- whichever request arrives first.
CREATE TABLE output_check_decisions (
    check_id   BIGINT NOT NULL,
    round      BIGINT NOT NULL,
    checker_id BIGINT NOT NULL REFERENCES users (id),
    verdict    TEXT   NOT NULL CHECK (verdict IN ('approve', 'request_changes', 'reject')),
    reason     TEXT   NOT NULL DEFAULT '',
    -- JSON: [[output position, comment], …] when changes are asked for.
    comments   TEXT   NOT NULL DEFAULT '[]',
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (check_id, round, checker_id),
    FOREIGN KEY (check_id, round) REFERENCES output_check_rounds (check_id, round)
);

-- Nothing is public unchecked: web services published by asking, before output checks
-- existed, go back to their project until a check of them passes.
UPDATE resources SET visibility = 'project' WHERE visibility = 'public';
