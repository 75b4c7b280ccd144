-- The audit log mirrored to a Discord channel through its webhook
-- (domain::discord::mirror): one row per guild that set it up.
CREATE TABLE audit_mirrors (
    guild_id        BIGINT PRIMARY KEY REFERENCES guilds(id) ON DELETE CASCADE,
    -- The webhook URL, sealed with SECRET_KEY: it is a credential.
    webhook_sealed  TEXT NOT NULL,
    -- What admins see of it afterwards: the webhook's id and the last
    -- four characters of its token.
    webhook_hint    TEXT NOT NULL,
    -- JSON list of the audit actions that are posted ("delete", …).
    kinds           TEXT NOT NULL,
    -- Links in the posts start here (PUBLIC_URL when it was saved).
    link_base       TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    -- Why it stopped by itself (Discord said the webhook was deleted).
    disabled_reason TEXT,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- The audit entry an audit message posts, so that a revised entry (the
-- automatic purge, step by step) updates its message while it waits.
ALTER TABLE discord_outbox ADD COLUMN audit_id BIGINT;
CREATE INDEX discord_outbox_audit ON discord_outbox (audit_id) WHERE audit_id IS NOT NULL;
