-- The Audit log's page of one batch's item entries (audit::batch_items)
-- and their count: the batch's items alone, in id order. With only
-- audit_by_batch, page 2,000 of a 283,884-item batch read each skipped
-- entry's row to check its guild and target (363 ms, measured through the
-- server); with this index it skips index entries and reads 50 rows (23 ms).
--
-- Deleted Items needs no index here: posts_by_guild_deleted (guild_id,
-- deleted_at) ends with the rowid, which gives the page's order (deleted_at
-- DESC, id DESC) as it is. Its slow first page was the count's join (see
-- trash::count_from).
CREATE INDEX audit_items_by_batch ON audit_log (batch_id, guild_id, id)
    WHERE target_id IS NOT NULL;
