//! Guild settings → Members: who is in the guild, why, and the invitation
//! links that bring people in.

use super::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One member, as an admin sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    /// Where the role comes from: "Discord: Manage Server", "Discord role
    /// Moderators", "Invitation", "Set by an admin".
    pub source: String,
    /// The role set by hand, if any (an invitation or an admin).
    pub manual_role: Option<Role>,
    /// The role Discord's rules give, if any.
    pub discord_role: Option<Role>,
    pub joined_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The admin looking at the list.
    pub is_you: bool,
}

/// Someone whose access an admin removed until they are invited again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedMember {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub removed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    pub members: Vec<MemberInfo>,
    pub removed: Vec<RemovedMember>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Active,
    Expired,
    Revoked,
    UsedUp,
}

impl InvitationStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
            Self::UsedUp => "Used",
        }
    }

    /// Why a link no longer works, for the person who opened it.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Self::Active => None,
            Self::Expired => Some("This invitation link has expired. Ask an admin of the guild for a new one."),
            Self::Revoked => Some("This invitation link was revoked by an admin of the guild. Ask them for a new one."),
            Self::UsedUp => Some("This invitation link has already been used. Ask an admin of the guild for a new one."),
        }
    }
}

/// An invitation link, as the admins' list shows it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub id: i64,
    pub role: Role,
    pub single_use: bool,
    pub uses: i64,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: InvitationStatus,
}

/// What an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRequest {
    pub role: Role,
    /// 1 to 30.
    pub days: i64,
    pub single_use: bool,
}

/// A link just made: its path holds the token, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvitation {
    pub path: String,
    pub info: InvitationInfo,
}

/// What the invitation page shows to whoever opened the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub guild_name: String,
    pub guild_slug: String,
    pub role: Role,
    pub status: InvitationStatus,
    pub signed_in: bool,
    /// The visitor's role in the guild now, if they are a member.
    pub current_role: Option<Role>,
}

/// A redeemed link: where to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub guild_slug: String,
    pub role: Role,
}

/// The expiry choices of the form, in days.
pub const INVITATION_DAYS: [i64; 4] = [1, 7, 14, 30];
