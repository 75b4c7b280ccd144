-- A kept tally of each guild's trashed posts, for Deleted Items' totals.
--
-- Why: Deleted Items counted the guild's trashed posts on every page, for
-- its total and for the tab's count: an index-only scan of every trashed
-- post, 67-90 ms at p95 with 283,884 of them (BENCHMARKS.md), and slower
-- after each delete until a vacuum, as post_tallies explains for live
-- posts. This is the same ledger for the trash, kept by the filters of
-- Deleted Items that need no range: platform and deletion batch. A view
-- with "purged within 7 days" or a search is still counted (the search
-- uses this as its estimate's base).
--
-- As in post_tallies: each statement adds one row per key whose count it
-- changed (+n or -n), no row is ever updated in place, so writers never
-- wait for each other here; post_tally::fold merges a guild's rows.
CREATE TABLE post_trash_tallies (
    guild_id  BIGINT NOT NULL,
    platform  TEXT   NOT NULL,
    batch_id  TEXT,
    trashed   BIGINT NOT NULL
);

CREATE INDEX post_trash_tallies_by_guild ON post_trash_tallies (guild_id);

INSERT INTO post_trash_tallies (guild_id, platform, batch_id, trashed)
SELECT guild_id, platform, delete_batch_id, COUNT(*)
FROM posts
WHERE deleted_at IS NOT NULL
GROUP BY guild_id, platform, delete_batch_id;

-- Posts are not usually inserted into the trash, but an import may write
-- one there, so inserts are tallied too.
CREATE FUNCTION post_trash_tallies_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_trash_tallies (guild_id, platform, batch_id, trashed)
    SELECT guild_id, platform, delete_batch_id, COUNT(*)
    FROM inserted
    WHERE deleted_at IS NOT NULL
    GROUP BY guild_id, platform, delete_batch_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_trash_tallies_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION post_trash_tallies_insert();

-- An update of live posts only (new view counts from the tracker) reads
-- its rows and adds nothing.
CREATE FUNCTION post_trash_tallies_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_trash_tallies (guild_id, platform, batch_id, trashed)
    SELECT guild_id, platform, delete_batch_id, SUM(change)
    FROM (
        SELECT guild_id, platform, delete_batch_id, 1 AS change
        FROM after_update WHERE deleted_at IS NOT NULL
        UNION ALL
        SELECT guild_id, platform, delete_batch_id, -1 AS change
        FROM before_update WHERE deleted_at IS NOT NULL
    ) changes
    GROUP BY guild_id, platform, delete_batch_id
    HAVING SUM(change) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_trash_tallies_update AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION post_trash_tallies_update();

CREATE FUNCTION post_trash_tallies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_trash_tallies (guild_id, platform, batch_id, trashed)
    SELECT guild_id, platform, delete_batch_id, -COUNT(*)
    FROM removed
    WHERE deleted_at IS NOT NULL
    GROUP BY guild_id, platform, delete_batch_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_trash_tallies_delete AFTER DELETE ON posts
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION post_trash_tallies_delete();
