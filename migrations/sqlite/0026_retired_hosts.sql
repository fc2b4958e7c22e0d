-- A host an operator has taken out of the inventory for good (drained first, nothing running,
-- no bookings ahead). Its row stays, because resources and bookings name it; it is no longer
-- counted, placed on or booked. Keep in step with ../postgres/0026_retired_hosts.sql.
ALTER TABLE hosts ADD COLUMN retired_at INTEGER;
