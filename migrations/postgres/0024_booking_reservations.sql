-- What the cluster was last asked to keep for a confirmed booking (its window, hosts with their
-- cores, and accounts), so the worker's reconciler can tell a booking that changed since from
-- one already reserved. Empty: not reserved yet (or the engine keeps no reservations).
ALTER TABLE bookings ADD COLUMN reserved TEXT NOT NULL DEFAULT '';
