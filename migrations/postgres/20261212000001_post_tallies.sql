-- A kept tally of each guild's live posts, for the lists' totals.
--
-- Why: on PostgreSQL, `COUNT(*)` of a guild's live posts is an index-only
-- scan, and it is only as quick as the visibility map is fresh. Every write
-- clears the bits of the pages it touches, and until a vacuum sets them
-- again the count visits those heap pages too. So a bulk run vacuumed after
-- every chunk, which was half its time (22 s for a 100,000-post reassign),
-- and the members' lists were still 2.3-2.7x slower during it; the ingest
-- API's batches slowed the lists the same way (BENCHMARKS.md). Even quiet,
-- counting a million posts took 40-50 ms.
--
-- The tally is kept per guild, account, platform, group and brand: the
-- filters of the Posts page that need no range. A list without a date
-- range, a minimum of views or a search reads its total here
-- (domain::post_tally), from a few hundred rows; a search's estimate uses
-- it as its base.
--
-- It is a ledger of changes, not one row per key. Each statement that
-- inserts, removes, trashes, restores or reassigns posts adds one row per
-- key whose count it changed, holding the change (+n or -n), in the same
-- transaction. Adding a row takes no lock that another writer waits for:
-- with one counter row per key, an ingest batch (insert, then update) and
-- a bulk chunk (update) would each hold a post the other wants while
-- waiting for the other's counter row, a deadlock. The server folds a
-- guild's rows into one per key from time to time (post_tally::fold);
-- the sum is the same before and after.
--
-- No foreign keys: removing a guild or an account removes its posts, and
-- the trigger records that as the negative change that brings the key's
-- sum to zero. Folding drops keys whose sum is zero.
CREATE TABLE post_tallies (
    guild_id    BIGINT NOT NULL,
    account_id  BIGINT NOT NULL,
    platform    TEXT   NOT NULL,
    group_id    BIGINT,
    brand_id    BIGINT,
    live        BIGINT NOT NULL
);

CREATE INDEX post_tallies_by_guild ON post_tallies (guild_id);

INSERT INTO post_tallies (guild_id, account_id, platform, group_id, brand_id, live)
SELECT guild_id, account_id, platform, group_id, brand_id, COUNT(*)
FROM posts
WHERE deleted_at IS NULL
GROUP BY guild_id, account_id, platform, group_id, brand_id;

-- Statement triggers over transition tables: one INSERT per statement, not
-- one per row (an ingest batch writes 1,000 posts at once, a bulk chunk
-- 5,000). PostgreSQL allows no column list on such a trigger, so every
-- UPDATE of posts runs the update trigger; an update that moves no post
-- between keys (new view counts, say) adds no row (HAVING).
CREATE FUNCTION post_tallies_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_tallies (guild_id, account_id, platform, group_id, brand_id, live)
    SELECT guild_id, account_id, platform, group_id, brand_id, COUNT(*)
    FROM inserted
    WHERE deleted_at IS NULL
    GROUP BY guild_id, account_id, platform, group_id, brand_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_tallies_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION post_tallies_insert();

CREATE FUNCTION post_tallies_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_tallies (guild_id, account_id, platform, group_id, brand_id, live)
    SELECT guild_id, account_id, platform, group_id, brand_id, SUM(change)
    FROM (
        SELECT guild_id, account_id, platform, group_id, brand_id, 1 AS change
        FROM after_update WHERE deleted_at IS NULL
        UNION ALL
        SELECT guild_id, account_id, platform, group_id, brand_id, -1 AS change
        FROM before_update WHERE deleted_at IS NULL
    ) changes
    GROUP BY guild_id, account_id, platform, group_id, brand_id
    HAVING SUM(change) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_tallies_update AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION post_tallies_update();

CREATE FUNCTION post_tallies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_tallies (guild_id, account_id, platform, group_id, brand_id, live)
    SELECT guild_id, account_id, platform, group_id, brand_id, -COUNT(*)
    FROM removed
    WHERE deleted_at IS NULL
    GROUP BY guild_id, account_id, platform, group_id, brand_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_tallies_delete AFTER DELETE ON posts
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION post_tallies_delete();
