-- The list's main index also holds each post's views, so that a count with
-- a date range and a minimum of views reads this index alone.
--
-- Why: "last 30 days + min views 100k" took 174 ms at p95 at a million
-- posts (BENCHMARKS.md): the views tally cannot serve a date range, and the
-- count read a heap row for each post of the range to test its views.
--
-- It costs the writes nothing: a post's views are in posts_live_by_views,
-- so a new view count already makes a new row version with an entry in
-- every index (no HOT update), this one included. Only the entries are
-- longer.
CREATE INDEX posts_live_by_posted_with_views ON posts (guild_id, posted_at DESC, id DESC)
    INCLUDE (views) WHERE deleted_at IS NULL;
DROP INDEX posts_live_by_posted;
ALTER INDEX posts_live_by_posted_with_views RENAME TO posts_live_by_posted;
