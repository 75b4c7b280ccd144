-- The views index also holds each post's platform and posting time, so that
-- a count with a minimum of views and a platform or a date range reads this
-- index alone (posts::count_clause).
--
-- Why: such a count read a table row for each post of the wider filter to
-- test the other condition. At a million posts "platform + min views 100k"
-- took 361 ms and "last 30 days + min views 100k" 99 ms at p95
-- (BENCHMARKS.md). Reading the index alone, the count visits at most the
-- index entries at or above the minimum, and never a table row.
--
-- Both columns are set when a post is made and never change, so a write
-- moves an entry here exactly when it did before (a new view count); the
-- entries are only longer. Measured on a million posts (Python's sqlite3,
-- CPU time, three interleaved runs): a soft delete of 62,000 posts and a
-- reassign took the same time within the noise, 20,000 new view counts
-- 0.19 -> 0.24 s. An index of views per platform, brand or group was the
-- other way; each costs every write as much as the indexes it sits beside.
-- Brand and group stay out of it: a reassign would move each of its posts
-- here as well (twice the reassign's time, measured the same way).
--
-- deleted_at stays before them, as in 20261126000005: always NULL here.
DROP INDEX posts_live_by_views;
CREATE INDEX posts_live_by_views ON posts (guild_id, views DESC, deleted_at, platform, posted_at)
    WHERE deleted_at IS NULL;
