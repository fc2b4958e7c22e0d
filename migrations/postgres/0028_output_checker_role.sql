-- Output checkers: a role operators grant to the people who check outputs before release.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('staff', 'reviewer', 'output_checker', 'operator', 'admin', 'partner'));
