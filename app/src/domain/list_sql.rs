//! WHERE-clause pieces shared by the account and post lists.

use super::db::like_contains;
use super::{trigram_fold, Arg, Db, Dialect, Sql};
use crate::error::AppError;
use crate::model::filter::Assigned;
use crate::model::query::Params;
use crate::model::search::{prefix_end, Search};

/// `AND col = $n` for a specific brand/group, `AND col IS NULL` for "none".
pub(super) fn assigned(sql: &mut Sql, column: &str, filter: Option<Assigned>) {
    match filter {
        Some(Assigned::To(id)) => {
            sql.push(&format!(" AND {column} = ")).bind(id);
        }
        Some(Assigned::Unassigned) => {
            sql.push(&format!(" AND {column} IS NULL"));
        }
        None => {}
    }
}

/// `LIMIT … OFFSET …` for a 1-based page.
pub(super) fn page(sql: &mut Sql, page: u32, page_size: u32) {
    let offset = i64::from(page.saturating_sub(1)) * i64::from(page_size);
    sql.push(" LIMIT ")
        .bind(i64::from(page_size))
        .push(" OFFSET ")
        .bind(offset);
}

/// ` AND (c1 LIKE $n OR c2 LIKE $n …)`: `text` anywhere in any of `columns`.
pub(super) fn contains(sql: &mut Sql, dialect: Dialect, text: &str, columns: &[&str]) {
    let any = matches_any(sql, dialect, text, columns);
    sql.push(&format!(" AND {any}"));
}

/// `(c1 LIKE $n OR c2 LIKE $n …)`: `text` anywhere in any of `columns`, by
/// scanning them. For columns of small tables (accounts); captions have an
/// index ([`caption_or_account`]).
pub(super) fn matches_any(sql: &mut Sql, dialect: Dialect, text: &str, columns: &[&str]) -> String {
    let p = sql.arg(Arg::Text(like_contains(text)));
    let like = dialect.ilike();
    let any: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} {like} {p} ESCAPE '\\'"))
        .collect();
    format!("({})", any.join(" OR "))
}

/// How a search's matches are reached. SQLite is told outright (a unary
/// `+` forbids an index); on PostgreSQL only [`Reach::Lookup`] reads the
/// caption index, and the planner picks the rest by its own estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Walk the page's sort index and test each entry against the search:
    /// quick when matches are common, so 25 of them come early.
    Walk,
    /// Start from the search's own index (caption matches, an account's
    /// posts) and look each match up: quick when matches are few.
    Lookup,
    /// The rows are read anyway (a sample, [`super::estimate`]): test each
    /// one, its caption and its account by id. On SQLite the caption is
    /// tested with a `GLOB` that finds what the caption index finds
    /// ([`trigram_fold`]) rather than against a list of every match. A list
    /// of every post of the matching accounts would cost more to build than
    /// the test (it held 124,000 ids for "dance").
    Rows,
}

impl Reach {
    /// The prefix SQLite reads as "do not use an index for this column".
    pub(crate) fn unary(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (Reach::Walk | Reach::Rows, Dialect::Sqlite) => "+",
            _ => "",
        }
    }
}

/// The most caption matches, in all guilds, that an exact count reaches
/// through the caption index ([`exact_reach`]). Looking up 10,000 posts by
/// id takes PostgreSQL a few milliseconds; more, and the walk that tests
/// every caption of the guild (about 700 ms for a million posts) is
/// already the lesser cost of an exact count of that many.
const LOOKUP_AT_MOST: i64 = 10_000;

/// How an exact count, a selection or an export reaches the matches of the
/// search box in `filter` (its `q`). Lists decide from their sample
/// ([`super::estimate`]); exact counts have none, and walked every post of
/// the guild testing its caption, even for a text that matched nothing:
/// 687 ms on PostgreSQL for a million posts, against 0.7 ms through the
/// caption index. So on PostgreSQL a caption search first asks the caption
/// index for up to [`LOOKUP_AT_MOST`] + 1 matches in all guilds (an upper
/// bound on the guild's) and looks them up when that is all there are. On
/// SQLite the walk already takes its matches from the caption index, and
/// other searches have no caption part: both walk.
pub(crate) async fn exact_reach(db: &Db, filter: Option<&Params>) -> Result<Reach, AppError> {
    let q = filter.and_then(|f| f.get("q")).map(String::as_str);
    let text = match Search::parse(q.unwrap_or_default()) {
        Search::Text(text) if text.chars().count() >= TRIGRAM => text,
        _ => return Ok(Reach::Walk),
    };
    if db.dialect() != Dialect::Postgres {
        return Ok(Reach::Walk);
    }
    let mut sql = Sql::new("");
    let caption = matches_any(&mut sql, Dialect::Postgres, &text, &["c.caption"]);
    sql.push(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM post_captions c WHERE {caption} LIMIT {}) x",
        LOOKUP_AT_MOST + 1
    ));
    Ok(if db.fetch_i64(&sql).await? <= LOOKUP_AT_MOST {
        Reach::Lookup
    } else {
        Reach::Walk
    })
}

/// The fewest characters a trigram index can serve: shorter text has no
/// three-character window to look up, so it is matched by a scan.
const TRIGRAM: usize = 3;

/// A condition: the post aliased `p` has `text` in its caption, or its
/// account is one of `accounts` (a subquery of account ids). The caption
/// part is answered by the caption index (migrations `…_caption_search`):
/// - SQLite: a phrase query on the FTS5 trigram table, which matches
///   substrings, case folded. The matches and the accounts' posts become one
///   list of ids. With [`Reach::Walk`], the unary `+` keeps SQLite from
///   fetching and sorting every match by id: it walks the page's own index
///   and checks each entry's id against the list, which needs no table row.
///   With [`Reach::Lookup`] it fetches the listed ids instead. With an `OR`
///   instead, each index entry cost a table row for its account, and a
///   search that matched nothing read all of them (measured in
///   BENCHMARKS.md). With [`Reach::Rows`], each row's caption is tested
///   with a `GLOB` instead, which finds the same ([`trigram_fold`]) without
///   building the list of every match.
/// - PostgreSQL: the `pg_trgm` GIN index is on `post_captions` (migration
///   `…_caption_index_table`, so that bulk actions on `posts` never write to
///   it). With [`Reach::Lookup`] the matches start there, and the accounts'
///   posts join them in one list of ids, which the planner turns into a
///   semi-join on the posts' key. Otherwise each post read has its own
///   caption tested with `ILIKE`, ORed with `account_id = ANY (ARRAY(…))`:
///   when matches are common the page's index meets 25 of them early, and
///   a count or export that reads every post anyway needs no join. (With
///   `account_id IN (subquery)` under an OR, the planner makes a hashed
///   subplan and can no longer use `posts_live_by_account`.)
///
/// Text shorter than three characters scans with `LIKE`/`ILIKE` on both.
pub(super) fn caption_or_account(
    sql: &mut Sql,
    dialect: Dialect,
    p: &str,
    text: &str,
    accounts: &str,
    reach: Reach,
) -> String {
    match dialect {
        Dialect::Sqlite if text.chars().count() >= TRIGRAM => {
            if reach == Reach::Rows {
                let caption = match trigram_fold::glob_contains(text) {
                    Some(glob) => {
                        format!("{p}.caption GLOB {}", sql.arg(Arg::Text(glob)))
                    }
                    None => {
                        let phrase = sql.arg(Arg::Text(fts5_phrase(text)));
                        format!(
                            "+{p}.id IN (SELECT rowid FROM posts_caption_fts \
                             WHERE posts_caption_fts MATCH {phrase})"
                        )
                    }
                };
                return format!("({caption} OR {p}.account_id IN ({accounts}))");
            }
            let phrase = sql.arg(Arg::Text(fts5_phrase(text)));
            let plus = reach.unary(dialect);
            format!(
                "{plus}{p}.id IN (SELECT rowid FROM posts_caption_fts WHERE posts_caption_fts MATCH {phrase} \
                 UNION ALL SELECT q.id FROM posts q WHERE q.account_id IN ({accounts}))"
            )
        }
        Dialect::Sqlite => {
            let caption = matches_any(sql, dialect, text, &[&format!("{p}.caption")]);
            format!("({caption} OR {p}.account_id IN ({accounts}))")
        }
        Dialect::Postgres if reach == Reach::Lookup && text.chars().count() >= TRIGRAM => {
            let caption = matches_any(sql, dialect, text, &["c.caption"]);
            format!(
                "{p}.id IN (SELECT c.post_id FROM post_captions c WHERE {caption} \
                 UNION ALL SELECT q.id FROM posts q WHERE q.account_id IN ({accounts}))"
            )
        }
        Dialect::Postgres => {
            let caption = matches_any(sql, dialect, text, &[&format!("{p}.caption")]);
            format!("({caption} OR {p}.account_id = ANY (ARRAY({accounts})))")
        }
    }
}

/// `text` as one FTS5 phrase: in double quotes, with quotes doubled, so
/// every character (`*`, `:`, `-`, `AND`…) is matched literally.
fn fts5_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// ` AND column >= $lo AND column < $hi`: values starting with `prefix`, as
/// a range an index on `column` serves (a `LIKE 'x%'` would not: SQLite
/// only uses an index for LIKE under a NOCASE collation).
pub(super) fn prefix(sql: &mut Sql, dialect: Dialect, column: &str, prefix: &str) {
    let range = prefix_range(sql, dialect, column, prefix);
    sql.push(&format!(" AND {range}"));
}

/// [`prefix`] as text, its values bound to `sql`, for a condition built
/// before it is placed.
pub(super) fn prefix_range(sql: &mut Sql, dialect: Dialect, column: &str, prefix: &str) -> String {
    let (ge, lt) = dialect.byte_order_range();
    let lo = sql.arg(Arg::Text(prefix.to_string()));
    let mut range = format!("{column} {ge} {lo}");
    if let Some(end) = prefix_end(prefix) {
        let hi = sql.arg(Arg::Text(end));
        range.push_str(&format!(" AND {column} {lt} {hi}"));
    }
    range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_quotes_the_text_and_doubles_its_quotes() {
        assert_eq!(fts5_phrase("dance"), "\"dance\"");
        assert_eq!(fts5_phrase("say \"no\" AND *"), "\"say \"\"no\"\" AND *\"");
    }

    /// The search condition for `text` on the post `p`, built on its own.
    fn condition(dialect: Dialect, text: &str, reach: Reach) -> String {
        caption_or_account(&mut Sql::new(""), dialect, "p", text, "SELECT 1", reach)
    }

    #[test]
    fn short_text_scans_and_longer_text_uses_the_index_on_sqlite() {
        let cond = condition(Dialect::Sqlite, "🔥a", Reach::Walk);
        assert!(cond.contains("p.caption LIKE $1"), "{cond}");

        let cond = condition(Dialect::Sqlite, "🔥ab", Reach::Walk);
        assert!(
            cond.starts_with(
                "+p.id IN (SELECT rowid FROM posts_caption_fts WHERE posts_caption_fts MATCH $1"
            ),
            "{cond}"
        );

        let cond = condition(Dialect::Sqlite, "dance", Reach::Lookup);
        assert!(cond.starts_with("p.id IN (SELECT rowid"), "{cond}");
    }

    #[test]
    fn a_sample_tests_its_rows_with_a_glob_unless_the_text_has_a_nul() {
        let cond = condition(Dialect::Sqlite, "Привет 🦩", Reach::Rows);
        assert!(cond.starts_with("(p.caption GLOB $1 OR "), "{cond}");

        let cond = condition(Dialect::Sqlite, "da\0nce", Reach::Rows);
        assert!(
            cond.starts_with("(+p.id IN (SELECT rowid FROM posts_caption_fts"),
            "{cond}"
        );
    }

    #[test]
    fn postgres_reads_the_caption_table_only_to_look_matches_up() {
        let cond = condition(Dialect::Postgres, "dance", Reach::Walk);
        assert!(cond.contains("p.caption ILIKE $1"), "{cond}");

        let cond = condition(Dialect::Postgres, "dance", Reach::Lookup);
        assert!(
            cond.starts_with(
                "p.id IN (SELECT c.post_id FROM post_captions c WHERE (c.caption ILIKE $1"
            ),
            "{cond}"
        );

        let cond = condition(Dialect::Postgres, "da", Reach::Lookup);
        assert!(cond.contains("p.caption ILIKE $1"), "{cond}");
    }
}
