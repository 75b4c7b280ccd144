//! Accounts in: upserted by the tracker's external id when the guild has
//! an account with it, otherwise by platform and handle.

use super::wire::{KeptInTrash, Rejection, UpsertReport};
use super::{
    set_from_v, takes_over, target, text_list, update_from_values, AccountInput, Applied, Catalog,
    Fate, Options,
};
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
    let mut tx = db.begin_write().await?;
    let options = Options {
        create_missing,
        with_ids: false,
    };
    let applied = apply(&mut tx, scope, items, options, clock.now()).await?;
    tx.commit().await?;
    Ok(applied.report)
}

/// Applies `items` in `tx`, which the caller commits (or rolls back: an
/// import's dry run). The caller has checked the member's role.
pub async fn apply(
    tx: &mut Tx,
    scope: &GuildScope,
    items: &[AccountInput],
    options: Options,
    now: DateTime<Utc>,
) -> Result<Applied, AppError> {
    let dialect = tx.dialect();
    let catalog = Catalog::of(
        tx,
        scope,
        items,
        (|i: &AccountInput| &i.group, |i: &AccountInput| &i.brand),
        options.create_missing,
        now,
    )
    .await?;
    let existing = stored(tx, dialect, scope, items).await?;
    let plan = plan(
        scope,
        items,
        &existing,
        &catalog.groups,
        &catalog.brands,
        now,
    );
    tx.insert_rows(INSERT, INSERT_COLUMNS, plan.new).await?;
    update(tx, scope, plan.changed).await?;
    let mut fates = plan.fates;
    if options.with_ids && plan.report.created > 0 {
        let created: Vec<AccountInput> = items
            .iter()
            .zip(&fates)
            .filter(|(_, f)| matches!(f, Fate::Created(_)))
            .map(|(i, _)| i.clone())
            .collect();
        let found = stored(tx, dialect, scope, &created).await?;
        for (item, fate) in items.iter().zip(fates.iter_mut()) {
            if let Fate::Created(id) = fate {
                let by_external = item
                    .external_id
                    .as_ref()
                    .and_then(|e| found.by_external.get(&(item.platform, e.clone())));
                *id = by_external
                    .or_else(|| found.by_handle.get(&(item.platform, item.handle.clone())))
                    .map(|a| a.id);
            }
        }
    }
    Ok(Applied {
        report: plan.report,
        fates,
        groups_created: catalog.groups_created,
        brands_created: catalog.brands_created,
    })
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
    fates: Vec<Fate>,
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
            plan.fates.push(Fate::Rejected);
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
            plan.fates.push(Fate::Created(None));
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
                Arg::Time(item.created_at.unwrap_or(now)),
                Arg::Time(item.updated_at.unwrap_or(now)),
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
            plan.fates.push(Fate::Unchanged(a.id));
            continue;
        }
        plan.report.updated += 1;
        plan.fates.push(Fate::Updated(a.id));
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
