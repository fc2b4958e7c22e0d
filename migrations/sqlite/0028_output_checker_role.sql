-- Output checkers: a role operators grant to the people who check outputs before release.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt; nothing refers to it.
CREATE TABLE user_roles_new (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL CHECK (role IN ('staff', 'reviewer', 'output_checker', 'operator', 'admin', 'partner')),
    -- 'idp': mapped from the identity provider's groups at each sign-in; 'portal': granted by an admin.
    source  TEXT    NOT NULL CHECK (source IN ('idp', 'portal')),
    PRIMARY KEY (user_id, role, source)
);
INSERT INTO user_roles_new (user_id, role, source) SELECT user_id, role, source FROM user_roles;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;
