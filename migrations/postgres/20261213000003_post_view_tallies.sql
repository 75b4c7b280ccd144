-- A kept tally of each guild's live posts by how many views they have, for
-- the totals of lists with a minimum of views.
--
-- Why: "min views 100k" counted the posts with that many views, 624,254 of
-- a million, through posts_live_by_views: 96 ms at p95, and "group + min
-- views" 199 ms, as no index holds both (BENCHMARKS.md). A kept total
-- cannot answer every minimum, so posts are tallied by their views' floor
-- on the 1-2-5 scale (0, 1, 2, 5, 10, 20, 50, 100, ... views). A minimum
-- on that scale, like the 100,000 the bench asks for, is a sum of the
-- tally; any other is the sum from the next floor up plus a count of the
-- posts between the two, at most a step of the scale
-- (domain::post_tally).
--
-- Kept by platform, group and brand, the filters of the Posts page that go
-- with a minimum of views and need no range. A list of one account is
-- counted: an account has few enough posts.
--
-- A ledger like post_tallies (which says why): each statement adds a row
-- per key whose count it changed, and post_tally::fold merges them. New
-- view counts from the tracker move a post to another key only when they
-- cross a floor.
--
-- The floor of a view count: the largest step of the scale at or below it,
-- up to a trillion (a post with more views is filed under a trillion, and
-- a minimum above it is counted). A ladder of comparisons rather than
-- arithmetic on the count's digits: the function is inlined into the
-- triggers' queries, and a bulk chunk of 5,000 posts calls it 10,000
-- times (a version with numeric powers cost 6.6 us a call, 66 ms a chunk).
CREATE FUNCTION view_floor(views BIGINT) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN views < 1 THEN 0
        WHEN views < 2 THEN 1
        WHEN views < 5 THEN 2
        WHEN views < 10 THEN 5
        WHEN views < 20 THEN 10
        WHEN views < 50 THEN 20
        WHEN views < 100 THEN 50
        WHEN views < 200 THEN 100
        WHEN views < 500 THEN 200
        WHEN views < 1000 THEN 500
        WHEN views < 2000 THEN 1000
        WHEN views < 5000 THEN 2000
        WHEN views < 10000 THEN 5000
        WHEN views < 20000 THEN 10000
        WHEN views < 50000 THEN 20000
        WHEN views < 100000 THEN 50000
        WHEN views < 200000 THEN 100000
        WHEN views < 500000 THEN 200000
        WHEN views < 1000000 THEN 500000
        WHEN views < 2000000 THEN 1000000
        WHEN views < 5000000 THEN 2000000
        WHEN views < 10000000 THEN 5000000
        WHEN views < 20000000 THEN 10000000
        WHEN views < 50000000 THEN 20000000
        WHEN views < 100000000 THEN 50000000
        WHEN views < 200000000 THEN 100000000
        WHEN views < 500000000 THEN 200000000
        WHEN views < 1000000000 THEN 500000000
        WHEN views < 2000000000 THEN 1000000000
        WHEN views < 5000000000 THEN 2000000000
        WHEN views < 10000000000 THEN 5000000000
        WHEN views < 20000000000 THEN 10000000000
        WHEN views < 50000000000 THEN 20000000000
        WHEN views < 100000000000 THEN 50000000000
        WHEN views < 200000000000 THEN 100000000000
        WHEN views < 500000000000 THEN 200000000000
        WHEN views < 1000000000000 THEN 500000000000
        ELSE 1000000000000
    END;

CREATE TABLE post_view_tallies (
    guild_id    BIGINT NOT NULL,
    platform    TEXT   NOT NULL,
    group_id    BIGINT,
    brand_id    BIGINT,
    view_floor  BIGINT NOT NULL,
    live        BIGINT NOT NULL
);

CREATE INDEX post_view_tallies_by_guild ON post_view_tallies (guild_id);

INSERT INTO post_view_tallies (guild_id, platform, group_id, brand_id, view_floor, live)
SELECT guild_id, platform, group_id, brand_id, view_floor(views), COUNT(*)
FROM posts
WHERE deleted_at IS NULL
GROUP BY guild_id, platform, group_id, brand_id, view_floor(views);

CREATE FUNCTION post_view_tallies_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_view_tallies (guild_id, platform, group_id, brand_id, view_floor, live)
    SELECT guild_id, platform, group_id, brand_id, view_floor(views), COUNT(*)
    FROM inserted
    WHERE deleted_at IS NULL
    GROUP BY guild_id, platform, group_id, brand_id, view_floor(views);
    RETURN NULL;
END
$$;

CREATE TRIGGER post_view_tallies_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION post_view_tallies_insert();

CREATE FUNCTION post_view_tallies_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_view_tallies (guild_id, platform, group_id, brand_id, view_floor, live)
    SELECT guild_id, platform, group_id, brand_id, floor, SUM(change)
    FROM (
        SELECT guild_id, platform, group_id, brand_id, view_floor(views) AS floor, 1 AS change
        FROM after_update WHERE deleted_at IS NULL
        UNION ALL
        SELECT guild_id, platform, group_id, brand_id, view_floor(views) AS floor, -1 AS change
        FROM before_update WHERE deleted_at IS NULL
    ) changes
    GROUP BY guild_id, platform, group_id, brand_id, floor
    HAVING SUM(change) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_view_tallies_update AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION post_view_tallies_update();

CREATE FUNCTION post_view_tallies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_view_tallies (guild_id, platform, group_id, brand_id, view_floor, live)
    SELECT guild_id, platform, group_id, brand_id, view_floor(views), -COUNT(*)
    FROM removed
    WHERE deleted_at IS NULL
    GROUP BY guild_id, platform, group_id, brand_id, view_floor(views);
    RETURN NULL;
END
$$;

CREATE TRIGGER post_view_tallies_delete AFTER DELETE ON posts
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION post_view_tallies_delete();
