//! `GET …/accounts` and `GET …/posts`: the lists with the pages' filters,
//! a page at a time.

use super::{Authorized, Failure};
use crate::router::ServerState;
use app::domain::ingest::wire::{AccountOut, ApiError, ListPage, PostOut};
use app::domain::ingest::{external_ids, Table};
use app::model::query::Params;
use app::model::{AccountFilter, Page, PostFilter};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;

const CURSOR_PREFIX: &str = "page:";

/// The page a `cursor` stands for. It is opaque to clients: today the page
/// number of the same filters, which keeps it valid across requests.
fn page_of(params: &mut Params) -> Result<(), Failure> {
    let bad = || {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "That cursor is not one this API gave out; start again without it.",
        )
    };
    params.remove("page");
    if let Some(cursor) = params.remove("cursor") {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.as_bytes())
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let page = text.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        params.insert("page".into(), page.to_string());
    }
    Ok(())
}

fn next_cursor<T>(page: &Page<T>) -> Option<String> {
    let more = if page.estimated {
        page.items.len() as u32 == page.page_size
    } else {
        i64::from(page.page) * i64::from(page.page_size) < page.total
    };
    (more && page.page < app::model::MAX_PAGE).then(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{CURSOR_PREFIX}{}", page.page + 1))
    })
}

/// Lists live accounts, with the Accounts page's filters.
#[utoipa::path(
    get,
    path = "/guilds/{guild}/accounts",
    tag = "accounts",
    params(
        ("guild" = String, Path, description = "The guild's slug"),
        ("q" = Option<String>, Query, description = "Text in the handle or name; a leading @ matches handles by prefix"),
        ("platform" = Option<String>, Query, description = "tiktok, instagram, youtube or x"),
        ("group" = Option<String>, Query, description = "A group's id, or none"),
        ("brand" = Option<String>, Query, description = "A brand's id, or none"),
        ("status" = Option<String>, Query, description = "active or paused"),
        ("sort" = Option<String>, Query, description = "As on the Accounts page"),
        ("per_page" = Option<u32>, Query, description = "25 (default), 50 or 100"),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor"),
    ),
    responses(
        (status = 200, description = "A page of accounts", body = ListPage<AccountOut>),
        (status = 400, description = "A bad filter or cursor", body = ApiError),
        (status = 401, description = "No token, or an unknown, revoked or expired one", body = ApiError),
        (status = 404, description = "A guild this token is not for", body = ApiError),
        (status = 429, description = "Over the token's rate; see Retry-After", body = ApiError),
    )
)]
pub async fn get_accounts(
    State(state): State<ServerState>,
    Authorized(grant): Authorized,
    Query(mut params): Query<Params>,
) -> Result<Json<ListPage<AccountOut>>, Failure> {
    page_of(&mut params)?;
    let filter = AccountFilter::from_params(&params)?;
    let db = &state.app.db;
    let page = app::domain::accounts::list(db, &grant.guild, &filter).await?;
    let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
    let mut external = external_ids(db, &grant.guild, Table::Accounts, &ids).await?;
    let next_cursor = next_cursor(&page);
    Ok(Json(ListPage {
        total: page.total,
        estimated: page.estimated,
        next_cursor,
        items: page
            .items
            .into_iter()
            .map(|a| {
                let e = external.remove(&a.id);
                AccountOut::new(a, e)
            })
            .collect(),
    }))
}

/// Lists live posts, with the Posts page's filters.
#[utoipa::path(
    get,
    path = "/guilds/{guild}/posts",
    tag = "posts",
    params(
        ("guild" = String, Path, description = "The guild's slug"),
        ("q" = Option<String>, Query, description = "Text in the caption, handle or name; a leading @ matches handles by prefix"),
        ("platform" = Option<String>, Query, description = "tiktok, instagram, youtube or x"),
        ("group" = Option<String>, Query, description = "A group's id, or none"),
        ("brand" = Option<String>, Query, description = "A brand's id, or none"),
        ("account" = Option<i64>, Query, description = "An account's id"),
        ("from" = Option<String>, Query, description = "Posted on or after this day, YYYY-MM-DD (UTC)"),
        ("to" = Option<String>, Query, description = "Posted on or before this day, YYYY-MM-DD (UTC)"),
        ("min_views" = Option<i64>, Query, description = "At least this many views"),
        ("sort" = Option<String>, Query, description = "newest (default), oldest, views or likes, as on the Posts page"),
        ("per_page" = Option<u32>, Query, description = "25 (default), 50 or 100"),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor"),
    ),
    responses(
        (status = 200, description = "A page of posts", body = ListPage<PostOut>),
        (status = 400, description = "A bad filter or cursor", body = ApiError),
        (status = 401, description = "No token, or an unknown, revoked or expired one", body = ApiError),
        (status = 404, description = "A guild this token is not for", body = ApiError),
        (status = 429, description = "Over the token's rate; see Retry-After", body = ApiError),
    )
)]
pub async fn get_posts(
    State(state): State<ServerState>,
    Authorized(grant): Authorized,
    Query(mut params): Query<Params>,
) -> Result<Json<ListPage<PostOut>>, Failure> {
    page_of(&mut params)?;
    let filter = PostFilter::from_params(&params)?;
    let db = &state.app.db;
    let page = app::domain::posts::list(db, &grant.guild, &filter).await?;
    let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
    let mut external = external_ids(db, &grant.guild, Table::Posts, &ids).await?;
    let next_cursor = next_cursor(&page);
    Ok(Json(ListPage {
        total: page.total,
        estimated: page.estimated,
        next_cursor,
        items: page
            .items
            .into_iter()
            .map(|p| {
                let e = external.remove(&p.id);
                PostOut::new(p, e)
            })
            .collect(),
    }))
}
