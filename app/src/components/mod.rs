//! Reusable UI pieces, one component per file.

pub mod account_card;
pub mod api_tokens;
pub mod audit_mirror;
pub mod bulk_bar;
pub mod bulk_progress;
pub mod confirm_field;
pub mod discord_link;
pub mod error_panel;
pub mod export_dialog;
pub mod export_tracker;
pub mod fields;
pub mod filter_fields;
pub mod focus;
pub mod form_status;
pub mod import_dialog;
pub mod invitations;
pub mod members_table;
pub mod pager;
pub mod post_card;
pub mod selection;
pub mod sidebar;
pub mod skeleton;
pub mod tags;
