-- What the cluster was last asked to keep for a confirmed booking (its window, hosts with their
-- cores, and accounts), so the worker's reconciler can tell a booking that changed since from
-- one already reserved. Empty: not reserved yet (or the engine keeps no reservations).
ALTER TABLE bookings ADD COLUMN reserved TEXT NOT NULL DEFAULT '';

-- The lifecycle sweep's marks: the reminder before the start was sent; the booking was found in
-- use (a workspace of its project with accelerators running) once its first half hour passed.
ALTER TABLE bookings ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN use_checked INTEGER NOT NULL DEFAULT 0;

-- A person's calendar feed of their projects' bookings: its address holds a secret whose SHA-256
-- is kept here. Making a new one or stopping it ends the old address.
CREATE TABLE calendar_feeds (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    token_hash TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
