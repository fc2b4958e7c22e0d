-- Each workspace and web service is served on a host of its own (server/src/gateway/app_host.rs).
-- A pass lets one portal session into one resource's host: the portal hands the browser a
-- one-time code, the app host redeems it once within 30 s and sets its own cookie. Only hashes
-- are kept, as for sessions and tokens; a pass lives no longer than its session.
CREATE TABLE app_passes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT UNIQUE,
    cookie_hash TEXT UNIQUE,
    session_key TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    code_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_passes_by_session ON app_passes (session_key);
