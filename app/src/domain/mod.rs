//! Server-only domain services. Plain async functions over a [`Db`] and a
//! [`GuildScope`]; the server functions in `api/` are thin wrappers around
//! them and the tests call them directly.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod audit_item;
pub mod auth;
pub mod bulk;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod demo;
pub mod discord;
mod entity_sql;
pub mod estimate;
pub mod export;
pub mod import;
pub mod ingest;
pub mod instance;
pub mod invitations;
mod list_sql;
pub mod members;
pub mod memberships;
pub mod post_tally;
pub mod posts;
pub mod scope;
pub mod secret_box;
pub mod seed;
mod selection_sql;
pub mod sign_in;
pub mod state;
/// Test fixtures, compiled only into test builds (the `test-support`
/// feature, which the crates' dev-dependencies turn on).
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod trash;
pub mod trigram_fold;

pub use clock::{Clock, SharedClock, SystemClock};
pub use db::{Arg, Db, Dialect, Sql};
pub(crate) use entity_sql::EntitySql;
pub use instance::Instance;
pub use scope::GuildScope;
pub use state::AppState;
