-- The Audit log's page of a batch's items shows their total. It counted
-- the batch's item entries on every page: 112-142 ms for a 283,884-post
-- delete on PostgreSQL (BENCHMARKS.md). The batch's summary already keeps
-- that number (item_count, written with the summary at the end of the
-- batch), so the page reads it there, and counts only while the batch has
-- no summary yet. This index finds a batch's summary without stepping
-- over its items, which audit_by_batch holds too.
CREATE INDEX audit_summary_by_batch ON audit_log (batch_id, guild_id)
    WHERE batch_id IS NOT NULL AND target_id IS NULL;
