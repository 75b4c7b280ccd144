//! A guild's link to a Discord server, as Guild settings shows and edits it.

use serde::{Deserialize, Serialize};

/// A Discord role that makes its holders editors, with the name the admin
/// gave it (a user's OAuth token cannot read a server's role names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorRole {
    pub id: String,
    pub name: String,
}

/// The link and its role rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscordLink {
    /// The Discord server's id, `None` when the guild is not linked.
    pub server_id: Option<String>,
    /// The server's name, once an admin of that server signed in with
    /// Discord: until then the link is unverified.
    pub server_name: Option<String>,
    pub editor_roles: Vec<EditorRole>,
    /// Members without an editor role may view.
    pub members_can_view: bool,
    /// Whether this Guildtrack has Discord sign-in configured at all.
    pub sign_in_enabled: bool,
}

/// A Discord id: a snowflake, 17 to 20 digits.
pub fn is_snowflake(text: &str) -> bool {
    (17..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// A server id as typed: blank unlinks, otherwise it must be a snowflake.
pub fn parse_server_id(text: &str) -> Result<Option<String>, String> {
    let id = text.trim();
    if id.is_empty() {
        Ok(None)
    } else if is_snowflake(id) {
        Ok(Some(id.to_string()))
    } else {
        Err(format!(
            "“{id}” is not a Discord server id: that is a number of 17 to 20 digits \
             (in Discord, turn on Developer Mode, then right-click the server and choose “Copy Server ID”)."
        ))
    }
}

/// Editor roles as typed, one per line: the role's id, then the name to
/// show for it ("123456789012345678 Moderators").
pub fn parse_editor_roles(text: &str) -> Result<Vec<EditorRole>, String> {
    let mut roles: Vec<EditorRole> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (id, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let name = name.trim();
        if !is_snowflake(id) || name.is_empty() || name.chars().count() > 100 {
            return Err(format!(
                "Line {}: write the role's id (17 to 20 digits), a space, then its name, \
                 like “123456789012345678 Moderators”.",
                n + 1
            ));
        }
        if !roles.iter().any(|r| r.id == id) {
            roles.push(EditorRole {
                id: id.to_string(),
                name: name.to_string(),
            });
        }
    }
    if roles.len() > 25 {
        return Err("At most 25 editor roles.".into());
    }
    Ok(roles)
}

/// The editor roles as [`parse_editor_roles`] reads them.
pub fn editor_roles_text(roles: &[EditorRole]) -> String {
    roles
        .iter()
        .map(|r| format!("{} {}", r.id, r.name))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_roles_are_an_id_and_a_name_per_line() {
        let roles = parse_editor_roles(
            "123456789012345678 Moderators\n\n 223456789012345678   Trusted editors \n",
        )
        .unwrap();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[1].name, "Trusted editors");
        assert_eq!(
            parse_editor_roles(&editor_roles_text(&roles)).unwrap(),
            roles
        );
        let err = parse_editor_roles("Moderators").unwrap_err();
        assert!(err.starts_with("Line 1:"), "{err}");
        assert!(parse_editor_roles("123456789012345678").is_err());
    }

    #[test]
    fn a_server_id_is_a_snowflake_or_blank() {
        assert_eq!(parse_server_id("  "), Ok(None));
        assert_eq!(
            parse_server_id(" 123456789012345678 ").unwrap().as_deref(),
            Some("123456789012345678")
        );
        assert!(parse_server_id("my-server")
            .unwrap_err()
            .contains("Copy Server ID"));
    }
}
