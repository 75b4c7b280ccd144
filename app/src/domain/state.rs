use super::export::ExportSettings;
use super::{Db, SharedClock};

/// What every request handler and server function can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub exports: ExportSettings,
}
