//! Import of Guildtrack's own exports (backup and restore, or a move to
//! another instance).
//!
//! An admin uploads an export (`POST /guilds/{guild}/imports`, in the
//! server crate); the file is stored beside the exports (`EXPORT_DIR` or
//! S3) and refused at once when its head is not an export's. Then, in the
//! background:
//!
//! 1. **check**: every batch is applied in a transaction that is rolled
//!    back, which counts exactly what the import would do (new, update,
//!    unchanged, rejected; groups and brands to create) with the same code
//!    that will do it. Nothing is written.
//! 2. the admin reads the counts and confirms by typing the item count;
//! 3. **run**: the same batches, committed, each with its audit entries;
//!    one summary entry when it ends. A cancel stops it between batches;
//!    what was written stays, and the summary says how far it got.
//!
//! Items are upserted by the ingest API's rules (`domain::ingest`): the
//! same matching, limits, and trash rule (an item in Deleted Items is
//! updated there and stays deleted). New items keep the file's dates, so
//! an export imported into an empty guild exports again the same.

pub mod file;
pub mod jobs;
pub mod rows;
pub mod run;

/// `IMPORT_MAX_BYTES` when unset: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// Items per batch and transaction, as the ingest API's limit.
pub const BATCH: usize = crate::domain::ingest::wire::MAX_BATCH;

/// How many imports the history shows.
pub const HISTORY_LIMIT: i64 = 20;

pub use run::{accept, cancel, confirm, recover_stale, take_back};
