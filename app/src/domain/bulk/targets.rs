//! The group and brand a reassign moves items to: checked against the guild
//! before the run, and again in every chunk (one may be deleted meanwhile).

use crate::domain::db::Tx;
use crate::domain::{Arg, Db, GuildScope, Sql};
use crate::error::AppError;
use crate::model::{BulkAction, Change};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    Keep,
    Clear,
    Set { id: i64, name: String },
}

impl Target {
    /// The new value of the column, or `None` to leave it alone.
    pub(super) fn value(&self) -> Option<Option<i64>> {
        match self {
            Self::Keep => None,
            Self::Clear => Some(None),
            Self::Set { id, .. } => Some(Some(*id)),
        }
    }

    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Self::Set { name, .. } => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Targets {
    pub group: Target,
    pub brand: Target,
}

impl Targets {
    pub(super) const NONE: Targets = Targets {
        group: Target::Keep,
        brand: Target::Keep,
    };

    /// "group “Creators” and no brand".
    pub(super) fn describe(&self) -> String {
        let one = |t: &Target, what: &str| match t {
            Target::Keep => None,
            Target::Clear => Some(format!("no {what}")),
            Target::Set { name, .. } => Some(format!("{what} “{name}”")),
        };
        [one(&self.group, "group"), one(&self.brand, "brand")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// The table of each kind of target.
const GROUPS: (&str, &str) = ("account_groups", "group");
const BRANDS: (&str, &str) = ("brands", "brand");

/// Resolves the targets of `action`; one that is not in this guild (another
/// guild's group, or one that never existed) is refused with a sentence.
pub(super) async fn check(
    db: &Db,
    scope: &GuildScope,
    action: BulkAction,
) -> Result<Targets, AppError> {
    let BulkAction::Reassign { group, brand } = action else {
        return Ok(Targets::NONE);
    };
    if group == Change::Keep && brand == Change::Keep {
        return Err(AppError::invalid(
            "Choose a group or a brand to move the items to.",
        ));
    }
    Ok(Targets {
        group: one(db, scope, group, GROUPS).await?,
        brand: one(db, scope, brand, BRANDS).await?,
    })
}

async fn one(
    db: &Db,
    scope: &GuildScope,
    change: Change,
    (table, what): (&str, &str),
) -> Result<Target, AppError> {
    Ok(match change {
        Change::Keep => Target::Keep,
        Change::Clear => Target::Clear,
        Change::Set(id) => {
            #[derive(sqlx::FromRow)]
            struct Row {
                name: String,
            }
            let sql = Sql::bound(
                format!("SELECT name FROM {table} WHERE id = $1 AND guild_id = $2"),
                vec![Arg::Int(id), Arg::Int(scope.guild_id())],
            );
            let row = db.fetch_optional::<Row>(&sql).await?.ok_or_else(|| {
                AppError::invalid(format!(
                    "There is no {what} with id {id} in this guild; choose another one."
                ))
            })?;
            Target::Set { id, name: row.name }
        }
    })
}

/// Whether every target still exists, inside a chunk's transaction.
pub(super) async fn still_there(
    tx: &mut Tx,
    scope: &GuildScope,
    targets: &Targets,
) -> Result<bool, AppError> {
    for (target, (table, _)) in [(&targets.group, GROUPS), (&targets.brand, BRANDS)] {
        if let Target::Set { id, .. } = target {
            #[derive(sqlx::FromRow)]
            struct Row {
                #[allow(dead_code)]
                id: i64,
            }
            let sql = Sql::bound(
                format!("SELECT id FROM {table} WHERE id = $1 AND guild_id = $2"),
                vec![Arg::Int(*id), Arg::Int(scope.guild_id())],
            );
            if tx.fetch_optional::<Row>(&sql).await?.is_none() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}
