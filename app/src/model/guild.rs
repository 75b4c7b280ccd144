use serde::{Deserialize, Serialize};

/// What a member may do in a guild. Ordered: each role includes the ones
/// before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read and export.
    Viewer,
    /// Viewer + bulk delete, reassign, restore.
    Editor,
    /// Editor + permanent delete, guild settings, members.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Viewer, Self::Editor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    /// "a viewer", "an editor", "an admin", for sentences.
    pub fn with_article(self) -> &'static str {
        match self {
            Self::Viewer => "a viewer",
            Self::Editor => "an editor",
            Self::Admin => "an admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Viewer => "Viewer",
            Self::Editor => "Editor",
            Self::Admin => "Admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An id with a human name: a brand or a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A guild as listed in the guild switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildSummary {
    pub slug: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// Everything the guild layout needs once: who is looking, in which guild,
/// with which role, and the guild's brands and groups for the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuildContext {
    pub user: SessionUser,
    pub guild: GuildSummary,
    pub guilds: Vec<GuildSummary>,
    pub brands: Vec<Named>,
    pub groups: Vec<Named>,
    /// Live accounts as "@handle · Platform", for the posts' account filter.
    pub accounts: Vec<Named>,
    /// Discord sign-in is configured and the user has not linked a Discord
    /// account: the account menu offers to.
    pub discord_linkable: bool,
}

/// A member as listed under Guild settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}
