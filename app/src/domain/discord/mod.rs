//! Sign in with Discord, roles from the Discord server a guild is linked
//! to, and the bot's side: `/exportdata` and messages back to Discord.
//!
//! - `client`: the documented endpoints Guildtrack calls;
//! - `oauth`: the authorization code flow's state, bound to the browser, and PKCE;
//! - `roles`: the rules from Discord permissions and roles to guild roles;
//! - `identity`: Discord users as Guildtrack users;
//! - `sign_in`: the round trip's end: who the user is, their memberships, a session;
//! - `recheck`: memberships confirmed again at most every 15 minutes;
//! - `link`: a guild's link to a Discord server and its role rules;
//! - `bot`: what the bot's side needs (`DISCORD_PUBLIC_KEY`, …);
//! - `interactions`: signed interactions from Discord and the answers;
//! - `exportdata`: the `/exportdata` command, a door into the export service;
//! - `replies`: its reply, edited while the export runs;
//! - `mirror`: the audit log posted to a Discord channel;
//! - `outbox`: messages to Discord, queued with the change they report;
//! - `sender`: the calls that send them, and command registration.

pub mod bot;
pub mod client;
pub mod exportdata;
pub mod identity;
pub mod interactions;
pub mod link;
pub mod mirror;
pub mod oauth;
pub mod outbox;
pub mod recheck;
pub mod replies;
pub mod roles;
pub mod sender;
pub mod sign_in;

pub use client::{DiscordClient, DiscordError};

use super::secret_box::SecretBox;

/// `DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET`, `DISCORD_REDIRECT_URL` and
/// `DISCORD_API_BASE`.
#[derive(Clone)]
pub struct DiscordConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Where Discord sends the browser back: this server's
    /// `/auth/discord/callback`, registered in the Discord application.
    pub redirect_url: String,
    /// Discord's API, without a trailing slash.
    pub api_base: String,
}

impl std::fmt::Debug for DiscordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .field("redirect_url", &self.redirect_url)
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl DiscordConfig {
    pub const DEFAULT_API_BASE: &'static str = "https://discord.com/api/v10";
    pub const SCOPES: &'static str = "identify guilds guilds.members.read";

    /// The consent page: `/oauth2/authorize` on the API's host
    /// (`https://discord.com/oauth2/authorize` for Discord itself).
    pub fn authorize_url(&self) -> String {
        let base = self.api_base.as_str();
        let host_end = base
            .find("://")
            .and_then(|scheme| base[scheme + 3..].find('/').map(|i| scheme + 3 + i))
            .unwrap_or(base.len());
        format!("{}/oauth2/authorize", &base[..host_end])
    }
}

/// Discord, when it is configured: the API client and the box that seals
/// the tokens kept for the membership re-check.
#[derive(Clone, Debug)]
pub struct Discord {
    pub client: DiscordClient,
    pub secrets: SecretBox,
}

impl std::fmt::Debug for DiscordClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config().fmt(f)
    }
}

impl Discord {
    pub fn new(config: DiscordConfig, secrets: SecretBox) -> Self {
        Self {
            client: DiscordClient::new(config),
            secrets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DiscordConfig;

    fn config(api_base: &str) -> DiscordConfig {
        DiscordConfig {
            client_id: "1".into(),
            client_secret: "s3cret".into(),
            redirect_url: "http://localhost:3000/auth/discord/callback".into(),
            api_base: api_base.into(),
        }
    }

    #[test]
    fn the_consent_page_is_on_the_api_host() {
        assert_eq!(
            config(DiscordConfig::DEFAULT_API_BASE).authorize_url(),
            "https://discord.com/oauth2/authorize"
        );
        assert_eq!(
            config("http://127.0.0.1:4999/api/v10").authorize_url(),
            "http://127.0.0.1:4999/oauth2/authorize"
        );
    }

    #[test]
    fn the_client_secret_is_never_printed() {
        assert!(!format!("{:?}", config("x")).contains("s3cret"));
    }
}
