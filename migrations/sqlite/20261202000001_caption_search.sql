-- Caption search by index (domain::list_sql::caption_contains). Before this,
-- a search scanned every caption with LIKE '%…%'. FTS5's trigram tokenizer
-- indexes every three-character window of the text, so a phrase of three or
-- more characters matches any substring of a caption, inside words, in any
-- script, emoji included; case is folded (Unicode, diacritics kept).
-- Shorter text still scans with LIKE, as no trigram can serve it.
--
-- The index holds every post, live and trashed: the Posts page and Deleted
-- Items both search captions, and a soft delete or restore changes only
-- deleted_at, so neither touches the index. The triggers below keep it in
-- step with inserts, caption edits and deletes (purge, delete permanently,
-- and the cascade from an account or guild) in the same transaction as the
-- change. `content='posts'` stores no second copy of the captions.
CREATE VIRTUAL TABLE posts_caption_fts USING fts5(
    caption,
    content = 'posts',
    content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO posts_caption_fts (posts_caption_fts) VALUES ('rebuild');

CREATE TRIGGER posts_caption_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_caption_fts (rowid, caption) VALUES (new.id, new.caption);
END;

CREATE TRIGGER posts_caption_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_caption_fts (posts_caption_fts, rowid, caption)
        VALUES ('delete', old.id, old.caption);
END;

CREATE TRIGGER posts_caption_fts_update AFTER UPDATE OF caption ON posts BEGIN
    INSERT INTO posts_caption_fts (posts_caption_fts, rowid, caption)
        VALUES ('delete', old.id, old.caption);
    INSERT INTO posts_caption_fts (rowid, caption) VALUES (new.id, new.caption);
END;
