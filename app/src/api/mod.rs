//! Server functions: authorize, validate, call `domain`. Thin on purpose.
//!
//! All of them use POST (JSON bodies); none uses a GET encoding, so no
//! state can change through a link or an image tag, and the same-origin
//! check in the server's middleware covers every call.

mod audit;
mod bulk;
#[cfg(feature = "ssr")]
pub mod ctx;
mod discord;
mod exports;
mod guilds;
mod imports;
mod lists;
mod members;
mod tokens;
mod trash;

pub use audit::*;
pub use bulk::*;
pub use discord::*;
pub use exports::*;
pub use guilds::*;
pub use imports::*;
pub use lists::*;
pub use members::*;
pub use tokens::*;
pub use trash::*;
