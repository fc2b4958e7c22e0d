-- API tokens get scopes and an end (core/src/token_scope.rs). Tokens made before keep what they
-- could always do short of roles' powers (read and write) and end 90 days after they were made.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = created_at + 90 * 86400;
