-- One bulk action runs per guild at a time; the others wait their turn as
-- 'queued'. `worker` names the server process that holds the run
-- ("{host}:{port}#{boot}"), so a server that restarts after a crash can
-- close its own earlier runs at once instead of after a minute of silence.
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt (nothing
-- references it).
CREATE TABLE bulk_runs_new (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity       TEXT    NOT NULL CHECK (entity IN ('accounts', 'posts')),
    action       TEXT    NOT NULL CHECK (action IN ('delete', 'reassign', 'restore', 'purge')),
    batch_id     TEXT    NOT NULL UNIQUE,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'interrupted')),
    total        INTEGER NOT NULL,
    processed    INTEGER NOT NULL DEFAULT 0,
    succeeded    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    failures     TEXT    NOT NULL DEFAULT '[]',
    summary      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    worker       TEXT
);
INSERT INTO bulk_runs_new SELECT id, guild_id, user_id, entity, action, batch_id, status, total,
    processed, succeeded, failed, failures, summary, created_at, updated_at, finished_at, NULL
    FROM bulk_runs;
DROP TABLE bulk_runs;
ALTER TABLE bulk_runs_new RENAME TO bulk_runs;
-- The guild's queue (who runs next, how many are ahead) and the upkeep's
-- search for runs whose server stopped.
CREATE INDEX bulk_runs_active ON bulk_runs (guild_id, id) WHERE status IN ('queued', 'running');
