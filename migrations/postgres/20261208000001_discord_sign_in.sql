-- Sign in with Discord, guilds linked to Discord servers, and roles that
-- come from Discord (domain::discord, domain::memberships).

-- A user may have a password, a Discord account, or both. A user who signed
-- up through Discord has no password: password_hash is '' and no password
-- matches it (domain::auth checks the decoy hash instead, so the timing
-- does not tell such users apart).
ALTER TABLE users ADD COLUMN discord_id TEXT;
ALTER TABLE users ADD COLUMN avatar_url TEXT;
-- The OAuth tokens, sealed with SECRET_KEY (domain::secret_box): kept for
-- the membership re-check every 15 minutes, never sent anywhere else.
ALTER TABLE users ADD COLUMN discord_tokens TEXT;
-- The last time Discord confirmed the user's servers and roles, and the
-- last time we asked (successfully or not), so a Discord outage is asked
-- about once a minute rather than on every request.
ALTER TABLE users ADD COLUMN discord_checked_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN discord_tried_at TIMESTAMPTZ;
CREATE UNIQUE INDEX users_by_discord_id ON users (discord_id) WHERE discord_id IS NOT NULL;

-- The Discord server a guild is linked to, and the rules that turn its
-- members into guild members. The name is filled in once an admin of that
-- server signs in with Discord (it is what verifies the link).
ALTER TABLE guilds ADD COLUMN discord_server_id TEXT;
ALTER TABLE guilds ADD COLUMN discord_server_name TEXT;
-- JSON array of {"id": "...", "name": "..."}: the Discord roles that make
-- a member an editor, with the names the admin gave them.
ALTER TABLE guilds ADD COLUMN discord_editor_roles TEXT NOT NULL DEFAULT '[]';
-- 1: every member of the server may view; 0: only admins and editors.
ALTER TABLE guilds ADD COLUMN discord_members_view BIGINT NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX guilds_by_discord_server ON guilds (discord_server_id) WHERE discord_server_id IS NOT NULL;

-- A membership's role is the higher of two sources: what Discord's rules
-- give (discord_role, with the reason shown to admins) and what was set by
-- hand (manual_role: an invitation, an admin, the operator's CLI). The
-- role column keeps the result, so the membership check stays one lookup.
ALTER TABLE memberships ADD COLUMN discord_role TEXT CHECK (discord_role IN ('viewer', 'editor', 'admin'));
ALTER TABLE memberships ADD COLUMN discord_reason TEXT;
ALTER TABLE memberships ADD COLUMN manual_role TEXT CHECK (manual_role IN ('viewer', 'editor', 'admin'));
-- 'invitation' or 'admin'
ALTER TABLE memberships ADD COLUMN manual_source TEXT;
ALTER TABLE memberships ADD COLUMN last_seen_at TIMESTAMPTZ;
-- Every membership so far was made by hand (CLI, demo, seed).
UPDATE memberships SET manual_role = role, manual_source = 'admin';

-- An OAuth sign-in under way: the state sent to Discord, the PKCE verifier,
-- and the hash of a random value in a cookie of the browser that started
-- it, so a state only works in that browser. Single use, 10 minutes.
CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    verifier      TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    -- set when a signed-in user links a Discord account to their own
    link_user_id  BIGINT REFERENCES users(id) ON DELETE CASCADE,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);
