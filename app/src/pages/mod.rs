//! Route components, one per file.

pub mod accounts;
pub mod audit;
pub mod exports;
pub mod guild_layout;
pub mod home;
pub mod invite;
pub mod list_support;
pub mod login;
pub mod not_found;
pub mod posts;
pub mod settings;
pub mod trash;
