//! Rebuilds the crate when a migration is added or changed.
//!
//! Why: `sqlx::migrate!` (domain::db) embeds the migrations at compile
//! time, and cargo does not know it reads them. Without this, a build after
//! adding a migration and no Rust change would run the database without it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
