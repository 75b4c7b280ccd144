//! Totals of searches too big to count exactly in the time a page has.
//!
//! A search matching a sixth of a million posts costs 150–400 ms to count
//! exactly on either database, because every match is visited, while its
//! first page costs a few milliseconds: the sort's index yields 25 matches
//! after a few hundred entries. So a search list first reads a sample: the
//! first [`Sampling::rows`] items of the same list without the search, in
//! the page's own order, each tested against the search. The sample decides
//! how the total is had ([`Verdict`]):
//!
//! - the whole list fit in the sample: its matches are the total, exact;
//! - few matches in a full sample: the search is rare, so its matches are
//!   found and counted exactly through the search's own index;
//! - otherwise the total is the sample's share of matches times the list's
//!   total without the search (which the filter indexes count in time),
//!   rounded to two significant figures and shown as "about".
//!
//! The sample is the top of the list, not a random draw: a word that is
//! more common in recent posts than in old ones is over-counted. The total
//! says "about" for that reason. Selections and exports never use it: their
//! counts are exact ([`super::bulk`], [`super::export`]).

use super::{Db, Sql};
use crate::error::AppError;

/// How big a sample is, and how many matches in it make a search common.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Items read, in the page's order, before any decision.
    pub rows: i64,
    /// Fewer matches than this in a full sample: count exactly. 50 of
    /// 5,000 (1 %) leaves about 10,000 matches in a million posts, which
    /// both databases count from the search index in milliseconds, and
    /// gives an estimate within about 14 % (one standard error of a share
    /// of 50 in 5,000; more matches, less error).
    pub min_matches: i64,
    /// A list sampled platform by platform (on SQLite, a brand or group
    /// with what its index cannot serve) whose brand or group holds at most
    /// this many posts is counted exactly whatever its sample says: a
    /// count that reads a table row per post takes about 1 µs a post, so
    /// 20,000 cost about 20 ms, and the estimate is for lists too big for
    /// that.
    pub exact_up_to: i64,
}

impl Sampling {
    pub const DEFAULT: Sampling = Sampling {
        rows: 5_000,
        min_matches: 50,
        exact_up_to: 20_000,
    };

    /// A sample of the whole list: always the exact total, at the price of
    /// reading every item (the bench compares estimates with it).
    pub const EXACT: Sampling = Sampling {
        rows: i64::MAX,
        min_matches: 0,
        exact_up_to: i64::MAX,
    };
}

/// What the sample found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Items read: fewer than asked means the list ended.
    pub seen: i64,
    /// Of those, the ones the search matches.
    pub matched: i64,
    /// The ids of the first matches, in the list's order, as many as the
    /// page asked for ([`query`]'s `need`). The sample is the top of the
    /// list, so they are the first matches of the whole list: when there
    /// are enough of them, they are the page, and the search is not run
    /// again.
    pub first: Vec<i64>,
}

/// How a search list's total is had, decided by its [`Sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// The sample held the whole list: this is the total.
    Exact(i64),
    /// Few matches: count them through the search's index.
    Rare,
    /// Many matches: this share of the list without the search.
    Common { share: f64 },
}

impl Sample {
    pub fn verdict(&self, sampling: Sampling) -> Verdict {
        if self.seen < sampling.rows {
            Verdict::Exact(self.matched)
        } else if self.matched < sampling.min_matches {
            Verdict::Rare
        } else {
            Verdict::Common {
                share: self.matched as f64 / self.seen as f64,
            }
        }
    }
}

/// One platform's part of a sample taken platform by platform: the first
/// posts of the platform in the list, as many as each part holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stratum {
    /// Posts read: fewer than each part holds means the platform's list
    /// ended, and its matches are exact.
    pub seen: i64,
    /// Of those, the ones the conditions match.
    pub matched: i64,
    /// The platform's whole list, counted.
    pub total: i64,
}

/// How the total of a list sampled platform by platform is had, with the
/// count of the whole list (the base of a [`Verdict::Common`] share). Each
/// platform's share weighs by its own count, so a platform with many posts
/// and few matches is not taken for the rest.
pub(crate) fn stratified(strata: &[Stratum], each: i64, sampling: Sampling) -> (Verdict, i64) {
    let base: i64 = strata.iter().map(|s| s.total).sum();
    let matched: i64 = strata.iter().map(|s| s.matched).sum();
    let ended = |s: &Stratum| s.seen < each;
    let verdict = if strata.iter().all(ended) {
        Verdict::Exact(matched)
    } else if matched < sampling.min_matches {
        Verdict::Rare
    } else {
        let expected: f64 = strata
            .iter()
            .map(|s| match (ended(s), s.seen) {
                (true, _) | (false, 0) => s.matched as f64,
                (false, seen) => s.matched as f64 / seen as f64 * s.total as f64,
            })
            .sum();
        Verdict::Common {
            share: expected / base as f64,
        }
    };
    (verdict, base)
}

/// `share` of `base`, to two significant figures: "about 170,000", not a
/// precision the sample does not have.
pub(crate) fn estimate(share: f64, base: i64) -> i64 {
    two_significant((share * base as f64).round() as i64)
}

fn two_significant(n: i64) -> i64 {
    if n < 100 {
        return n;
    }
    let scale = 10_i64.pow(n.ilog10() - 1);
    (n + scale / 2) / scale * scale
}

/// The sample query: `condition` (over alias `p`) tested on the first
/// `sampling.rows` rows of `rows` (a `SELECT p.id, p.caption, p.account_id,
/// <the sort's columns> FROM … WHERE …` without its ORDER BY), in the
/// order `order` (an ORDER BY over `p`). `rows` may also be the start of
/// a query that `where_clause` completes. It returns the first `need`
/// matches, each with the sample's totals, and the first row in any case,
/// so the totals arrive even when nothing matched. Ordering the windows by
/// the sort itself keeps "the first matches" true on both databases
/// whatever order the rows arrive in.
pub(crate) fn query(
    sql: &mut Sql,
    condition: &str,
    rows: &str,
    where_clause: impl FnOnce(&mut Sql),
    order: &str,
    sampling: Sampling,
    need: i64,
) {
    // `MATERIALIZED`: inlined, the test is copied into each window that
    // reads `hit`, and SQLite built the caption matches' list once per copy
    // (91 ms instead of 47 for "halleng", measured).
    sql.push(&format!(
        "WITH s AS MATERIALIZED (SELECT p.*, \
         CAST(CASE WHEN {condition} THEN 1 ELSE 0 END AS BIGINT) AS hit FROM ({rows}"
    ));
    where_clause(sql);
    sql.push(order)
        .push(" LIMIT ")
        .bind(sampling.rows)
        .push(&format!(
            ") p) SELECT id, hit, seen, matched FROM (SELECT p.id, p.hit, \
             COUNT(*) OVER () AS seen, CAST(SUM(p.hit) OVER () AS BIGINT) AS matched, \
             SUM(p.hit) OVER ({order} ROWS UNBOUNDED PRECEDING) AS nth, \
             ROW_NUMBER() OVER ({order}) AS rn FROM s p) w \
             WHERE rn = 1 OR (hit = 1 AND nth <= "
        ))
        .bind(need)
        .push(")");
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    id: i64,
    hit: i64,
    seen: i64,
    matched: i64,
}

/// Runs a sample [`query`].
pub(crate) async fn take(db: &Db, sql: &Sql) -> Result<Sample, AppError> {
    let rows = db.fetch_all::<SampleRow>(sql).await?;
    let (seen, matched) = rows.first().map_or((0, 0), |r| (r.seen, r.matched));
    Ok(Sample {
        seen,
        matched,
        first: rows.iter().filter(|r| r.hit == 1).map(|r| r.id).collect(),
    })
}

/// The ids of page `page` (1-based, `size` a page) among the first matches,
/// if the sample holds all of that page: it does when it found more
/// matches than the page needs, or when it read the whole list.
pub(crate) fn page_of(sample: &Sample, sampling: Sampling, page: u32, size: u32) -> Option<&[i64]> {
    let start = (page.saturating_sub(1) as usize) * size as usize;
    let end = start + size as usize;
    let whole_list = sample.seen < sampling.rows;
    if whole_list || sample.first.len() >= end {
        Some(&sample.first[start.min(sample.first.len())..end.min(sample.first.len())])
    } else {
        None
    }
}

/// `(1, 2, 3)`: ids from the database, as literals (they are integers).
pub(crate) fn id_literals(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("({})", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Sampling = Sampling {
        rows: 100,
        min_matches: 5,
        exact_up_to: 0,
    };

    #[test]
    fn a_sample_that_held_the_whole_list_gives_the_exact_total() {
        let sample = Sample {
            seen: 99,
            matched: 40,
            first: vec![],
        };
        assert_eq!(sample.verdict(SMALL), Verdict::Exact(40));
    }

    #[test]
    fn a_full_sample_with_few_matches_asks_for_an_exact_count() {
        let sample = Sample {
            seen: 100,
            matched: 4,
            first: vec![],
        };
        assert_eq!(sample.verdict(SMALL), Verdict::Rare);
    }

    #[test]
    fn a_full_sample_with_many_matches_gives_their_share() {
        let sample = Sample {
            seen: 100,
            matched: 25,
            first: vec![],
        };
        assert_eq!(sample.verdict(SMALL), Verdict::Common { share: 0.25 });
        assert_eq!(estimate(0.25, 1_000_000), 250_000);
    }

    #[test]
    fn a_page_comes_from_the_sample_when_it_holds_all_of_it() {
        let sample = Sample {
            seen: 100,
            matched: 30,
            first: (1..=30).collect(),
        };
        assert_eq!(page_of(&sample, SMALL, 1, 25), Some(&sample.first[..25]));
        assert_eq!(
            page_of(&sample, SMALL, 2, 25),
            None,
            "26–50 goes past the 30 held"
        );
        let whole = Sample {
            seen: 40,
            ..sample.clone()
        };
        assert_eq!(page_of(&whole, SMALL, 2, 25), Some(&whole.first[25..]));
        assert_eq!(page_of(&whole, SMALL, 3, 25), Some(&[][..]), "past the end");
        assert_eq!(id_literals(&[3, 1]), "(3, 1)");
    }

    #[test]
    fn platforms_whose_lists_ended_give_an_exact_total() {
        let strata = [
            Stratum {
                seen: 3,
                matched: 2,
                total: 3,
            },
            Stratum {
                seen: 0,
                matched: 0,
                total: 0,
            },
        ];
        assert_eq!(stratified(&strata, 10, SMALL), (Verdict::Exact(2), 3));
    }

    #[test]
    fn each_platform_s_share_weighs_by_its_own_count() {
        // Half of a big platform's sample matches, none of a small one's,
        // and a platform that ended holds 4 exact matches.
        let strata = [
            Stratum {
                seen: 10,
                matched: 5,
                total: 1_000,
            },
            Stratum {
                seen: 10,
                matched: 0,
                total: 100,
            },
            Stratum {
                seen: 6,
                matched: 4,
                total: 6,
            },
        ];
        let (verdict, base) = stratified(
            &strata,
            10,
            Sampling {
                rows: 30,
                min_matches: 3,
                exact_up_to: 0,
            },
        );
        assert_eq!(base, 1_106);
        let Verdict::Common { share } = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(estimate(share, base), 500);
    }

    #[test]
    fn few_matches_in_full_platform_samples_ask_for_an_exact_count() {
        let strata = [Stratum {
            seen: 10,
            matched: 1,
            total: 500,
        }];
        let sampling = Sampling {
            rows: 10,
            min_matches: 3,
            exact_up_to: 0,
        };
        assert_eq!(stratified(&strata, 10, sampling).0, Verdict::Rare);
    }

    #[test]
    fn estimates_keep_two_significant_figures() {
        assert_eq!(two_significant(0), 0);
        assert_eq!(two_significant(99), 99);
        assert_eq!(two_significant(1_234), 1_200);
        assert_eq!(two_significant(1_250), 1_300);
        assert_eq!(two_significant(173_456), 170_000);
        assert_eq!(two_significant(996_000), 1_000_000);
        assert_eq!(estimate(0.119_308 / 0.716_116, 716_116), 120_000);
    }
}
