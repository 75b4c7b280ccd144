-- "@rio" searches handles by prefix (model::search). The query compares
-- with the byte-order operators ~>=~ and ~<~, because the ordinary >= and <
-- follow the database collation, which need not keep a prefix's matches
-- together; a text_pattern_ops index serves exactly those operators.
-- SQLite needs nothing new: its accounts_live_by_handle is in byte order.
CREATE INDEX accounts_live_by_handle_bytes ON accounts (guild_id, handle text_pattern_ops)
    WHERE deleted_at IS NULL;
