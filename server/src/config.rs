//! Configuration from the environment, with defaults that run out of the box.

use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/guildtrack.db`)
    /// or `postgres://…`.
    pub database_url: String,
    /// `LEPTOS_SITE_ADDR`: where to listen (default `127.0.0.1:3000`).
    pub site_addr: SocketAddr,
    /// `COOKIE_SECURE`: mark the session cookie `Secure` (set it to `true`
    /// behind HTTPS; default `false` so the local demo works over http).
    pub cookie_secure: bool,
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let site_addr = env_or("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        Ok(Self {
            database_url: env_or("DATABASE_URL", "sqlite://data/guildtrack.db"),
            site_addr: site_addr.parse().map_err(|_| {
                format!(
                    "LEPTOS_SITE_ADDR must be host:port, like 127.0.0.1:3000; got “{site_addr}”"
                )
            })?,
            cookie_secure: match env_or("COOKIE_SECURE", "false").as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(format!(
                        "COOKIE_SECURE must be true or false; got “{other}”"
                    ))
                }
            },
        })
    }
}
