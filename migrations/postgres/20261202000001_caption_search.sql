-- Caption search by index (domain::list_sql::caption_contains). Before this,
-- a search scanned every caption with ILIKE '%…%'. pg_trgm's GIN index
-- serves that same ILIKE (so the results do not change) for any text of
-- three or more characters; PostgreSQL keeps it in step with every insert,
-- update and delete in the same transaction, like any index. It covers
-- live and trashed posts, as both the Posts page and Deleted Items search.
--
-- pg_trgm ships with PostgreSQL (contrib); creating it needs a role that
-- may create extensions (a superuser, or the database owner on PostgreSQL
-- 13+ where pg_trgm is a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX posts_caption_trgm ON posts USING gin (caption gin_trgm_ops);
