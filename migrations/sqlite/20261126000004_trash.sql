-- Trash: restore to the original place, and purge.

-- The group and brand an item had when it was deleted. group_id and
-- brand_id are set to NULL by their foreign keys when a group or brand is
-- deleted; these copies have no foreign key, so a restore can say "restored
-- unassigned: its group no longer exists" instead of losing that silently.
ALTER TABLE accounts ADD COLUMN deleted_group_id INTEGER;
ALTER TABLE accounts ADD COLUMN deleted_brand_id INTEGER;
ALTER TABLE posts ADD COLUMN deleted_group_id INTEGER;
ALTER TABLE posts ADD COLUMN deleted_brand_id INTEGER;
UPDATE accounts SET deleted_group_id = group_id, deleted_brand_id = brand_id
    WHERE deleted_at IS NOT NULL;
UPDATE posts SET deleted_group_id = group_id, deleted_brand_id = brand_id
    WHERE deleted_at IS NOT NULL;

-- Purging an account deletes its posts (ON DELETE CASCADE). That lookup
-- cannot use the partial posts_live_by_account, so without this index every
-- purged account would scan all posts.
CREATE INDEX posts_by_account ON posts (account_id);

-- Restore and permanent delete ("purge") are bulk runs too. SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt (nothing references it).
CREATE TABLE bulk_runs_new (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    entity       TEXT    NOT NULL CHECK (entity IN ('accounts', 'posts')),
    action       TEXT    NOT NULL CHECK (action IN ('delete', 'reassign', 'restore', 'purge')),
    batch_id     TEXT    NOT NULL UNIQUE,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done', 'interrupted')),
    total        INTEGER NOT NULL,
    processed    INTEGER NOT NULL DEFAULT 0,
    succeeded    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    failures     TEXT    NOT NULL DEFAULT '[]',
    summary      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
INSERT INTO bulk_runs_new SELECT id, guild_id, user_id, entity, action, batch_id, status, total,
    processed, succeeded, failed, failures, summary, created_at, updated_at, finished_at
    FROM bulk_runs;
DROP TABLE bulk_runs;
ALTER TABLE bulk_runs_new RENAME TO bulk_runs;
CREATE INDEX bulk_runs_running ON bulk_runs (updated_at) WHERE status = 'running';
