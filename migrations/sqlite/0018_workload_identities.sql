-- Workloads run as their owner. An operator (or the identity provider's claim) may map a person
-- to a named Unix account; without one they get an id from the portal's range. Two people never
-- share an account. Keep in step with the other database's 0018_workload_identities.sql.
ALTER TABLE users ADD COLUMN unix_account TEXT;
CREATE UNIQUE INDEX users_by_unix_account ON users (unix_account);

-- Offerings run a program with arguments, never a shell line: their command is now a JSON array,
-- program first. The standard catalogue's commands are rewritten here; any other shell line shows
-- as unavailable until an operator enters it again as a program and arguments.
UPDATE offerings SET command = '["python3","-m","http.server","{port}","--bind","{host}","--directory","{home}"]'
    WHERE command = 'python3 -m http.server {port} --bind {host} --directory {workdir}';
UPDATE offerings SET command = '["code-server","--socket={socket}","--auth","none","--disable-telemetry","--disable-update-check","{home}"]'
    WHERE command = 'code-server --bind-addr {host}:{port} --auth none {workdir}';
UPDATE offerings SET command = '["rserver","--www-address={host}","--www-port={port}","--www-root-path={base_url}","--server-daemonize=0"]'
    WHERE command = 'rserver --www-address={host} --www-port={port} --www-root-path={base_url} --server-daemonize=0';
UPDATE offerings SET command = '["jupyter-lab","--no-browser","--ServerApp.sock={socket}","--ServerApp.sock_mode=0600","--ServerApp.base_url={base_url}","--ServerApp.root_dir={home}","--ServerApp.allow_remote_access=True"]'
    WHERE tool = 'jupyterlab' AND command = '';

-- Whether an offering's program can be started here, and if not why (empty: it can). The portal
-- checks every minute, so people see an offering as unavailable instead of asking for something
-- that would fail.
ALTER TABLE offerings ADD COLUMN unavailable TEXT NOT NULL DEFAULT '';

-- Partners (people outside the office) get a sandbox of the portal's network when they attend a
-- session. Whether they may enrol themselves is the course's choice, off unless its owner turns it
-- on; the trainer adds them otherwise.
ALTER TABLE courses ADD COLUMN partners_enrol INTEGER NOT NULL DEFAULT 0;
