-- The bot's side (domain::discord::exportdata, domain::discord::outbox).

-- Where an export was asked for: NULL for the web app, 'discord' for the
-- /exportdata command. The history says "via Discord".
ALTER TABLE export_jobs ADD COLUMN via TEXT;

-- An /exportdata reply being kept up to date while its export runs: the
-- interaction's token (a 15-minute credential, sealed with SECRET_KEY)
-- and what the reply last said, so a progress edit goes out only when the
-- text changed.
CREATE TABLE discord_replies (
    job_id        BIGINT PRIMARY KEY REFERENCES export_jobs(id) ON DELETE CASCADE,
    guild_id      BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    token_sealed  TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    last_text     TEXT,
    last_at       TIMESTAMPTZ,
    -- Set once the last edit (done, failed, or "still running") is queued.
    finished      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX discord_replies_open ON discord_replies (received_at) WHERE NOT finished;

-- Messages to Discord (reply edits, audit mirror posts), written in the
-- transaction of the change they report and sent by the outbox loop.
-- Messages of one stream go out in id order; a message waiting on a
-- retry holds back the rest of its stream.
CREATE TABLE discord_outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id      BIGINT NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    -- "reply:{job}" or "audit:{guild}": the unit of ordering.
    stream        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('reply', 'audit')),
    method        TEXT NOT NULL CHECK (method IN ('PATCH', 'POST')),
    -- The URL to call, sealed: it holds a webhook or interaction token.
    target_sealed TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    -- After this a message that still fails is marked failed.
    give_up_at    TIMESTAMPTZ NOT NULL,
    -- The sender that holds it, until when (a sender that died lets go).
    claimed_by    TEXT,
    claimed_until TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    -- Why it failed (Discord's status), for the admins; never the URL.
    error         TEXT
);
CREATE INDEX discord_outbox_due ON discord_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX discord_outbox_stream ON discord_outbox (stream, id) WHERE status = 'pending';
CREATE INDEX discord_outbox_finished ON discord_outbox (finished_at) WHERE status <> 'pending';
