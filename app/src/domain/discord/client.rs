//! Discord's HTTP API, the few documented endpoints Guildtrack calls:
//! the OAuth2 token endpoint, `/users/@me`, `/users/@me/guilds` and
//! `/users/@me/guilds/{id}/member`. The base URL is configurable, so the
//! tests point it at a stand-in on loopback.

use super::DiscordConfig;
use serde::Deserialize;
use std::time::Duration;

/// Waits of up to this long for a rate limit are sat out once; a longer one
/// is reported to the caller, who tells the member when to try again.
const WAIT_OUT_RATE_LIMIT_SECS: f64 = 2.0;

/// Why a call to Discord did not give an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscordError {
    /// Discord refused the code or token: expired, revoked or never valid
    /// (`400 invalid_grant`, `401`). Asking again will not help.
    Refused,
    /// `429`: try again after this many seconds.
    RateLimited { retry_after: f64 },
    /// `404` from the member endpoint: the user is not in that server.
    NotFound,
    /// Discord failed, timed out, or answered something unreadable.
    Unavailable,
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds.
    pub expires_in: i64,
}

/// `GET /users/@me` (the user object).
#[derive(Debug, Clone, Deserialize)]
pub struct DiscordUser {
    pub id: String,
    pub username: String,
    /// The display name, when the user set one.
    pub global_name: Option<String>,
    /// The avatar hash.
    pub avatar: Option<String>,
}

impl DiscordUser {
    pub fn display_name(&self) -> &str {
        self.global_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.username)
    }

    /// The avatar on Discord's CDN, as documented under "Image Formatting".
    pub fn avatar_url(&self) -> Option<String> {
        self.avatar.as_ref().map(|hash| {
            format!(
                "https://cdn.discordapp.com/avatars/{}/{hash}.png?size=64",
                self.id
            )
        })
    }
}

/// One entry of `GET /users/@me/guilds` (a partial guild).
#[derive(Debug, Clone, Deserialize)]
pub struct PartialGuild {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner: bool,
    /// The user's permissions in the server, a decimal string.
    #[serde(default)]
    pub permissions: String,
}

/// `GET /users/@me/guilds/{id}/member` (a guild member); only the roles matter.
#[derive(Debug, Clone, Deserialize)]
pub struct GuildMember {
    pub roles: Vec<String>,
}

/// The body of a `429` (documented under "Rate Limits").
#[derive(Deserialize)]
struct RateLimitBody {
    retry_after: f64,
}

#[derive(Clone)]
pub struct DiscordClient {
    config: DiscordConfig,
    http: reqwest::Client,
}

impl DiscordClient {
    pub fn new(config: DiscordConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent("Guildtrack (https://github.com/guildtrack, 0.1)")
            .build()
            .expect("a reqwest client with timeouts builds");
        Self { config, http }
    }

    pub fn config(&self) -> &DiscordConfig {
        &self.config
    }

    /// Trades the authorization code for tokens (with the PKCE verifier).
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<TokenGrant, DiscordError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("code_verifier", verifier),
        ];
        self.token(&form).await
    }

    /// New tokens for a refresh token (Discord rotates the refresh token).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, DiscordError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token(&form).await
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<TokenGrant, DiscordError> {
        let url = format!("{}/oauth2/token", self.config.api_base);
        let send = || {
            self.http
                .post(&url)
                .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
                .form(form)
        };
        read_json(
            send_with_one_wait(send, "oauth2/token").await?,
            "oauth2/token",
        )
        .await
    }

    pub async fn me(&self, access: &str) -> Result<DiscordUser, DiscordError> {
        self.get(access, "/users/@me").await
    }

    pub async fn my_servers(&self, access: &str) -> Result<Vec<PartialGuild>, DiscordError> {
        self.get(access, "/users/@me/guilds").await
    }

    pub async fn my_membership(
        &self,
        access: &str,
        server_id: &str,
    ) -> Result<GuildMember, DiscordError> {
        // Server ids are snowflakes; anything else must not reach a URL.
        if server_id.is_empty() || !server_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DiscordError::NotFound);
        }
        self.get(access, &format!("/users/@me/guilds/{server_id}/member"))
            .await
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        access: &str,
        path: &str,
    ) -> Result<T, DiscordError> {
        let url = format!("{}{path}", self.config.api_base);
        let send = || self.http.get(&url).bearer_auth(access);
        read_json(send_with_one_wait(send, path).await?, path).await
    }
}

/// Sends a request; a `429` asking for a short wait is waited out once.
async fn send_with_one_wait(
    request: impl Fn() -> reqwest::RequestBuilder,
    what: &str,
) -> Result<reqwest::Response, DiscordError> {
    let mut waited = false;
    loop {
        let res = request().send().await.map_err(|e| {
            tracing::warn!(endpoint = what, error = %e, "Discord did not answer");
            DiscordError::Unavailable
        })?;
        if res.status() != reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Ok(res);
        }
        let retry_after = retry_after(res).await;
        tracing::warn!(endpoint = what, retry_after, "Discord rate-limited us");
        if waited || retry_after > WAIT_OUT_RATE_LIMIT_SECS {
            return Err(DiscordError::RateLimited { retry_after });
        }
        waited = true;
        tokio::time::sleep(Duration::from_secs_f64(retry_after.max(0.0))).await;
    }
}

/// The wait a `429` asks for: `retry_after` from the body, else the
/// `Retry-After` header, else 5 seconds.
pub(super) async fn retry_after(res: reqwest::Response) -> f64 {
    let header = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok());
    let body = res
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<RateLimitBody>(&b).ok())
        .map(|b| b.retry_after);
    body.or(header)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(5.0)
}

async fn read_json<T: serde::de::DeserializeOwned>(
    res: reqwest::Response,
    what: &str,
) -> Result<T, DiscordError> {
    let status = res.status();
    if status.is_success() {
        let bytes = res.bytes().await.map_err(|e| {
            tracing::warn!(endpoint = what, error = %e, "Discord's answer was cut off");
            DiscordError::Unavailable
        })?;
        return serde_json::from_slice(&bytes).map_err(|e| {
            tracing::error!(endpoint = what, error = %e, "Discord's answer is not the documented shape");
            DiscordError::Unavailable
        });
    }
    // The body of an error may echo what we sent; it is not logged.
    tracing::warn!(
        endpoint = what,
        status = status.as_u16(),
        "Discord refused a call"
    );
    Err(match status.as_u16() {
        400 | 401 | 403 => DiscordError::Refused,
        404 => DiscordError::NotFound,
        _ => DiscordError::Unavailable,
    })
}
