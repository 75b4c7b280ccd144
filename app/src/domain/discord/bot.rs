//! The bot's side of Guildtrack: what it needs to take slash commands from
//! Discord and to send messages back (`DISCORD_PUBLIC_KEY`,
//! `DISCORD_APPLICATION_ID`, `DISCORD_API_BASE`, `PUBLIC_URL`, `SECRET_KEY`).
//! Sign-in with Discord is configured apart (`DiscordConfig`): a community
//! can use either without the other.

use super::interactions::PublicKey;
use super::sender::Sender;
use crate::domain::export::share::ShareLinks;
use crate::domain::secret_box::SecretBox;

#[derive(Clone, Debug)]
pub struct Bot {
    pub application_id: String,
    /// Verifies that an interaction comes from Discord.
    pub public_key: PublicKey,
    /// Discord's API, without a trailing slash (the stand-in's in tests).
    pub api_base: String,
    /// This server's address as members reach it, without a trailing
    /// slash: links in Discord messages start with it.
    pub public_url: String,
    /// Seals interaction tokens and webhook URLs kept in the database.
    pub secrets: SecretBox,
    /// Signs the expiring download links of exports made from Discord.
    pub links: ShareLinks,
    pub sender: Sender,
}

impl Bot {
    pub fn new(
        application_id: String,
        public_key: PublicKey,
        api_base: String,
        public_url: String,
        secret_key: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            application_id,
            public_key,
            api_base: api_base.trim_end_matches('/').to_string(),
            links: ShareLinks::new(secret_key, public_url.trim_end_matches('/'))?,
            public_url: public_url.trim_end_matches('/').to_string(),
            secrets: SecretBox::new(secret_key)?,
            sender: Sender::new(),
        })
    }

    /// `PATCH` here edits the reply of the interaction whose token this is
    /// (documented under "Edit Original Interaction Response").
    pub fn original_reply_url(&self, token: &str) -> String {
        format!(
            "{}/webhooks/{}/{token}/messages/@original",
            self.api_base, self.application_id
        )
    }

    /// The guild's Exports page, where every export appears.
    pub fn exports_page(&self, slug: &str) -> String {
        format!(
            "{}/g/{}/exports",
            self.public_url,
            crate::model::query::encode_component(slug)
        )
    }
}
