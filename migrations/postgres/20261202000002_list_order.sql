-- Deleted Items lists newest deletion first: ORDER BY deleted_at DESC,
-- id DESC. posts_by_guild_deleted (guild_id, deleted_at) gives the first key
-- only, and one "select all" delete gives every item the same deleted_at,
-- so PostgreSQL sorted the whole batch by id (283,884 posts) to show 25.
-- These indexes hold the trash alone, in the page's order.
CREATE INDEX posts_trash_by_deleted ON posts (guild_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX accounts_trash_by_deleted ON accounts (guild_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;

-- The Audit log's page of one batch's item entries (audit::batch_items)
-- and their count: the batch's items alone, in id order, so that a deep
-- page skips index entries instead of table rows. The count of a
-- 283,884-item batch took a parallel scan of the whole log (53 ms).
CREATE INDEX audit_items_by_batch ON audit_log (batch_id, guild_id, id)
    WHERE target_id IS NOT NULL;
