use serde::{Deserialize, Serialize};
use std::fmt;

/// A social network an account lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Tiktok,
    Instagram,
    Youtube,
    X,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Self::Tiktok, Self::Instagram, Self::Youtube, Self::X];

    /// The value stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tiktok => "tiktok",
            Self::Instagram => "instagram",
            Self::Youtube => "youtube",
            Self::X => "x",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Tiktok => "TikTok",
            Self::Instagram => "Instagram",
            Self::Youtube => "YouTube",
            Self::X => "X",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The address of `handle`'s profile on the platform.
    pub fn profile_url(self, handle: &str) -> String {
        match self {
            Self::Tiktok => format!("https://www.tiktok.com/@{handle}"),
            Self::Instagram => format!("https://www.instagram.com/{handle}/"),
            Self::Youtube => format!("https://www.youtube.com/@{handle}"),
            Self::X => format!("https://x.com/{handle}"),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
