use super::export::ExportSettings;
use super::{Db, Instance, SharedClock};

/// What every request handler and server function can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub exports: ExportSettings,
    /// `RETENTION_DAYS`: how long deleted items stay in the trash.
    pub trash_retention: chrono::Duration,
    /// This server process, recorded on the jobs and bulk actions it holds.
    pub instance: Instance,
    /// Discord sign-in and roles, when `DISCORD_CLIENT_ID` and the rest are set.
    pub discord: Option<super::discord::Discord>,
    /// The bot's side (`/exportdata`, messages to Discord), when
    /// `DISCORD_PUBLIC_KEY` is set.
    pub bot: Option<super::discord::bot::Bot>,
    /// Messages to Discord (the audit mirror, and the bot's replies), when
    /// `SECRET_KEY` is set.
    pub outbound: Option<super::discord::bot::Outbound>,
}

impl AppState {
    /// The trash as of now: days left, expiry warnings, the purge cutoff.
    pub fn trash_window(&self) -> super::trash::Window {
        super::trash::Window {
            now: self.clock.now(),
            retention: self.trash_retention,
        }
    }
}
