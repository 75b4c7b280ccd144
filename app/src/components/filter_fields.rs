//! The filter fields of accounts and posts, one component each, used by
//! the list pages' filter bars and by the Export page, so both offer the
//! same filters with the same names and values.

use super::fields::{InputField, SelectField};
use crate::model::filter::Assigned;
use crate::model::{AccountFilter, AccountSort, AccountStatus, GuildContext, PostFilter, PostSort};
use crate::pages::list_support::{named_options, page_size_options, platform_options};
use leptos::prelude::*;

/// Where the fields sit: a list's filter bar applies each change at once
/// and offers the page size; the Export page waits for its button.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FieldsFor {
    List,
    Export,
}

impl FieldsFor {
    fn auto_submit(self) -> bool {
        self == Self::List
    }
}

fn sort_options<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|s| (name(*s).to_string(), label(*s).to_string()))
        .collect()
}

/// Search, platform, brand and group: what both entities filter by, with
/// the values of the filter on screen.
#[component]
fn SharedFields(
    ctx: GuildContext,
    placeholder: &'static str,
    auto: bool,
    q: Signal<String>,
    platform: Signal<String>,
    brand: Signal<String>,
    group: Signal<String>,
) -> impl IntoView {
    view! {
        <InputField
            label="Search"
            name="q"
            kind="search"
            class="field--grow"
            placeholder=placeholder
            auto_submit=auto
            value=q
        />
        <SelectField
            label="Platform"
            name="platform"
            any_label="All platforms"
            options=platform_options()
            auto_submit=auto
            value=platform
        />
        <SelectField
            label="Brand"
            name="brand"
            any_label="All brands"
            options=named_options(&ctx.brands, "No brand")
            auto_submit=auto
            value=brand
        />
        <SelectField
            label="Group"
            name="group"
            any_label="All groups"
            options=named_options(&ctx.groups, "No group")
            auto_submit=auto
            value=group
        />
    }
}

#[component]
pub fn PostFilterFields(
    ctx: GuildContext,
    #[prop(into)] filter: Signal<PostFilter>,
    #[prop(default = FieldsFor::List)] used_in: FieldsFor,
) -> impl IntoView {
    let field = move |f: fn(&PostFilter) -> String| Signal::derive(move || f(&filter.get()));
    let auto = used_in.auto_submit();
    view! {
        <SharedFields
            ctx=ctx.clone()
            placeholder="Caption or @handle"
            auto
            q=field(|f| f.q.clone())
            platform=field(|f| f.platform.map(|p| p.as_str().to_string()).unwrap_or_default())
            brand=field(|f| f.brand.map(Assigned::to_param).unwrap_or_default())
            group=field(|f| f.group.map(Assigned::to_param).unwrap_or_default())
        />
        <SelectField
            label="Account"
            name="account"
            any_label="All accounts"
            options=ctx.accounts.iter().map(|a| (a.id.to_string(), a.name.clone())).collect()
            auto_submit=auto
            value=field(|f| f.account.map(|id| id.to_string()).unwrap_or_default())
        />
        <InputField
            label="From"
            name="from"
            kind="date"
            auto_submit=auto
            value=field(|f| f.from.map(|d| d.to_string()).unwrap_or_default())
        />
        <InputField
            label="To"
            name="to"
            kind="date"
            auto_submit=auto
            value=field(|f| f.to.map(|d| d.to_string()).unwrap_or_default())
        />
        <InputField
            label="Min. views"
            name="min_views"
            kind="number"
            class="field--narrow"
            placeholder="0"
            auto_submit=auto
            value=field(|f| f.min_views.map(|v| v.to_string()).unwrap_or_default())
        />
        <SelectField
            label="Sort"
            name="sort"
            options=sort_options(&PostSort::ALL, PostSort::as_str, PostSort::label)
            auto_submit=auto
            value=field(|f| f.sort.as_str().to_string())
        />
        {(used_in == FieldsFor::List)
            .then(|| {
                view! {
                    <SelectField
                        label="Show"
                        name="per_page"
                        options=page_size_options()
                        value=field(|f| f.page_size.to_string())
                    />
                }
            })}
    }
}

#[component]
pub fn AccountFilterFields(
    ctx: GuildContext,
    #[prop(into)] filter: Signal<AccountFilter>,
    #[prop(default = FieldsFor::List)] used_in: FieldsFor,
) -> impl IntoView {
    let field = move |f: fn(&AccountFilter) -> String| Signal::derive(move || f(&filter.get()));
    let auto = used_in.auto_submit();
    view! {
        <SharedFields
            ctx
            placeholder="Handle, name or @handle"
            auto
            q=field(|f| f.q.clone())
            platform=field(|f| f.platform.map(|p| p.as_str().to_string()).unwrap_or_default())
            brand=field(|f| f.brand.map(Assigned::to_param).unwrap_or_default())
            group=field(|f| f.group.map(Assigned::to_param).unwrap_or_default())
        />
        <SelectField
            label="Status"
            name="status"
            any_label="Any status"
            options=sort_options(&AccountStatus::ALL, AccountStatus::as_str, AccountStatus::label)
            auto_submit=auto
            value=field(|f| f.status.map(|s| s.as_str().to_string()).unwrap_or_default())
        />
        <SelectField
            label="Sort"
            name="sort"
            options=sort_options(&AccountSort::ALL, AccountSort::as_str, AccountSort::label)
            auto_submit=auto
            value=field(|f| f.sort.as_str().to_string())
        />
        {(used_in == FieldsFor::List)
            .then(|| {
                view! {
                    <SelectField
                        label="Show"
                        name="per_page"
                        options=page_size_options()
                        value=field(|f| f.page_size.to_string())
                    />
                }
            })}
    }
}
