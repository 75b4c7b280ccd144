//! The stand-in Discord of the tests (`tests/support/discord`), as a
//! process for the browser tests: `discord_standin 127.0.0.1:3190`.
//!
//! Its world: Dana, an editor of the E2E Discord server (she holds its
//! Moderators role), Omar, who is in no server Guildtrack knows, and a
//! channel webhook for the audit log (printed at start).

#[path = "../tests/support/discord/mod.rs"]
#[allow(dead_code)]
mod discord;

use discord::{Membership, Standin};

/// The server and role the browser tests link guild `e2e-discord` to.
const SERVER: &str = "300000000000000100";
const MODERATORS: &str = "300000000000000200";

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3190".into());
    let standin = Standin::start_on(&addr).await;
    standin.add_person("300000000000000001", "dana", Some("Dana Discord"));
    standin.join(
        "300000000000000001",
        Membership {
            server_id: SERVER.into(),
            server_name: "E2E Discord".into(),
            owner: false,
            permissions: 0x400,
            roles: vec![MODERATORS.into()],
        },
    );
    standin.add_person("300000000000000002", "omar", Some("Omar Outside"));
    for person in ["300000000000000001", "300000000000000002"] {
        standin.without_avatar(person);
    }
    let webhook = standin.create_webhook("900000000000000001");
    println!("stand-in Discord at {}", standin.base);
    println!("channel webhook: {webhook}");
    println!("application public key: {}", standin.public_key_hex());
    std::future::pending::<()>().await;
}
