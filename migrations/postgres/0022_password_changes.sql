-- A local account can be made to choose its own password at its next sign-in: the first-start
-- administrator, whose one-time password was printed to a console (server/src/demo.rs).
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
