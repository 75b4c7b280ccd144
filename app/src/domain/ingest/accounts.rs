//! Accounts in: upserted by the tracker's external id when the guild has
//! an account with it, otherwise by platform and handle.

use super::wire::{KeptInTrash, Rejection, UpsertReport};
use super::{set_from_v, takes_over, text_list, update_from_values, AccountInput};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, Dialect, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::{AccountStatus, Platform, Role};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(sqlx::FromRow, Clone)]
struct AccountRow {
    id: i64,
    platform: String,
    handle: String,
    external_id: Option<String>,
    display_name: String,
    profile_url: String,
    status: String,
    followers: i64,
    group_id: Option<i64>,
    brand_id: Option<i64>,
    deleted_at: Option<DateTime<Utc>>,
}

/// The guild's accounts an item may match, by handle and by external id.
#[derive(Default)]
struct Stored {
    /// The live account of each handle, or else the latest trashed one.
    by_handle: HashMap<(Platform, String), AccountRow>,
    by_external: HashMap<(Platform, String), AccountRow>,
}

/// Upserts `items`, in one transaction; with `create_missing`, groups and
/// brands they name are created when the guild has none by that name.
/// Needs an editor's role (an `ingest` token has it).
pub async fn upsert(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    items: &[AccountInput],
    create_missing: bool,
) -> Result<UpsertReport, AppError> {
    scope.require(Role::Editor, "add or update accounts")?;
    let now = clock.now();
    let dialect = db.dialect();
    let mut tx = db.begin_write().await?;
    let groups = named(
        &mut tx,
        dialect,
        scope,
        "account_groups",
        items,
        |i| &i.group,
        create_missing,
        now,
    )
    .await?;
    let brands = named(
        &mut tx,
        dialect,
        scope,
        "brands",
        items,
        |i| &i.brand,
        create_missing,
        now,
    )
    .await?;
    let stored = stored(&mut tx, dialect, scope, items).await?;
    let plan = plan(scope, items, &stored, &groups, &brands, now);
    tx.insert_rows(INSERT, INSERT_COLUMNS, plan.new).await?;
    update(&mut tx, scope, plan.changed).await?;
    tx.commit().await?;
    Ok(plan.report)
}

/// The ids of the groups (or brands) the items name, by name; the missing
/// ones are created first when `create_missing`.
#[allow(clippy::too_many_arguments)]
async fn named(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    table: &str,
    items: &[AccountInput],
    name_of: fn(&AccountInput) -> &Option<Option<String>>,
    create_missing: bool,
    now: DateTime<Utc>,
) -> Result<HashMap<String, i64>, AppError> {
    let mut names: Vec<&str> = items
        .iter()
        .filter_map(|i| name_of(i).as_ref()?.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let mut found = ids_by_name(tx, dialect, scope, table, &names).await?;
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !found.contains_key(*n))
        .collect();
    if create_missing && !missing.is_empty() {
        let mut sql = Sql::new(format!(
            "INSERT INTO {table} (guild_id, name, created_at) VALUES "
        ));
        for (i, name) in missing.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let row = sql.values_row(
                dialect,
                vec![
                    Arg::Int(scope.guild_id()),
                    Arg::Text(name.to_string()),
                    Arg::Time(now),
                ],
            );
            sql.push(&row);
        }
        // Another batch may have made the same name meanwhile (PostgreSQL
        // runs batches side by side): theirs is as good as ours.
        sql.push(" ON CONFLICT (guild_id, name) DO NOTHING");
        tx.execute(&sql).await?;
        found = ids_by_name(tx, dialect, scope, table, &names).await?;
    }
    Ok(found)
}

async fn ids_by_name(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    table: &str,
    names: &[&str],
) -> Result<HashMap<String, i64>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Named {
        id: i64,
        name: String,
    }
    let mut sql = Sql::new(format!("SELECT id, name FROM {table} WHERE guild_id = "));
    sql.bind(scope.guild_id());
    text_list(&mut sql, dialect, "name", names);
    Ok(tx
        .fetch_all::<Named>(&sql)
        .await?
        .into_iter()
        .map(|n| (n.name, n.id))
        .collect())
}

async fn stored(
    tx: &mut Tx,
    dialect: Dialect,
    scope: &GuildScope,
    items: &[AccountInput],
) -> Result<Stored, AppError> {
    let handles: Vec<&str> = items.iter().map(|i| i.handle.as_str()).collect();
    let externals: Vec<&str> = items
        .iter()
        .filter_map(|i| i.external_id.as_deref())
        .collect();
    let mut stored = Stored::default();
    for (column, values) in [("handle", &handles), ("external_id", &externals)] {
        if values.is_empty() {
            continue;
        }
        let mut sql = Sql::new(
            "SELECT id, platform, handle, external_id, display_name, profile_url, status, followers, \
             group_id, brand_id, deleted_at FROM accounts WHERE guild_id = ",
        );
        sql.bind(scope.guild_id());
        text_list(&mut sql, dialect, column, values);
        for row in tx.fetch_all::<AccountRow>(&sql).await? {
            let Some(platform) = Platform::parse(&row.platform) else {
                continue;
            };
            if let Some(e) = &row.external_id {
                stored
                    .by_external
                    .insert((platform, e.clone()), row.clone());
            }
            let key = (platform, row.handle.clone());
            let better = takes_over(
                stored.by_handle.get(&key).map(|a| a.deleted_at),
                row.deleted_at,
            );
            if better {
                stored.by_handle.insert(key, row);
            }
        }
    }
    Ok(stored)
}

#[derive(Default)]
struct Plan {
    new: Vec<Vec<Arg>>,
    changed: Vec<Vec<Arg>>,
    report: UpsertReport,
}

/// The id a name stands for: `Ok(None)` for "none", an error sentence
/// when the guild has no such group or brand.
fn target(
    given: &Option<Option<String>>,
    kept: Option<i64>,
    ids: &HashMap<String, i64>,
    what: &str,
) -> Result<Option<i64>, String> {
    match given {
        None => Ok(kept),
        Some(None) => Ok(None),
        Some(Some(name)) => ids.get(name).copied().map(Some).ok_or_else(|| {
            format!(
                "the guild has no {what} “{name}”; create it first, or send \"create_missing\": true"
            )
        }),
    }
}

fn plan(
    scope: &GuildScope,
    items: &[AccountInput],
    stored: &Stored,
    groups: &HashMap<String, i64>,
    brands: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan::default();
    // Which live account holds each handle, as the batch goes: a rename
    // must not take a handle another live account has (or gets earlier in
    // the batch).
    let mut holder: HashMap<(Platform, String), i64> = stored
        .by_handle
        .iter()
        .filter(|(_, a)| a.deleted_at.is_none())
        .map(|(k, a)| (k.clone(), a.id))
        .collect();
    for (index, item) in items.iter().enumerate() {
        let reject = |plan: &mut Plan, field: &str, why: String| {
            plan.report.rejected += 1;
            plan.report.rejections.push(Rejection {
                index,
                reason: format!("accounts[{index}].{field}: {why}"),
            });
        };
        let handle_key = (item.platform, item.handle.clone());
        let by_external = item
            .external_id
            .as_ref()
            .and_then(|e| stored.by_external.get(&(item.platform, e.clone())));
        let existing = by_external.or_else(|| stored.by_handle.get(&handle_key));
        if let (Some(a), Some(mine), None) = (existing, &item.external_id, by_external) {
            if let Some(theirs) = &a.external_id {
                reject(
                    &mut plan,
                    "external_id",
                    format!(
                        "the {} account @{} is tracked with the external id {theirs}, not {mine}",
                        item.platform.label(),
                        a.handle
                    ),
                );
                continue;
            }
        }
        let group = target(
            &item.group,
            existing.and_then(|a| a.group_id),
            groups,
            "group",
        );
        let brand = target(
            &item.brand,
            existing.and_then(|a| a.brand_id),
            brands,
            "brand",
        );
        let (group_id, brand_id) = match (group, brand) {
            (Ok(g), Ok(b)) => (g, b),
            (Err(why), _) => {
                reject(&mut plan, "group", why);
                continue;
            }
            (_, Err(why)) => {
                reject(&mut plan, "brand", why);
                continue;
            }
        };
        let live = existing.is_none_or(|a| a.deleted_at.is_none());
        let id = existing.map(|a| a.id);
        if live
            && holder
                .get(&handle_key)
                .is_some_and(|holder| Some(*holder) != id)
        {
            reject(
                &mut plan,
                "handle",
                format!(
                    "another {} account of the guild is @{}",
                    item.platform.label(),
                    item.handle
                ),
            );
            continue;
        }
        let Some(a) = existing else {
            plan.report.created += 1;
            holder.insert(handle_key, -1 - index as i64);
            plan.new.push(vec![
                Arg::Int(scope.guild_id()),
                Arg::Text(item.platform.as_str().into()),
                Arg::Text(item.handle.clone()),
                Arg::OptText(item.external_id.clone()),
                Arg::Text(
                    item.display_name
                        .clone()
                        .unwrap_or_else(|| item.handle.clone()),
                ),
                Arg::Text(
                    item.profile_url
                        .clone()
                        .unwrap_or_else(|| item.platform.profile_url(&item.handle)),
                ),
                Arg::Text(item.status.unwrap_or(AccountStatus::Active).as_str().into()),
                Arg::Int(item.followers.unwrap_or(0)),
                Arg::OptInt(group_id),
                Arg::OptInt(brand_id),
                Arg::Time(now),
                Arg::Time(now),
            ]);
            continue;
        };
        if a.deleted_at.is_some() {
            plan.report
                .kept_in_trash
                .push(KeptInTrash { index, id: a.id });
        } else if a.handle != item.handle {
            holder.remove(&(item.platform, a.handle.clone()));
            holder.insert(handle_key, a.id);
        }
        // A profile address that was the default for the old handle
        // follows a rename; one the tracker or a member set stays.
        let profile_url = item.profile_url.clone().unwrap_or_else(|| {
            if a.profile_url == item.platform.profile_url(&a.handle) {
                item.platform.profile_url(&item.handle)
            } else {
                a.profile_url.clone()
            }
        });
        let after = AccountRow {
            handle: item.handle.clone(),
            external_id: item.external_id.clone().or_else(|| a.external_id.clone()),
            display_name: item
                .display_name
                .clone()
                .unwrap_or_else(|| a.display_name.clone()),
            profile_url,
            status: item
                .status
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| a.status.clone()),
            followers: item.followers.unwrap_or(a.followers),
            group_id,
            brand_id,
            ..a.clone()
        };
        let content_changed = after.handle != a.handle
            || after.external_id != a.external_id
            || after.display_name != a.display_name
            || after.profile_url != a.profile_url
            || after.status != a.status
            || after.group_id != a.group_id
            || after.brand_id != a.brand_id;
        if !content_changed && after.followers == a.followers {
            plan.report.unchanged += 1;
            continue;
        }
        plan.report.updated += 1;
        // Followers alone are a measurement, not an edit: updated_at stays.
        let updated_at = if content_changed { Some(now) } else { None };
        plan.changed.push(vec![
            Arg::Int(a.id),
            Arg::Text(after.handle),
            Arg::OptText(after.external_id),
            Arg::Text(after.display_name),
            Arg::Text(after.profile_url),
            Arg::Text(after.status),
            Arg::Int(after.followers),
            Arg::OptInt(after.group_id),
            Arg::OptInt(after.brand_id),
            Arg::OptTime(updated_at),
        ]);
    }
    plan
}

const INSERT: &str =
    "INSERT INTO accounts (guild_id, platform, handle, external_id, display_name, \
     profile_url, status, followers, group_id, brand_id, created_at, updated_at)";
const INSERT_COLUMNS: usize = 12;

const UPDATE_COLUMNS: [&str; 10] = [
    "id",
    "handle",
    "external_id",
    "display_name",
    "profile_url",
    "status",
    "followers",
    "group_id",
    "brand_id",
    "updated_at",
];

/// One statement per chunk of changed accounts. A NULL `updated_at` in a
/// row keeps the stored one (a change of followers alone).
async fn update(tx: &mut Tx, scope: &GuildScope, rows: Vec<Vec<Arg>>) -> Result<(), AppError> {
    let set = format!(
        "{}, updated_at = COALESCE(v.updated_at, accounts.updated_at)",
        set_from_v(&UPDATE_COLUMNS[..UPDATE_COLUMNS.len() - 1])
    );
    update_from_values(tx, scope, "accounts", &UPDATE_COLUMNS, &set, rows).await
}
