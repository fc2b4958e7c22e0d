-- What the cluster engine (Slurm) reports allocated on each of its hosts, jobs from outside the
-- portal included, as of the worker's last look; 0 for hosts only the inventory knows.
ALTER TABLE hosts ADD COLUMN alloc_cores INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN alloc_ram_gb INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN alloc_gpus INTEGER NOT NULL DEFAULT 0;
