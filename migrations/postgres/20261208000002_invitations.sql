-- Invitation links and removed access (domain::invitations, domain::members).

-- A link that joins whoever redeems it to a guild with a role. Only the
-- SHA-256 of its token is kept: the link is shown once, when made.
CREATE TABLE invitations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    -- 1 for a single-use link, NULL for one that works until it expires
    max_uses    BIGINT,
    uses        BIGINT NOT NULL DEFAULT 0,
    created_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX invitations_by_guild ON invitations (guild_id, created_at DESC);

-- Members an admin removed "until invited again": Discord's rules give
-- them nothing in this guild until they redeem an invitation.
CREATE TABLE access_removals (
    guild_id    BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    removed_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
    removed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
