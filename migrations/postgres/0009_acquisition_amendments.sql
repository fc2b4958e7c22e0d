-- An approved acquisition being amended or renewed: back with its applicant and reviewers while
-- its approved terms (dataset, grants, register entry) stand until the amendment is decided.
-- Keep in step with ../sqlite/0009_acquisition_amendments.sql.
ALTER TABLE acquisitions ADD COLUMN amending BIGINT NOT NULL DEFAULT 0 CHECK (amending IN (0, 1));
