-- The item entries of bulk actions store their facts, not a sentence: the
-- log renders the sentence when it is read (app/src/domain/audit_item.rs),
-- so each fact has one wording, in Rust, for both databases. Rows written
-- before this keep their stored summary and read as they did; new item
-- rows store an empty summary.
--
-- item_handle      the account's handle (of the post's account for posts)
-- item_platform    the account's platform code (accounts)
-- item_text        a post's caption, cut to 41 characters: one more than
--                  the log shows, so the reader knows to add "…"
-- item_posts       posts that went with an account (delete, restore, purge)
-- item_unassigned  1 when a restored item's group or brand no longer exists
-- group_from/_to, brand_from/_to
--                  a reassign's names; '' for "none"; NULL when that one
--                  did not move
ALTER TABLE audit_log ADD COLUMN item_handle TEXT;
ALTER TABLE audit_log ADD COLUMN item_platform TEXT;
ALTER TABLE audit_log ADD COLUMN item_text TEXT;
ALTER TABLE audit_log ADD COLUMN item_posts BIGINT;
ALTER TABLE audit_log ADD COLUMN item_unassigned BIGINT;
ALTER TABLE audit_log ADD COLUMN group_from TEXT;
ALTER TABLE audit_log ADD COLUMN group_to TEXT;
ALTER TABLE audit_log ADD COLUMN brand_from TEXT;
ALTER TABLE audit_log ADD COLUMN brand_to TEXT;
