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

-- Restore and permanent delete ("purge") are bulk runs too.
ALTER TABLE bulk_runs DROP CONSTRAINT bulk_runs_action_check,
    ADD CONSTRAINT bulk_runs_action_check
    CHECK (action IN ('delete', 'reassign', 'restore', 'purge'));
