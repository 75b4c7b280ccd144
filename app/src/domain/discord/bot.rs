//! What Guildtrack needs to talk to Discord on its own behalf:
//!
//! - [`Outbound`] (`SECRET_KEY`, `PUBLIC_URL`, `DISCORD_API_BASE`): messages
//!   to Discord through the outbox, used by the audit mirror and by the bot;
//! - [`Bot`] (`DISCORD_PUBLIC_KEY`, `DISCORD_APPLICATION_ID`, and the
//!   above): slash commands from Discord, and edits of their replies.
//!
//! Sign-in with Discord is configured apart (`DiscordConfig`): a community
//! can use any of the three without the others.

use super::interactions::PublicKey;
use super::sender::Sender;
use crate::domain::export::share::ShareLinks;
use crate::domain::secret_box::SecretBox;

/// Messages to Discord: sealed targets, the HTTP sender, and this server's
/// address for the links in them.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// Seals interaction tokens and webhook URLs kept in the database.
    pub secrets: SecretBox,
    pub sender: Sender,
    /// This server's address as members reach it, without a trailing
    /// slash: links in Discord messages start with it.
    pub public_url: String,
    /// Discord's API, without a trailing slash (the stand-in's in tests).
    pub api_base: String,
}

impl Outbound {
    pub fn new(secret_key: &str, public_url: &str, api_base: &str) -> Result<Self, String> {
        Ok(Self {
            secrets: SecretBox::new(secret_key)?,
            sender: Sender::new(),
            public_url: public_url.trim_end_matches('/').to_string(),
            api_base: api_base.trim_end_matches('/').to_string(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Bot {
    pub application_id: String,
    /// Verifies that an interaction comes from Discord.
    pub public_key: PublicKey,
    /// Signs the expiring download links of exports made from Discord.
    pub links: ShareLinks,
    pub outbound: Outbound,
}

impl Bot {
    pub fn new(
        application_id: String,
        public_key: PublicKey,
        outbound: Outbound,
        secret_key: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            application_id,
            public_key,
            links: ShareLinks::new(secret_key, &outbound.public_url)?,
            outbound,
        })
    }

    /// `PATCH` here edits the reply of the interaction whose token this is
    /// (documented under "Edit Original Interaction Response").
    pub fn original_reply_url(&self, token: &str) -> String {
        format!(
            "{}/webhooks/{}/{token}/messages/@original",
            self.outbound.api_base, self.application_id
        )
    }

    /// The guild's Exports page, where every export appears.
    pub fn exports_page(&self, slug: &str) -> String {
        format!(
            "{}/g/{}/exports",
            self.outbound.public_url,
            crate::model::query::encode_component(slug)
        )
    }
}
