//! An entity's SQL vocabulary, in one place: its table, the alias every
//! query gives it, its id column, and the FROM clauses of its live and
//! trashed items. Queries over accounts alias them `a`, over posts `p`; a
//! trashed post comes with its account as `a` too (search by handle, and
//! whether the account is in the trash as well).

use crate::model::Entity;

/// How queries name one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntitySql {
    table: &'static str,
    alias: &'static str,
    id_col: &'static str,
    from_live: &'static str,
    from_trash: &'static str,
}

const ACCOUNTS: EntitySql = EntitySql {
    table: "accounts",
    alias: "a",
    id_col: "a.id",
    from_live: " FROM accounts a",
    from_trash: " FROM accounts a",
};

const POSTS: EntitySql = EntitySql {
    table: "posts",
    alias: "p",
    id_col: "p.id",
    from_live: " FROM posts p",
    from_trash: " FROM posts p JOIN accounts a ON a.id = p.account_id",
};

// `from_live`/`from_trash` name the SQL they return (`FROM …`), not a
// conversion, which is what clippy expects of a `from_` method.
#[allow(clippy::wrong_self_convention)]
impl EntitySql {
    pub(crate) fn of(entity: Entity) -> Self {
        match entity {
            Entity::Accounts => ACCOUNTS,
            Entity::Posts => POSTS,
        }
    }

    /// `accounts`, `posts`.
    pub(crate) fn table(self) -> &'static str {
        self.table
    }

    /// `a`, `p`.
    pub(crate) fn alias(self) -> &'static str {
        self.alias
    }

    /// `a.id`, `p.id`.
    pub(crate) fn id_col(self) -> &'static str {
        self.id_col
    }

    /// ` FROM accounts a`, ` FROM posts p`.
    pub(crate) fn from_live(self) -> &'static str {
        self.from_live
    }

    /// ` FROM accounts a`, ` FROM posts p`: the table alone, for a query
    /// whose WHERE names nothing else (live and trashed rows alike).
    pub(crate) fn from_table(self) -> &'static str {
        self.from_live
    }

    /// The FROM of a trash query: posts join their account as `a`.
    pub(crate) fn from_trash(self) -> &'static str {
        self.from_trash
    }

    /// The FROM for live items, or for trashed ones with `trash`.
    pub(crate) fn from(self, trash: bool) -> &'static str {
        if trash {
            self.from_trash()
        } else {
            self.from_live()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_and_from_clause_uses_the_entitys_alias() {
        for e in Entity::ALL {
            let s = EntitySql::of(e);
            assert_eq!(s.id_col(), format!("{}.id", s.alias()));
            for from in [s.from_live(), s.from_trash()] {
                assert!(
                    from.starts_with(&format!(" FROM {} {}", s.table(), s.alias())),
                    "{from}"
                );
            }
        }
    }
}
