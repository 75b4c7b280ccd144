-- Failed sign-ins, counted per username and per client address to throttle
-- guessing (domain::sign_in). Only the last 15 minutes count; the hourly
-- cleanup removes older rows.
CREATE TABLE sign_in_failures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- as typed, lower-cased; whether or not such a user exists
    username   TEXT        NOT NULL,
    client     TEXT        NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_by_username ON sign_in_failures (username, failed_at);
CREATE INDEX sign_in_failures_by_client ON sign_in_failures (client, failed_at);

-- A session also ends after 7 days without use (domain::auth::IDLE_DAYS),
-- not only 30 days after sign-in. Existing sessions count as used when made.
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMPTZ;
UPDATE sessions SET last_used_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL;
