//! Guildtrack's server: configuration, the axum router around the Leptos
//! app, sign-in routes, request guards and the CLI subcommands.

pub mod auth_routes;
pub mod bench;
pub mod bench_bulk;
pub mod bench_export;
pub mod config;
pub mod downloads;
pub mod export_worker;
pub mod router;
pub mod s3_store;
pub mod same_origin;
pub mod session;
