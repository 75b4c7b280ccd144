//! An item entry of a bulk action: the facts the database stores about the
//! item (`INSERT … SELECT`, see `bulk::items::audit_items`), and the one
//! sentence they make when the log is read ("Deleted post #12 by @kai:
//! “Morning set…”"). The wording lives here, in Rust, once for both
//! databases; the SQL only copies columns.

use crate::model::{Entity, Platform};

/// Characters of a caption the log shows before "…".
pub const CAPTION_SHOWN: usize = 40;

/// Characters of a caption an item entry stores: one more than it shows, so
/// the reader can tell a caption that was longer.
pub const CAPTION_STORED: usize = CAPTION_SHOWN + 1;

/// `text` as the log and the results show a caption: its first
/// [`CAPTION_SHOWN`] characters, with "…" when there were more.
pub fn short_caption(text: &str) -> String {
    let mut caption: String = text.chars().take(CAPTION_SHOWN).collect();
    if text.chars().count() > CAPTION_SHOWN {
        caption.push('…');
    }
    caption
}

/// The facts an item entry stores: the `item_*`, `group_*` and `brand_*`
/// columns of `audit_log` (see the migration `…_audit_item_facts`).
#[derive(sqlx::FromRow, Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFacts {
    pub item_handle: Option<String>,
    pub item_platform: Option<String>,
    /// A post's caption, cut to [`CAPTION_STORED`] characters.
    pub item_text: Option<String>,
    /// Posts that went with an account.
    pub item_posts: Option<i64>,
    /// 1 when a restored item's group or brand no longer exists.
    pub item_unassigned: Option<i64>,
    /// A reassign's names: `Some("")` is "none", `None` "did not move".
    pub group_from: Option<String>,
    pub group_to: Option<String>,
    pub brand_from: Option<String>,
    pub brand_to: Option<String>,
}

/// The sentence of an item entry (`action` is `delete.item`, …), or `None`
/// for an entry that stored no facts: one written before they were stored,
/// whose summary column holds its sentence.
pub fn sentence(action: &str, target_type: Option<&str>, id: i64, f: &ItemFacts) -> Option<String> {
    let handle = f.item_handle.as_deref()?;
    let entity = match target_type? {
        "account" => Entity::Accounts,
        "post" => Entity::Posts,
        _ => return None,
    };
    let name = match entity {
        Entity::Accounts => {
            let code = f.item_platform.as_deref().unwrap_or("?");
            let platform = Platform::parse(code).map_or(code, |p| p.label());
            format!("account @{handle} ({platform})")
        }
        Entity::Posts => format!(
            "post #{id} by @{handle}: “{}”",
            short_caption(f.item_text.as_deref().unwrap_or_default())
        ),
    };
    let posts = || Entity::Posts.count(f.item_posts.unwrap_or(0));
    let accounts = entity == Entity::Accounts;
    Some(match action.strip_suffix(".item")? {
        "delete" if accounts => format!("Deleted {name} and its {}", posts()),
        "delete" => format!("Deleted {name}"),
        "restore" => {
            let mut s = format!("Restored {name}");
            if accounts {
                s.push_str(&format!(" and the {} deleted with it", posts()));
            }
            if f.item_unassigned == Some(1) {
                s.push_str(", unassigned: its group or brand no longer exists");
            }
            s
        }
        "purge" if accounts => format!("Permanently deleted {name} and its {}", posts()),
        "purge" => format!("Permanently deleted {name}"),
        "reassign" => {
            let none = |v: &str| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.to_string()
                }
            };
            let moves: Vec<String> = [
                ("group", &f.group_from, &f.group_to),
                ("brand", &f.brand_from, &f.brand_to),
            ]
            .into_iter()
            .filter_map(|(what, from, to)| {
                let (from, to) = (from.as_deref()?, to.as_deref()?);
                Some(format!("{what} {} → {}", none(from), none(to)))
            })
            .collect();
            format!("Moved {name}: {}", moves.join(", "))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(caption: &str) -> ItemFacts {
        ItemFacts {
            item_handle: Some("kai.art_024".into()),
            item_text: Some(caption.chars().take(CAPTION_STORED).collect()),
            ..ItemFacts::default()
        }
    }

    fn account(posts: i64) -> ItemFacts {
        ItemFacts {
            item_handle: Some("kai.art_024".into()),
            item_platform: Some("tiktok".into()),
            item_posts: Some(posts),
            ..ItemFacts::default()
        }
    }

    #[test]
    fn each_action_on_each_kind_reads_as_one_sentence() {
        let long = "x".repeat(60);
        let long_read = format!("Deleted post #7 by @kai.art_024: “{}…”", "x".repeat(40));
        let moved = ItemFacts {
            group_from: Some("Team Blaze".into()),
            group_to: Some("Team Echo".into()),
            brand_from: Some(String::new()),
            brand_to: Some("Nightfall".into()),
            ..post("hi")
        };
        let unassigned = ItemFacts {
            item_unassigned: Some(1),
            ..account(1)
        };
        #[rustfmt::skip]
        let table: Vec<(&str, &str, ItemFacts, &str)> = vec![
            ("delete.item",   "post",    post("Morning set"),  "Deleted post #7 by @kai.art_024: “Morning set”"),
            ("delete.item",   "post",    post(&long),          &long_read),
            ("delete.item",   "account", account(1),           "Deleted account @kai.art_024 (TikTok) and its 1 post"),
            ("delete.item",   "account", account(1234),        "Deleted account @kai.art_024 (TikTok) and its 1,234 posts"),
            ("restore.item",  "post",    post("hi"),           "Restored post #7 by @kai.art_024: “hi”"),
            ("restore.item",  "account", unassigned.clone(),   "Restored account @kai.art_024 (TikTok) and the 1 post deleted with it, unassigned: its group or brand no longer exists"),
            ("purge.item",    "account", account(0),           "Permanently deleted account @kai.art_024 (TikTok) and its 0 posts"),
            ("purge.item",    "post",    post("hi"),           "Permanently deleted post #7 by @kai.art_024: “hi”"),
            ("reassign.item", "post",    moved.clone(),        "Moved post #7 by @kai.art_024: “hi”: group Team Blaze → Team Echo, brand none → Nightfall"),
        ];
        for (action, target, facts, expected) in table {
            assert_eq!(
                sentence(action, Some(target), 7, &facts).as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn a_caption_of_exactly_forty_characters_has_no_ellipsis() {
        let forty = "y".repeat(40);
        assert_eq!(short_caption(&forty), forty);
        assert_eq!(short_caption(&format!("{forty}z")), format!("{forty}…"));
    }

    #[test]
    fn an_entry_without_facts_keeps_its_stored_summary() {
        assert_eq!(
            sentence("delete.item", Some("post"), 7, &ItemFacts::default()),
            None
        );
        assert_eq!(sentence("delete", Some("posts"), 0, &post("hi")), None);
    }
}
