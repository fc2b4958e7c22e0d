-- Space a storage resource uses, as last measured by the worker (bytes), and when.
ALTER TABLE resources ADD COLUMN used_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE resources ADD COLUMN used_measured_at BIGINT NOT NULL DEFAULT 0;
