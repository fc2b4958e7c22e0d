-- The accelerators on its host given to a resource, by their index there ("0,1"; '' for none):
-- the local driver hands exactly these into the sandbox, and no two running resources share
-- one. Keep in step with ../postgres/0027_resource_devices.sql.
ALTER TABLE resources ADD COLUMN devices TEXT NOT NULL DEFAULT '';
