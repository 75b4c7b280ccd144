-- Bulk actions (delete, reassign) on a selection. A run works through its
-- items in chunks, one transaction each; every chunk updates this row with
-- the progress and the failed items, so the browser can poll it and a run
-- cut short by a crash is reported honestly instead of left "running".

CREATE TABLE bulk_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id     BIGINT  NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    -- NULL once the user is removed; the run's audit entries keep the name
    user_id      BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    entity       TEXT    NOT NULL CHECK (entity IN ('accounts', 'posts')),
    action       TEXT    NOT NULL CHECK (action IN ('delete', 'reassign')),
    -- links the audit entries, and for deletes the trashed rows
    batch_id     TEXT    NOT NULL UNIQUE,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done', 'interrupted')),
    total        BIGINT  NOT NULL,
    processed    BIGINT  NOT NULL DEFAULT 0,
    succeeded    BIGINT  NOT NULL DEFAULT 0,
    failed       BIGINT  NOT NULL DEFAULT 0,
    -- JSON array of the first failed items: id, name, reason
    failures     TEXT    NOT NULL DEFAULT '[]',
    -- the summary sentence once finished
    summary      TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX bulk_runs_running ON bulk_runs (updated_at) WHERE status = 'running';

-- The audit log page lists summaries and single entries; a batch's items
-- (batch_id and target_id both set) appear only when the summary is
-- expanded. Without this index a page after a 100,000-item delete would
-- step over 100,000 item rows to find its 50 entries.
CREATE INDEX audit_top_by_time ON audit_log (guild_id, created_at DESC, id DESC)
    WHERE target_id IS NULL OR batch_id IS NULL;
