-- The trigram index moves off `posts` into a table of its own.
--
-- Why: PostgreSQL writes a new version of a row for every UPDATE that
-- changes an indexed column, and every index gets an entry for it. Both bulk
-- actions change one (a reassign sets group_id; a soft delete sets
-- deleted_at, which every partial index's predicate reads), so each trashed
-- or reassigned post was added to the GIN index again: one entry per
-- trigram of its caption. Measured with psql on a guild of 1,000,000 posts,
-- 20,000 posts per UPDATE, rolled back: reassign 3.35 s with the index on
-- `posts`, 1.65 s without; soft delete 1.70 s and 0.63 s (BENCHMARKS.md).
--
-- `post_captions` holds each post's caption beside its id and carries the
-- index, so only an insert, a caption edit or a removal touches it. The
-- caption also stays on `posts`: the list's rows test it there as they are
-- read (domain::list_sql::caption_or_account), without a join.
--
-- Kept in step in the same transaction as the change to `posts`:
-- - inserts by a statement trigger over the inserted rows (one INSERT per
--   statement, not per row: a bulk import inserts thousands at once);
-- - caption edits by a row trigger that fires only when `caption` is set;
-- - removals (purge, delete permanently, the cascade from an account or a
--   guild) by the foreign key's cascade.
CREATE TABLE post_captions (
    post_id  BIGINT PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    caption  TEXT   NOT NULL
);

INSERT INTO post_captions (post_id, caption) SELECT id, caption FROM posts;

CREATE INDEX post_captions_trgm ON post_captions USING gin (caption gin_trgm_ops);

DROP INDEX posts_caption_trgm;

CREATE FUNCTION post_captions_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_captions (post_id, caption) SELECT id, caption FROM inserted;
    RETURN NULL;
END
$$;

CREATE TRIGGER post_captions_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION post_captions_insert();

CREATE FUNCTION post_captions_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_captions SET caption = NEW.caption WHERE post_id = NEW.id;
    RETURN NULL;
END
$$;

-- PostgreSQL allows no transition table on a trigger with a column list,
-- hence a row trigger; `OF caption` keeps it off every other update.
CREATE TRIGGER post_captions_update AFTER UPDATE OF caption ON posts
    FOR EACH ROW WHEN (OLD.caption IS DISTINCT FROM NEW.caption)
    EXECUTE FUNCTION post_captions_update();
