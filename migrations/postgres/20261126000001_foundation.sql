-- Guildtrack foundation schema (PostgreSQL).
-- Timestamps are TIMESTAMPTZ; the SQLite schema stores unix seconds with
-- the same meaning. Both decode to DateTime<Utc>.

CREATE TABLE guilds (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- stored lower-cased: sign-in is case-insensitive
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    guild_id    BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Server-side sessions. The cookie carries a random token; only its
-- SHA-256 is stored, so a leaked table does not leak live sessions.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE brands (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (guild_id, name)
);

-- "groups" is a keyword in window frames; account_groups avoids quoting.
CREATE TABLE account_groups (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (guild_id, name)
);

CREATE TABLE accounts (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id         BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    platform         TEXT    NOT NULL CHECK (platform IN ('tiktok', 'instagram', 'youtube', 'x')),
    handle           TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    profile_url      TEXT    NOT NULL,
    group_id         BIGINT REFERENCES account_groups(id) ON DELETE SET NULL,
    brand_id         BIGINT REFERENCES brands(id) ON DELETE SET NULL,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'paused')),
    followers        BIGINT NOT NULL DEFAULT 0 CHECK (followers >= 0),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    deleted_by       BIGINT REFERENCES users(id) ON DELETE SET NULL,
    delete_batch_id  TEXT
);
-- One live account per handle and platform in a guild; trashed ones may repeat.
CREATE UNIQUE INDEX accounts_live_handle ON accounts (guild_id, platform, handle) WHERE deleted_at IS NULL;
CREATE INDEX accounts_live_by_handle ON accounts (guild_id, handle) WHERE deleted_at IS NULL;
CREATE INDEX accounts_live_by_followers ON accounts (guild_id, followers DESC) WHERE deleted_at IS NULL;
CREATE INDEX accounts_live_by_created ON accounts (guild_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX accounts_by_guild_deleted ON accounts (guild_id, deleted_at);
CREATE INDEX accounts_by_batch ON accounts (delete_batch_id) WHERE delete_batch_id IS NOT NULL;

CREATE TABLE posts (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id         BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    account_id       BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- copied from the account so the platform filter needs no join
    platform         TEXT    NOT NULL CHECK (platform IN ('tiktok', 'instagram', 'youtube', 'x')),
    url              TEXT    NOT NULL,
    caption          TEXT    NOT NULL,
    posted_at        TIMESTAMPTZ NOT NULL,
    views            BIGINT NOT NULL DEFAULT 0 CHECK (views >= 0),
    likes            BIGINT NOT NULL DEFAULT 0 CHECK (likes >= 0),
    comments         BIGINT NOT NULL DEFAULT 0 CHECK (comments >= 0),
    shares           BIGINT NOT NULL DEFAULT 0 CHECK (shares >= 0),
    group_id         BIGINT REFERENCES account_groups(id) ON DELETE SET NULL,
    brand_id         BIGINT REFERENCES brands(id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    deleted_by       BIGINT REFERENCES users(id) ON DELETE SET NULL,
    delete_batch_id  TEXT
);
-- The list queries: every sort order, and the common filters leading.
CREATE INDEX posts_live_by_posted ON posts (guild_id, posted_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_views ON posts (guild_id, views DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_likes ON posts (guild_id, likes DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_platform ON posts (guild_id, platform, posted_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_brand ON posts (guild_id, brand_id, platform, posted_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_group ON posts (guild_id, group_id, platform, posted_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX posts_live_by_account ON posts (account_id, posted_at DESC) WHERE deleted_at IS NULL;
-- Not partial: it counts a guild's live posts (deleted_at IS NULL) as a
-- covering index, and lists its trash (deleted_at IS NOT NULL).
CREATE INDEX posts_by_guild_deleted ON posts (guild_id, deleted_at);
CREATE INDEX posts_by_batch ON posts (delete_batch_id) WHERE delete_batch_id IS NOT NULL;

CREATE TABLE audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id     BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    -- NULL for the system (scheduled purge); kept when the user goes
    actor_id     BIGINT REFERENCES users(id) ON DELETE SET NULL,
    action       TEXT    NOT NULL,
    target_type  TEXT,
    target_id    BIGINT,
    summary      TEXT    NOT NULL,
    -- JSON text
    details      TEXT,
    batch_id     TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_by_time ON audit_log (guild_id, created_at DESC, id DESC);
CREATE INDEX audit_by_batch ON audit_log (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_log (guild_id, actor_id, created_at DESC);
