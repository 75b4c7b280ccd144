-- The ingest API (domain::api_tokens, domain::ingest).

-- A guild's API tokens. Only the SHA-256 of a token is kept: it is shown
-- once, when made. `hint` is its last four characters, so an admin can
-- tell two tokens apart in the list.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('ingest', 'read')),
    token_hash    TEXT NOT NULL UNIQUE,
    hint          TEXT NOT NULL,
    -- The admin who made it. A token belongs to the guild, not to them: it
    -- keeps working when they leave the guild (an admin revokes it).
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    -- Recorded at most once a minute per token (domain::api_tokens).
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_by_guild ON api_tokens (guild_id, created_at DESC);

-- The tracker's own ids. Posts are upserted by (platform, external id),
-- accounts by it when the tracker sends one (a handle can change). Both
-- indexes cover trashed items too: an upsert that matches an item in the
-- trash updates it there and must not create a live copy beside it.
ALTER TABLE accounts ADD COLUMN external_id TEXT;
ALTER TABLE posts ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX accounts_by_external_id ON accounts (guild_id, platform, external_id)
    WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX posts_by_external_id ON posts (guild_id, platform, external_id)
    WHERE external_id IS NOT NULL;
