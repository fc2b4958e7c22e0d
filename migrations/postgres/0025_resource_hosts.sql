-- Where the portal placed each resource that runs: one host that holds all of it, not a share of
-- a pooled sum (issue 15). NULL for one placed before this, or one that holds no compute. A
-- host the cluster stops reporting is deleted only when nothing names it, so the reference
-- clears rather than blocks. Keep in step with ../sqlite/0025_resource_hosts.sql.
ALTER TABLE resources ADD COLUMN host_id BIGINT REFERENCES hosts (id) ON DELETE SET NULL;

-- The data centre the requester asked for ('' for any): placement prefers it and falls back
-- to the other when it cannot hold the request.
ALTER TABLE resources ADD COLUMN site TEXT NOT NULL DEFAULT '';
