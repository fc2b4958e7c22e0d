-- Accelerators as devices and time booked on them ahead (issue 15). Keep in step with
-- ../postgres/0023_accelerators.sql. Times are Unix seconds.

-- An operator can drain a host: what runs there carries on, nothing new is placed or booked.
ALTER TABLE hosts ADD COLUMN drained_at INTEGER;

-- Each GPU or TPU on a host, by its index there (Slurm's GRES index, or the device number the
-- local driver passes into the sandbox). `model` is what people book: "NVIDIA A100 80GB".
CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    host_id     INTEGER NOT NULL REFERENCES hosts (id),
    kind        TEXT   NOT NULL CHECK (kind IN ('gpu', 'tpu')),
    model       TEXT   NOT NULL CHECK (model <> ''),
    memory_gb   INTEGER NOT NULL DEFAULT 0 CHECK (memory_gb >= 0),
    slot        INTEGER NOT NULL CHECK (slot >= 0),
    retired_at  INTEGER,
    UNIQUE (host_id, kind, slot)
);

-- What a project may book without an operator's approval; defaults come from the portal's
-- configuration when a project has no row.
CREATE TABLE booking_limits (
    project_id     INTEGER PRIMARY KEY REFERENCES projects (id),
    hours_per_week INTEGER NOT NULL CHECK (hours_per_week >= 0),
    longest_hours  INTEGER NOT NULL CHECK (longest_hours > 0),
    ahead_days     INTEGER NOT NULL CHECK (ahead_days > 0),
    set_by         INTEGER NOT NULL REFERENCES users (id),
    set_at         INTEGER NOT NULL
);

CREATE TABLE bookings (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id),
    booked_by   INTEGER NOT NULL REFERENCES users (id),
    model       TEXT   NOT NULL,
    count       INTEGER NOT NULL CHECK (count > 0),
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL CHECK (ends_at > starts_at),
    purpose     TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('confirmed', 'awaiting_approval', 'cancelled', 'refused', 'released')),
    -- Why it awaits an operator (the limits it goes beyond), or why it was refused or released.
    reason      TEXT   NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);
CREATE INDEX bookings_by_project ON bookings (project_id, starts_at);
CREATE INDEX bookings_by_time ON bookings (starts_at, ends_at);

-- The devices a booking holds, with its window copied. SQLite has no exclusion constraint:
-- core/src/store/bookings.rs writes the hold first and then looks for an overlap in the same
-- transaction, and SQLite lets one writer at a time, so two holds of one device at once cannot
-- both commit. `held` is 1 while the booking is confirmed or awaits approval, 0 once it is
-- cancelled, refused or released.
CREATE TABLE booking_devices (
    booking_id INTEGER NOT NULL REFERENCES bookings (id),
    device_id  INTEGER NOT NULL REFERENCES devices (id),
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL CHECK (ends_at > starts_at),
    held       INTEGER NOT NULL DEFAULT 1 CHECK (held IN (0, 1)),
    PRIMARY KEY (booking_id, device_id)
);
CREATE INDEX booking_devices_by_device ON booking_devices (device_id, starts_at);
