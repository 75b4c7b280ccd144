//! Calls to Discord made on the bot's behalf: a message sent from the
//! outbox (an edit of an interaction's reply, a webhook post), and the
//! registration of the slash commands. Each call reports what Discord said
//! as a [`Delivery`]; the caller decides what to do about it (the outbox
//! retries, the CLI prints).

use super::client::retry_after;
use serde_json::Value;
use std::time::Duration;

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// 2xx.
    Sent,
    /// 429: Discord asks to wait this many seconds.
    RateLimited { retry_after: f64 },
    /// 5xx, a timeout or no connection: worth trying again later.
    Failed(String),
    /// 404: the webhook (or the interaction's token) no longer exists.
    Gone,
    /// Another 4xx: Discord will not take this message; trying again will
    /// not help.
    Refused(u16),
}

#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sender")
    }
}

impl Default for Sender {
    fn default() -> Self {
        Self::new()
    }
}

impl Sender {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent("DiscordBot (https://github.com/guildtrack, 0.1)")
            .build()
            .expect("a reqwest client with timeouts builds");
        Self { http }
    }

    /// Sends `body` to `url` with `method` (`PATCH` or `POST`). The URL
    /// holds a token: it is never logged, only the kind of call is.
    pub async fn send(&self, method: &str, url: &str, body: &str, what: &str) -> Delivery {
        let method = match method {
            "PATCH" => reqwest::Method::PATCH,
            _ => reqwest::Method::POST,
        };
        let res = self
            .http
            .request(method, url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let res = match res {
            Ok(res) => res,
            Err(e) => {
                // reqwest's error names the URL; keep only its kind.
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                tracing::warn!(call = what, "Discord did not answer: {kind}");
                return Delivery::Failed(format!("Discord did not answer ({kind})"));
            }
        };
        let status = res.status().as_u16();
        match status {
            200..=299 => Delivery::Sent,
            429 => Delivery::RateLimited {
                retry_after: retry_after(res).await,
            },
            404 => Delivery::Gone,
            500..=599 => Delivery::Failed(format!("Discord answered HTTP {status}")),
            _ => {
                tracing::warn!(call = what, status, "Discord refused a message");
                Delivery::Refused(status)
            }
        }
    }

    /// Replaces the application's global commands with `commands` (a bulk
    /// overwrite, documented under "Bulk Overwrite Global Application
    /// Commands"), sitting out up to three 429s. Returns Discord's list of
    /// what is now registered.
    pub async fn register_commands(
        &self,
        api_base: &str,
        application_id: &str,
        bot_token: &str,
        commands: &Value,
    ) -> Result<Value, String> {
        let url = format!("{api_base}/applications/{application_id}/commands");
        for _ in 0..4 {
            let res = self
                .http
                .put(&url)
                .header(reqwest::header::AUTHORIZATION, format!("Bot {bot_token}"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(commands.to_string())
                .send()
                .await
                .map_err(|_| format!("Discord did not answer at {api_base}"))?;
            let status = res.status();
            if status.as_u16() == 429 {
                let wait = retry_after(res).await.min(60.0);
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                continue;
            }
            let body = res.text().await.unwrap_or_default();
            if !status.is_success() {
                let why = match status.as_u16() {
                    401 => "the bot token was refused (check DISCORD_BOT_TOKEN)".to_string(),
                    403 | 404 => {
                        "the application was not found for this token (check DISCORD_APPLICATION_ID)"
                            .to_string()
                    }
                    code => format!("HTTP {code}: {}", body.chars().take(300).collect::<String>()),
                };
                return Err(format!("Discord refused the commands: {why}"));
            }
            return serde_json::from_str(&body)
                .map_err(|_| "Discord's answer was not the documented list of commands".into());
        }
        Err("Discord kept rate-limiting the registration; try again in a minute".into())
    }
}
