//! Guildtrack's server: configuration, the axum router around the Leptos
//! app, sign-in routes, request guards and the CLI subcommands.

// The scripts build with Leptos's type-erased views (`--cfg
// erase_components`, scripts/lib.sh). A build without that flag keeps the
// full view types, and the list pages' types are deeper than the default
// limit of 128.
#![recursion_limit = "256"]

pub mod api_v1;
pub mod assets;
pub mod auth_routes;
pub mod background;
pub mod bench;
pub mod bench_bulk;
pub mod bench_export;
pub mod bench_purge;
pub mod config;
pub mod discord_routes;
pub mod downloads;
pub mod interactions;
pub mod router;
pub mod s3_store;
pub mod same_origin;
pub mod security_headers;
pub mod session;
pub mod uploads;
