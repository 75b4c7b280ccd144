//! The rules that turn a member of a Discord server into a member of the
//! guild linked to it. Pure functions over what Discord said, so every rule
//! is tested without a network.

pub use crate::model::discord::EditorRole;
use crate::model::Role;

/// Discord's permission bits (documented under "Permissions").
pub const ADMINISTRATOR: u64 = 0x8;
pub const MANAGE_GUILD: u64 = 0x20;

/// A guild's rules, set by its admins in Guild settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub editor_roles: Vec<EditorRole>,
    /// Whether members without an editor role may view. Off: they have no
    /// access unless an invitation or an admin gave them a role.
    pub members_can_view: bool,
}

/// What Discord says about one user in one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    pub owner: bool,
    /// The permissions bitfield of `GET /users/@me/guilds` (a decimal string
    /// there), the user's permissions in the server.
    pub permissions: u64,
    /// The role ids of `GET /users/@me/guilds/{id}/member`.
    pub role_ids: Vec<String>,
}

/// A role Discord's rules give, and why, as admins see it in the member
/// list ("Discord: Manage Server", "Discord role Moderators").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub reason: String,
}

/// The role the rules give a member of the linked server; `None` when they
/// give none (a plain member while "all members can view" is off).
pub fn grant(rules: &Rules, facts: &MemberFacts) -> Option<Grant> {
    let admin_because = if facts.owner {
        Some("Discord: server owner")
    } else if facts.permissions & ADMINISTRATOR != 0 {
        Some("Discord: Administrator")
    } else if facts.permissions & MANAGE_GUILD != 0 {
        Some("Discord: Manage Server")
    } else {
        None
    };
    if let Some(reason) = admin_because {
        return Some(Grant {
            role: Role::Admin,
            reason: reason.into(),
        });
    }
    if let Some(role) = rules
        .editor_roles
        .iter()
        .find(|r| facts.role_ids.contains(&r.id))
    {
        return Some(Grant {
            role: Role::Editor,
            reason: format!("Discord role {}", role.name),
        });
    }
    rules.members_can_view.then(|| Grant {
        role: Role::Viewer,
        reason: "Discord: member of the server".into(),
    })
}

/// Whether these facts make the user an admin of the Discord server itself,
/// which is what verifies a guild's link to it.
pub fn manages_server(owner: bool, permissions: u64) -> bool {
    owner || permissions & (ADMINISTRATOR | MANAGE_GUILD) != 0
}

/// Parses a permissions bitfield as Discord sends it (a decimal string);
/// anything else counts as no permissions.
pub fn parse_permissions(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(members_can_view: bool) -> Rules {
        Rules {
            editor_roles: vec![EditorRole {
                id: "555".into(),
                name: "Moderators".into(),
            }],
            members_can_view,
        }
    }

    fn facts(owner: bool, permissions: u64, roles: &[&str]) -> MemberFacts {
        MemberFacts {
            owner,
            permissions,
            role_ids: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn the_owner_administrators_and_server_managers_are_admins() {
        for (f, reason) in [
            (facts(true, 0, &[]), "Discord: server owner"),
            (facts(false, ADMINISTRATOR, &[]), "Discord: Administrator"),
            (
                facts(false, MANAGE_GUILD | 0x400, &["555"]),
                "Discord: Manage Server",
            ),
        ] {
            let g = grant(&rules(false), &f).expect("a grant");
            assert_eq!((g.role, g.reason.as_str()), (Role::Admin, reason));
        }
    }

    #[test]
    fn an_editor_role_makes_an_editor_and_names_the_role() {
        let g = grant(&rules(false), &facts(false, 0x400, &["1", "555"])).unwrap();
        assert_eq!(g.role, Role::Editor);
        assert_eq!(g.reason, "Discord role Moderators");
    }

    #[test]
    fn everyone_else_views_unless_the_admin_turned_that_off() {
        let plain = facts(false, 0x400, &["1"]);
        assert_eq!(grant(&rules(true), &plain).unwrap().role, Role::Viewer);
        assert_eq!(grant(&rules(false), &plain), None);
    }

    #[test]
    fn permissions_arrive_as_decimal_strings() {
        assert_eq!(parse_permissions("2147483647"), 2_147_483_647);
        assert_eq!(parse_permissions("40"), 40);
        assert_eq!(parse_permissions("nonsense"), 0);
        assert!(manages_server(false, parse_permissions("32")));
        assert!(!manages_server(false, parse_permissions("1024")));
    }
}
