-- Exports, instant and background, for the history and the job queue.
-- A background job is claimed by one worker (status queued -> running),
-- which bumps heartbeat_at at least once a second; a running job whose
-- heartbeat stops (the server died) is requeued or failed by any worker.

CREATE TABLE export_jobs (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    -- NULL once the user is removed; the history keeps the export
    requested_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity        TEXT    NOT NULL CHECK (entity IN ('accounts', 'posts')),
    format        TEXT    NOT NULL CHECK (format IN ('csv', 'json', 'xlsx')),
    -- "Current view", "Everything", "Selection (…)": for the history
    scope_label   TEXT    NOT NULL,
    -- the ExportRequest as JSON: what a worker (or Retry) runs again
    request       TEXT    NOT NULL,
    filename      TEXT    NOT NULL,
    instant       BOOLEAN NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'expired')),
    total         INTEGER,
    processed     INTEGER NOT NULL DEFAULT 0,
    size_bytes    INTEGER,
    -- "{guild_id}/{job_id}.{ext}" in the blob store; set only once the
    -- whole file is stored
    file_key      TEXT,
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    worker        TEXT,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    heartbeat_at  INTEGER,
    finished_at   INTEGER,
    expires_at    INTEGER
);
CREATE INDEX export_jobs_by_guild ON export_jobs (guild_id, id DESC);
CREATE INDEX export_jobs_active ON export_jobs (status, guild_id, id) WHERE status IN ('queued', 'running');
CREATE INDEX export_jobs_by_expiry ON export_jobs (expires_at) WHERE file_key IS NOT NULL;
