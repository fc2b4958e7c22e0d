-- Sign-in failures count per name and address, per address, and overall (core/src/throttle.rs),
-- so guessing from one place cannot lock a named person out everywhere.
ALTER TABLE login_failures ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_by_address ON login_failures (address, at);
CREATE INDEX login_failures_by_time ON login_failures (at);
