-- Invitation links and removed access (domain::invitations, domain::members).

-- A link that joins whoever redeems it to a guild with a role. Only the
-- SHA-256 of its token is kept: the link is shown once, when made.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    -- 1 for a single-use link, NULL for one that works until it expires
    max_uses    INTEGER,
    uses        INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX invitations_by_guild ON invitations (guild_id, created_at DESC);

-- Members an admin removed "until invited again": Discord's rules give
-- them nothing in this guild until they redeem an invitation.
CREATE TABLE access_removals (
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    removed_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    removed_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
