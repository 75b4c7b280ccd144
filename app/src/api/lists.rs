use crate::error::AppError;
use crate::model::query::Params;
use crate::model::{Account, Page, Post};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

/// One page of accounts. `params` are the page's URL query parameters; the
/// server parses them itself and answers 400 with a sentence when they are
/// not acceptable.
#[server(prefix = "/api", endpoint = "list_accounts", input = Json)]
pub async fn list_accounts(guild: String, params: Params) -> Result<Page<Account>, AppError> {
    use crate::model::AccountFilter;
    let (state, scope) = super::ctx::member(&guild).await?;
    let filter = AccountFilter::from_params(&params)?;
    crate::domain::accounts::list(&state.db, &scope, &filter).await
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostList {
    pub page: Page<Post>,
    /// The handle of the account the list is filtered to, for the chip.
    pub account_handle: Option<String>,
}

/// One page of posts; see [`list_accounts`].
#[server(prefix = "/api", endpoint = "list_posts", input = Json)]
pub async fn list_posts(guild: String, params: Params) -> Result<PostList, AppError> {
    use crate::domain::{accounts, posts};
    use crate::model::PostFilter;
    let (state, scope) = super::ctx::member(&guild).await?;
    let filter = PostFilter::from_params(&params)?;
    // An account id from another guild is a 404, not an empty list.
    let account_handle = match filter.account {
        Some(id) => Some(accounts::handle_of(&state.db, &scope, id).await?),
        None => None,
    };
    let page = posts::list(&state.db, &scope, &filter).await?;
    Ok(PostList {
        page,
        account_handle,
    })
}
