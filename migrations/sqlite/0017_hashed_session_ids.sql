-- Sessions are now stored under the SHA-256 of their id (store::sessions::key_of). Rows written
-- before held the id itself; they could never be found again and a copy of them would still be
-- usable, so they go: everyone signs in once more.
DELETE FROM sessions;
