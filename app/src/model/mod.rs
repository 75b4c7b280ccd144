//! Types that cross the wire between server and browser.

mod account;
pub mod api_tokens;
pub mod audit;
pub mod audit_mirror;
pub mod bulk;
pub mod discord;
pub mod entity;
pub mod export;
pub mod filter;
mod guild;
pub mod imports;
pub mod members;
mod page;
mod platform;
mod post;
pub mod query;
pub mod search;
pub mod selection;
pub mod trash;

pub use account::{Account, AccountStatus};
pub use audit::AuditEntry;
pub use bulk::{
    BulkAction, BulkConfirm, BulkPreview, BulkRequest, BulkRun, Change, FailedItem, FailureReason,
    RunStatus,
};
pub use entity::Entity;
pub use export::{
    ExportConfirm, ExportFormat, ExportJob, ExportPreview, ExportRequest, ExportScope,
    ExportStarted, JobStatus,
};
pub use filter::{
    AccountFilter, AccountSort, AuditFilter, PostFilter, PostSort, TrashFilter, PAGE_SIZES,
};
pub use guild::{GuildContext, GuildSummary, Member, Named, Role, SessionUser};
pub use imports::{ImportCounts, ImportJob, ImportStatus};
pub use page::{Page, PageInfo, MAX_PAGE};
pub use platform::Platform;
pub use post::Post;
pub use selection::Selection;
pub use trash::{PurgeReport, TrashItem, TrashPage};
