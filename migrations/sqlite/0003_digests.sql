-- One expiry digest per person per day, however many replicas sweep.
CREATE TABLE digests_sent (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT   NOT NULL,
    PRIMARY KEY (user_id, day)
);
