//! Configuration from the environment, with defaults that run out of the box.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// `TRUST_FORWARDED_FOR` (default `false`): set it behind a reverse
    /// proxy, which must add the client's address to `X-Forwarded-For`;
    /// sign-in throttling then counts per client instead of per proxy.
    pub trust_forwarded_for: bool,
    /// `RETENTION_DAYS` (default 30): deleted items stay this long in the
    /// trash, then the hourly purge removes them for good.
    pub retention_days: i64,
    pub exports: ExportConfig,
    /// Set when `DISCORD_CLIENT_ID` is: sign in with Discord.
    pub discord: Option<DiscordSettings>,
    /// Set when `DISCORD_PUBLIC_KEY` is: the bot's side (`/exportdata`).
    pub bot: Option<app::domain::discord::bot::Bot>,
    /// Set when `SECRET_KEY` is: messages to Discord (the audit mirror).
    pub outbound: Option<app::domain::discord::bot::Outbound>,
    /// `API_RATE_LIMIT` (default 30): requests a second each API token may
    /// make to `/api/v1`, with bursts of twice that; more get 429.
    pub api_rate_limit: u32,
    /// `INGEST_SLOTS` (default: one fewer than the machine's cores, at
    /// least 1): batches the ingest API works on at once
    /// (`api_v1::ingest_slots`).
    pub ingest_slots: usize,
}

/// Sign in with Discord: `DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET`,
/// `DISCORD_REDIRECT_URL`, `DISCORD_API_BASE`, and `SECRET_KEY`, which seals
/// the tokens kept for the membership re-check.
#[derive(Clone, Debug)]
pub struct DiscordSettings {
    pub api: app::domain::discord::DiscordConfig,
    pub secrets: app::domain::secret_box::SecretBox,
}

impl DiscordSettings {
    /// `None` without `DISCORD_CLIENT_ID`; with it, every other variable
    /// must be right, or the server does not start (a half-configured
    /// sign-in would fail for members, not for the operator).
    pub fn from_env() -> Result<Option<Self>, String> {
        let Some(client_id) = env_opt("DISCORD_CLIENT_ID") else {
            return Ok(None);
        };
        let required = |key: &str| {
            env_opt(key).ok_or_else(|| format!("DISCORD_CLIENT_ID is set, so {key} must be too"))
        };
        let client_secret = required("DISCORD_CLIENT_SECRET")?;
        let redirect_url = required("DISCORD_REDIRECT_URL")?;
        if !(redirect_url.starts_with("https://") || redirect_url.starts_with("http://"))
            || !redirect_url.ends_with("/auth/discord/callback")
        {
            return Err(format!(
                "DISCORD_REDIRECT_URL must be this server's address followed by /auth/discord/callback, \
                 like https://guildtrack.example/auth/discord/callback; got “{redirect_url}”"
            ));
        }
        let api_base = api_base()?;
        let secrets = app::domain::secret_box::SecretBox::new(&required("SECRET_KEY")?)?;
        Ok(Some(Self {
            api: app::domain::discord::DiscordConfig {
                client_id: client_id.trim().to_string(),
                client_secret: client_secret.trim().to_string(),
                redirect_url: redirect_url.trim().to_string(),
                api_base,
            },
            secrets,
        }))
    }
}

/// Messages to Discord (`SECRET_KEY`, `PUBLIC_URL`, `DISCORD_API_BASE`):
/// `None` without `SECRET_KEY`.
pub fn outbound_from_env(
    site_addr: SocketAddr,
) -> Result<Option<app::domain::discord::bot::Outbound>, String> {
    let Some(secret_key) = env_opt("SECRET_KEY") else {
        return Ok(None);
    };
    app::domain::discord::bot::Outbound::new(&secret_key, &public_url(site_addr)?, &api_base()?)
        .map(Some)
}

/// The bot's side: `DISCORD_PUBLIC_KEY`, `DISCORD_APPLICATION_ID`, and
/// what [`outbound_from_env`] reads. `None` without `DISCORD_PUBLIC_KEY`;
/// with it, every other variable must be right, or the server does not
/// start.
pub fn bot_from_env(
    outbound: Option<&app::domain::discord::bot::Outbound>,
) -> Result<Option<app::domain::discord::bot::Bot>, String> {
    let Some(public_key) = env_opt("DISCORD_PUBLIC_KEY") else {
        return Ok(None);
    };
    let required = |key: &str| {
        env_opt(key).ok_or_else(|| format!("DISCORD_PUBLIC_KEY is set, so {key} must be too"))
    };
    let public_key = app::domain::discord::interactions::PublicKey::from_hex(&public_key)?;
    let application_id = required("DISCORD_APPLICATION_ID")?.trim().to_string();
    if application_id.is_empty() || !application_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "DISCORD_APPLICATION_ID must be the application's id, a number; got “{application_id}”"
        ));
    }
    let secret_key = required("SECRET_KEY")?;
    let outbound = outbound
        .cloned()
        .ok_or("DISCORD_PUBLIC_KEY is set, so SECRET_KEY must be too")?;
    app::domain::discord::bot::Bot::new(application_id, public_key, outbound, &secret_key).map(Some)
}

/// `DISCORD_API_BASE` (default Discord's v10 API), without a trailing slash.
pub fn api_base() -> Result<String, String> {
    let api_base = env_or(
        "DISCORD_API_BASE",
        app::domain::discord::DiscordConfig::DEFAULT_API_BASE,
    );
    let api_base = api_base.trim().trim_end_matches('/').to_string();
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        return Err(format!(
            "DISCORD_API_BASE must be an http(s) URL; got “{api_base}”"
        ));
    }
    Ok(api_base)
}

/// `PUBLIC_URL`: this server's address as members reach it, for links in
/// Discord messages. Defaults to the address in `DISCORD_REDIRECT_URL`,
/// else `http://LEPTOS_SITE_ADDR`.
fn public_url(site_addr: SocketAddr) -> Result<String, String> {
    let url = env_opt("PUBLIC_URL")
        .or_else(|| {
            env_opt("DISCORD_REDIRECT_URL").and_then(|u| {
                u.trim()
                    .strip_suffix("/auth/discord/callback")
                    .map(str::to_string)
            })
        })
        .unwrap_or_else(|| format!("http://{site_addr}"));
    let url = url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!(
            "PUBLIC_URL must be this server's address, like https://guildtrack.example; got “{url}”"
        ));
    }
    Ok(url)
}

/// Where and how exports are made and kept.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    /// `EXPORT_DIR` (default `data/exports`): the local store, and the work
    /// directory where files are written before they are stored.
    pub dir: PathBuf,
    /// `INSTANT_EXPORT_LIMIT` (default 1000): fewer items download at once;
    /// more run as a background job.
    pub instant_limit: i64,
    /// `EXPORT_RETENTION_DAYS` (default 7): finished files are removed after.
    pub retention_days: i64,
    /// `EXPORT_MAX_ROWS_PER_SECOND` (default unset): paces exports, to spare
    /// a database that serves other work.
    pub max_rows_per_second: Option<u32>,
    /// Set when `EXPORT_S3_BUCKET` is.
    pub s3: Option<S3Config>,
    /// `IMPORT_MAX_BYTES` (default 1 GiB): larger uploads to Import are
    /// refused while they stream in.
    pub import_max_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// `EXPORT_S3_BUCKET`.
    pub bucket: String,
    /// `EXPORT_S3_PREFIX` (default empty): keys become `{prefix}{guild}/{job}.{ext}`.
    pub prefix: String,
    /// `AWS_REGION` (default: the AWS SDK's own lookup, else `us-east-1`).
    pub region: Option<String>,
    /// `AWS_ENDPOINT_URL`: an S3-compatible server (MinIO, R2, …).
    pub endpoint: Option<String>,
    /// `EXPORT_S3_FORCE_PATH_STYLE` (default: true when an endpoint is set):
    /// `http://host/bucket/key` instead of `http://bucket.host/key`.
    pub force_path_style: bool,
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn env_opt(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(key: &str, default: bool) -> Result<bool, String> {
    match env_opt(key).as_deref() {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(format!("{key} must be true or false; got “{other}”")),
    }
}

fn env_positive(key: &str, default: i64) -> Result<i64, String> {
    match env_opt(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{key} must be a whole number above 0; got “{v}”")),
    }
}

impl ExportConfig {
    pub fn from_env() -> Result<Self, String> {
        let s3 = env_opt("EXPORT_S3_BUCKET").map(|bucket| {
            let endpoint = env_opt("AWS_ENDPOINT_URL");
            Ok::<_, String>(S3Config {
                bucket: bucket.trim().to_string(),
                prefix: env_opt("EXPORT_S3_PREFIX").unwrap_or_default(),
                region: env_opt("AWS_REGION"),
                force_path_style: env_bool("EXPORT_S3_FORCE_PATH_STYLE", endpoint.is_some())?,
                endpoint,
            })
        });
        Ok(Self {
            dir: PathBuf::from(env_or("EXPORT_DIR", "data/exports")),
            instant_limit: env_positive("INSTANT_EXPORT_LIMIT", 1000)?,
            retention_days: env_positive("EXPORT_RETENTION_DAYS", 7)?,
            max_rows_per_second: match env_opt("EXPORT_MAX_ROWS_PER_SECOND") {
                None => None,
                Some(_) => {
                    Some(env_positive("EXPORT_MAX_ROWS_PER_SECOND", 0)?.min(u32::MAX as i64) as u32)
                }
            },
            s3: s3.transpose()?,
            import_max_bytes: env_positive(
                "IMPORT_MAX_BYTES",
                app::domain::import::DEFAULT_MAX_BYTES as i64,
            )? as u64,
        })
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let site_addr = env_or("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        let site_addr: SocketAddr = site_addr.parse().map_err(|_| {
            format!("LEPTOS_SITE_ADDR must be host:port, like 127.0.0.1:3000; got “{site_addr}”")
        })?;
        let outbound = outbound_from_env(site_addr)?;
        Ok(Self {
            database_url: env_or("DATABASE_URL", "sqlite://data/guildtrack.db"),
            site_addr,
            bot: bot_from_env(outbound.as_ref())?,
            outbound,
            cookie_secure: env_bool("COOKIE_SECURE", false)?,
            trust_forwarded_for: env_bool("TRUST_FORWARDED_FOR", false)?,
            retention_days: env_positive(
                "RETENTION_DAYS",
                app::domain::trash::Window::DEFAULT_RETENTION_DAYS,
            )?,
            exports: ExportConfig::from_env()?,
            discord: DiscordSettings::from_env()?,
            api_rate_limit: env_positive("API_RATE_LIMIT", 30)?.min(100_000) as u32,
            ingest_slots: env_positive("INGEST_SLOTS", crate::api_v1::ingest_slots() as i64)?
                .min(64) as usize,
        })
    }
}
