-- Imports of Guildtrack's own exports (domain::import). One row per
-- uploaded file: checked (a dry run), then applied once an admin confirms.
CREATE TABLE import_jobs (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    -- NULL once the user is removed; the audit entries keep the name.
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- The uploaded file's name, for the history; never a path.
    file_name     TEXT NOT NULL,
    -- Where the upload is kept (the export store, under imports/).
    blob_key      TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    -- Known once the file's head has been read.
    entity        TEXT CHECK (entity IN ('accounts', 'posts')),
    format        TEXT CHECK (format IN ('json', 'csv')),
    status        TEXT NOT NULL CHECK (status IN
                    ('checking', 'ready', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
    -- Items read so far, by the check or by the import.
    processed     INTEGER NOT NULL DEFAULT 0,
    -- Items in the file, once the check has read them all.
    total         INTEGER,
    -- JSON: the dry run's counts and the groups and brands it would create.
    dry_run       TEXT,
    -- JSON: what the import did, as far as it got.
    outcome       TEXT,
    -- A sentence for the member when the file was refused or the import
    -- failed.
    error         TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- `import-42`: links the audit summary and its item entries.
    batch_id      TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    -- Touched with every batch: a busy job whose row stops moving lost its
    -- server (upkeep marks it interrupted).
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX import_jobs_by_guild ON import_jobs (guild_id, created_at DESC);
CREATE INDEX import_jobs_busy ON import_jobs (updated_at) WHERE status IN ('checking', 'running');
