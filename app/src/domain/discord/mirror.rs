//! The audit log mirrored to a Discord channel: the SQL of `audit_mirrors`,
//! and the posts.
//!
//! An admin gives a channel's webhook URL and chooses the kinds of entries
//! to post. Each chosen audit summary becomes one embed, queued in the
//! outbox by `audit::record` in the transaction that writes the entry;
//! per-item entries are never posted. The URL is a credential: it is
//! sealed with `SECRET_KEY`, shown again only as a hint, and never logged.
//! When Discord says the webhook is gone (404), mirroring turns itself off
//! and the admins see why, in the settings and in the log.

use super::bot::Outbound;
use super::outbox::{self, Kind, Message};
use super::sender::Delivery;
use crate::domain::audit::{self, Entry};
use crate::domain::db::Tx;
use crate::domain::{Arg, Db, GuildScope, SharedClock, Sql};
use crate::error::AppError;
use crate::model::audit::AUDIT_ACTIONS;
use crate::model::audit_mirror::{kind_label, AuditMirror, MirrorFailure, MIRROR_KINDS};
use crate::model::Role;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

/// A post that still fails after this long is given up.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);
/// The automatic purge's entry grows with each of its steps: its post
/// waits this long after the last step, so it tells the whole purge.
const PURGE_SETTLES: Duration = Duration::seconds(30);

/// Discord's limits on an embed (documented under "Embed Limits").
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELD_MAX: usize = 1024;

/// The webhook URL as Discord shows it ("Copy Webhook URL"), checked: a
/// webhook of Discord itself (or of `DISCORD_API_BASE`, the stand-in in
/// tests), so that the server never posts to an address an admin made up.
pub fn parse_webhook(url: &str, api_base: &str) -> Result<String, String> {
    let url = url.trim();
    let allowed = [
        "https://discord.com/api/webhooks/".to_string(),
        "https://discordapp.com/api/webhooks/".to_string(),
        "https://ptb.discord.com/api/webhooks/".to_string(),
        "https://canary.discord.com/api/webhooks/".to_string(),
        format!("{api_base}/webhooks/"),
    ];
    let rest = allowed
        .iter()
        .find_map(|prefix| url.strip_prefix(prefix.as_str()))
        .ok_or_else(|| {
            "That is not a Discord webhook URL. In Discord, open the channel's settings → \
             Integrations → Webhooks, and use “Copy Webhook URL”; it starts with \
             https://discord.com/api/webhooks/."
                .to_string()
        })?;
    let mut parts = rest.split('/');
    let (Some(id), Some(token), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(
            "That webhook URL is cut short or has extra parts: copy it again from Discord.".into(),
        );
    };
    let token_ok = !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || !token_ok {
        return Err(
            "That webhook URL is cut short or has extra parts: copy it again from Discord.".into(),
        );
    }
    Ok(url.to_string())
}

/// What admins see of a webhook URL once saved.
fn hint(url: &str) -> String {
    let mut parts = url.rsplit('/');
    let token = parts.next().unwrap_or_default();
    let id = parts.next().unwrap_or_default();
    let end: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…/webhooks/{id}/…{end}")
}

#[derive(sqlx::FromRow)]
struct Row {
    webhook_sealed: String,
    webhook_hint: String,
    kinds: String,
    link_base: String,
    enabled: bool,
    disabled_reason: Option<String>,
}

const COLUMNS: &str = "webhook_sealed, webhook_hint, kinds, link_base, enabled, disabled_reason";

impl Row {
    fn kinds(&self) -> Vec<String> {
        serde_json::from_str(&self.kinds).unwrap_or_default()
    }
}

async fn row(db: &Db, guild_id: i64) -> Result<Option<Row>, AppError> {
    db.fetch_optional::<Row>(&Sql::bound(
        format!("SELECT {COLUMNS} FROM audit_mirrors WHERE guild_id = $1"),
        vec![Arg::Int(guild_id)],
    ))
    .await
}

/// The mirror's settings and health (admins).
pub async fn settings(
    db: &Db,
    scope: &GuildScope,
    out: Option<&Outbound>,
) -> Result<AuditMirror, AppError> {
    scope.require(Role::Admin, "see where the audit log is posted")?;
    let guild_id = scope.guild_id();
    let row = row(db, guild_id).await?;
    let stream = stream(guild_id);
    let waiting = db
        .fetch_i64(&Sql::bound(
            "SELECT COUNT(*) FROM discord_outbox WHERE stream = $1 AND status = 'pending'",
            vec![Arg::Text(stream.clone())],
        ))
        .await?;
    #[derive(sqlx::FromRow)]
    struct Failed {
        created_at: DateTime<Utc>,
        body: String,
        error: Option<String>,
    }
    let failures = db
        .fetch_all::<Failed>(&Sql::bound(
            "SELECT created_at, body, error FROM discord_outbox WHERE stream = $1 \
             AND status = 'failed' ORDER BY id DESC LIMIT 5",
            vec![Arg::Text(stream)],
        ))
        .await?
        .into_iter()
        .map(|f| MirrorFailure {
            at: f.created_at,
            title: serde_json::from_str::<Value>(&f.body)
                .ok()
                .and_then(|b| b["embeds"][0]["title"].as_str().map(str::to_string))
                .unwrap_or_default(),
            error: f.error.unwrap_or_default(),
        })
        .collect();
    Ok(AuditMirror {
        available: out.is_some(),
        webhook_hint: row.as_ref().map(|r| r.webhook_hint.clone()),
        kinds: row.as_ref().map(Row::kinds).unwrap_or_else(|| {
            // A new mirror starts with the destructive actions ticked.
            ["delete", "purge", "auto_purge"].map(String::from).to_vec()
        }),
        enabled: row.as_ref().is_some_and(|r| r.enabled),
        disabled_reason: row.and_then(|r| r.disabled_reason),
        waiting,
        failures,
    })
}

/// What an admin submitted.
#[derive(Debug, Clone)]
pub struct MirrorInput {
    /// A new webhook URL; blank keeps the saved one.
    pub webhook_url: String,
    pub kinds: Vec<String>,
    /// Posting on or off.
    pub enabled: bool,
}

/// Saves the mirror's settings, audited (without the URL).
pub async fn save(
    db: &Db,
    clock: &SharedClock,
    scope: &GuildScope,
    out: Option<&Outbound>,
    input: &MirrorInput,
) -> Result<AuditMirror, AppError> {
    scope.require(Role::Admin, "choose where the audit log is posted")?;
    let out = out.ok_or_else(|| {
        AppError::invalid(
            "This server cannot post to Discord: its operator has not set SECRET_KEY (see the README).",
        )
    })?;
    let guild_id = scope.guild_id();
    let before = row(db, guild_id).await?;
    let kinds: Vec<String> = MIRROR_KINDS
        .iter()
        .map(|(name, _)| name.to_string())
        .filter(|k| input.kinds.contains(k))
        .collect();
    if let Some(unknown) = input
        .kinds
        .iter()
        .find(|k| !MIRROR_KINDS.iter().any(|(name, _)| name == k))
    {
        return Err(AppError::invalid(format!(
            "“{unknown}” is not a kind of entry that can be posted."
        )));
    }
    let new_url = match input.webhook_url.trim() {
        "" => None,
        url => Some(parse_webhook(url, &out.api_base).map_err(AppError::invalid)?),
    };
    let (sealed, hint) = match (&new_url, &before) {
        (Some(url), _) => (out.secrets.seal(url), self::hint(url)),
        (None, Some(b)) => (b.webhook_sealed.clone(), b.webhook_hint.clone()),
        (None, None) => {
            return Err(AppError::invalid(
                "Paste the channel's webhook URL: in Discord, the channel's settings → Integrations → Webhooks → Copy Webhook URL.",
            ))
        }
    };
    if input.enabled && kinds.is_empty() {
        return Err(AppError::invalid(
            "Choose at least one kind of entry to post, or turn posting off.",
        ));
    }
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    tx.execute(&Sql::bound(
        format!(
            "INSERT INTO audit_mirrors (guild_id, webhook_sealed, webhook_hint, kinds, link_base, enabled, \
             disabled_reason, updated_at) VALUES ($1, $2, $3, $4, $5, {on}, NULL, $6) \
             ON CONFLICT (guild_id) DO UPDATE SET webhook_sealed = excluded.webhook_sealed, \
             webhook_hint = excluded.webhook_hint, kinds = excluded.kinds, link_base = excluded.link_base, \
             enabled = excluded.enabled, disabled_reason = NULL, updated_at = excluded.updated_at",
            on = if input.enabled { "TRUE" } else { "FALSE" }
        ),
        vec![
            Arg::Int(guild_id),
            Arg::Text(sealed.clone()),
            Arg::Text(hint.clone()),
            Arg::Text(serde_json::to_string(&kinds).expect("kinds serialize")),
            Arg::Text(out.public_url.clone()),
            Arg::Time(now),
        ],
    ))
    .await?;
    // Posts still waiting go to the channel now chosen.
    tx.execute(&Sql::bound(
        "UPDATE discord_outbox SET target_sealed = $1 WHERE stream = $2 AND status = 'pending'",
        vec![Arg::Text(sealed), Arg::Text(stream(guild_id))],
    ))
    .await?;
    let summary = if input.enabled {
        let labels: Vec<&str> = kinds.iter().map(|k| kind_label(k)).collect();
        format!(
            "The audit log posts to Discord (webhook {hint}): {}",
            labels.join(", ").to_lowercase()
        )
    } else {
        "The audit log no longer posts to Discord".to_string()
    };
    audit::record_one(
        &mut tx,
        db.dialect(),
        guild_id,
        now,
        &Entry::said(Some(scope.user_id()), "settings", summary),
    )
    .await?;
    tx.commit().await?;
    settings(db, scope, Some(out)).await
}

/// Posts a test message to the saved webhook at once (not through the
/// outbox: the admin is waiting for the answer) and says what Discord said.
pub async fn send_test(
    db: &Db,
    scope: &GuildScope,
    out: Option<&Outbound>,
) -> Result<String, AppError> {
    scope.require(Role::Admin, "test the audit log's Discord channel")?;
    let out = out.ok_or_else(|| {
        AppError::invalid("This server cannot post to Discord: SECRET_KEY is not set.")
    })?;
    let row = row(db, scope.guild_id())
        .await?
        .ok_or_else(|| AppError::invalid("Save a webhook URL first."))?;
    let url = out.secrets.open(&row.webhook_sealed).ok_or_else(|| {
        tracing::error!(guild = scope.guild_id(), "the audit mirror's webhook cannot be opened (was SECRET_KEY changed?)");
        AppError::invalid("The saved webhook URL can no longer be read (the server's SECRET_KEY changed). Paste it again.")
    })?;
    let body = json!({
        "embeds": [{
            "title": "Guildtrack test message",
            "description": format!(
                "The audit log of **{}** will be posted in this channel.",
                scope.name()
            ),
            "color": 0x5865F2,
        }],
        "allowed_mentions": { "parse": [] },
    });
    let said = out
        .sender
        .send(
            "POST",
            &format!("{url}?wait=true"),
            &body.to_string(),
            "audit mirror test",
        )
        .await;
    match said {
        Delivery::Sent => Ok("Sent: check the channel in Discord.".into()),
        Delivery::Gone => Err(AppError::invalid(
            "Discord says this webhook does not exist (it was deleted). Paste a new webhook URL.",
        )),
        Delivery::RateLimited { retry_after } => Err(AppError::invalid(format!(
            "Discord asked to wait {} s before posting again; try again then.",
            retry_after.ceil()
        ))),
        Delivery::Refused(code) => Err(AppError::invalid(format!(
            "Discord refused the message (HTTP {code}): check the webhook URL."
        ))),
        Delivery::Failed(why) => Err(AppError::invalid(format!("{why}; try again in a minute."))),
    }
}

fn stream(guild_id: i64) -> String {
    format!("audit:{guild_id}")
}

/// Whether an entry is a summary of a kind that can be posted: never a
/// per-item entry (those name a target).
pub(crate) fn may_post(e: &Entry) -> bool {
    e.target_id.is_none() && MIRROR_KINDS.iter().any(|(name, _)| *name == e.action)
}

/// A guild's mirror, when it is on: where and what it posts.
pub(crate) struct Active {
    sealed: String,
    kinds: Vec<String>,
    link_base: String,
}

impl Active {
    pub(crate) fn wants(&self, e: &Entry) -> bool {
        may_post(e) && self.kinds.contains(&e.action)
    }
}

/// The guild's mirror if it is on, read in the audit entry's transaction.
pub(crate) async fn active(tx: &mut Tx, guild_id: i64) -> Result<Option<Active>, AppError> {
    Ok(tx
        .fetch_optional::<Row>(&Sql::bound(
            format!("SELECT {COLUMNS} FROM audit_mirrors WHERE guild_id = $1 AND enabled = TRUE"),
            vec![Arg::Int(guild_id)],
        ))
        .await?
        .map(|r| Active {
            kinds: r.kinds(),
            sealed: r.webhook_sealed,
            link_base: r.link_base,
        }))
}

/// Queues the post of entry `id`, in the transaction that wrote it.
pub(crate) async fn queue(
    tx: &mut Tx,
    mirror: &Active,
    guild_id: i64,
    id: i64,
    at: DateTime<Utc>,
    e: &Entry,
) -> Result<(), AppError> {
    let body = post(tx, mirror, guild_id, id, at, e).await?;
    outbox::enqueue(tx, &message(mirror, guild_id, id, &e.action, body, at), at).await
}

/// The outbox message posting entry `id`, queued at `now`. The automatic
/// purge's waits for the purge to settle.
fn message(
    mirror: &Active,
    guild_id: i64,
    id: i64,
    action: &str,
    body: Value,
    now: DateTime<Utc>,
) -> Message {
    let not_before = if action == "auto_purge" {
        now + PURGE_SETTLES
    } else {
        now
    };
    Message {
        guild_id,
        stream: stream(guild_id),
        kind: Kind::Audit,
        method: "POST",
        target_sealed: mirror.sealed.clone(),
        audit_id: Some(id),
        body: body.to_string(),
        not_before,
        give_up_at: now + GIVE_UP_AFTER,
    }
}

/// Entry `id` was revised (a purge went one step further): its post, if
/// still waiting, says the new summary and waits again; if it went
/// already, the new summary is posted too.
pub(crate) async fn revised(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        guild_id: i64,
        actor_id: Option<i64>,
        action: String,
        summary: String,
        details: Option<String>,
        created_at: DateTime<Utc>,
    }
    let Some(s) = tx
        .fetch_optional::<Stored>(&Sql::bound(
            "SELECT guild_id, actor_id, action, summary, details, created_at FROM audit_log WHERE id = $1",
            vec![Arg::Int(id)],
        ))
        .await?
    else {
        return Ok(());
    };
    let Some(mirror) = active(tx, s.guild_id).await? else {
        return Ok(());
    };
    let entry = Entry {
        actor_id: s.actor_id,
        action: s.action,
        target_type: None,
        target_id: None,
        summary: s.summary,
        details: s.details,
        batch_id: None,
        item_count: None,
    };
    if !mirror.wants(&entry) {
        return Ok(());
    }
    let body = post(tx, &mirror, s.guild_id, id, s.created_at, &entry).await?;
    let msg = message(&mirror, s.guild_id, id, &entry.action, body, now);
    outbox::enqueue_latest(tx, &msg, now).await
}

/// The embed of one entry: action, count, member, reason, and a link to
/// the entry in Guildtrack.
async fn post(
    tx: &mut Tx,
    mirror: &Active,
    guild_id: i64,
    id: i64,
    at: DateTime<Utc>,
    e: &Entry,
) -> Result<Value, AppError> {
    #[derive(sqlx::FromRow)]
    struct Names {
        slug: String,
        name: String,
        actor: Option<String>,
    }
    let names = tx
        .fetch_optional::<Names>(&Sql::bound(
            "SELECT g.slug, g.name, (SELECT u.display_name FROM users u WHERE u.id = $2) AS actor \
             FROM guilds g WHERE g.id = $1",
            vec![Arg::Int(guild_id), Arg::OptInt(e.actor_id)],
        ))
        .await?
        .ok_or(AppError::Internal)?;
    let details: Value = e
        .details
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let count = e
        .item_count
        .or_else(|| details["rows"].as_i64())
        .or_else(|| details["succeeded"].as_i64());
    let label = AUDIT_ACTIONS
        .iter()
        .find(|(name, _)| *name == e.action)
        .map(|(_, label)| *label)
        .unwrap_or(e.action.as_str());
    let day = at.format("%Y-%m-%d");
    let link = format!(
        "{}/g/{}/settings/audit?action={}&from={day}&to={day}#audit-entry-{id}",
        mirror.link_base,
        crate::model::query::encode_component(&names.slug),
        e.action
    );
    let mut fields = vec![json!({
        "name": "Member",
        "value": clip(names.actor.as_deref().unwrap_or(if e.actor_id.is_some() { "A former member" } else { "Guildtrack (automatic)" }), FIELD_MAX),
        "inline": true,
    })];
    if let Some(n) = count {
        fields
            .push(json!({ "name": "Count", "value": crate::format::thousands(n), "inline": true }));
    }
    if let Some(reason) = details["reason"].as_str().filter(|r| !r.trim().is_empty()) {
        fields.push(json!({ "name": "Reason", "value": clip(reason, FIELD_MAX) }));
    }
    Ok(json!({
        "embeds": [{
            "title": clip(label, TITLE_MAX),
            "description": clip(&e.summary, DESCRIPTION_MAX),
            "url": link,
            "timestamp": at.to_rfc3339(),
            "color": color(&e.action),
            "fields": fields,
            "footer": { "text": clip(&format!("Guildtrack · {}", names.name), 2048) },
        }],
        "allowed_mentions": { "parse": [] },
    }))
}

/// Red for what removes data, blurple for the rest.
fn color(action: &str) -> u32 {
    match action {
        "delete" | "purge" | "auto_purge" => 0xED4245,
        _ => 0x5865F2,
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Discord said the webhook is gone (404): mirroring turns off, the
/// posts still waiting are given up, and the log says so for the admins.
pub async fn webhook_gone(db: &Db, guild_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    let reason = format!(
        "Discord said on {} that the webhook no longer exists (it was deleted in Discord). \
         Paste a new webhook URL to post again.",
        crate::format::datetime(now)
    );
    let mut tx = db.begin_write().await?;
    let turned_off = tx
        .execute(&Sql::bound(
            "UPDATE audit_mirrors SET enabled = FALSE, disabled_reason = $1, updated_at = $2 \
             WHERE guild_id = $3 AND enabled = TRUE",
            vec![Arg::Text(reason), Arg::Time(now), Arg::Int(guild_id)],
        ))
        .await?;
    tx.execute(&Sql::bound(
        "UPDATE discord_outbox SET status = 'failed', finished_at = $1, \
         error = 'Not sent: the webhook was deleted' WHERE stream = $2 AND status = 'pending'",
        vec![Arg::Time(now), Arg::Text(stream(guild_id))],
    ))
    .await?;
    if turned_off > 0 {
        audit::record_one(
            &mut tx,
            db.dialect(),
            guild_id,
            now,
            &Entry::said(
                None,
                "settings",
                "Stopped posting the audit log to Discord: Discord says its webhook was deleted"
                    .into(),
            ),
        )
        .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://discord.com/api/v10";

    #[test]
    fn only_a_discord_webhook_url_is_taken() {
        let good = "https://discord.com/api/webhooks/123456789012345678/AbC-d_9";
        assert_eq!(parse_webhook(good, API).unwrap(), good);
        assert!(parse_webhook(
            "http://127.0.0.1:1/api/v10/webhooks/1/x",
            "http://127.0.0.1:1/api/v10"
        )
        .is_ok());
        for bad in [
            "https://evil.example/api/webhooks/1/x",
            "https://discord.com.evil.example/api/webhooks/1/x",
            "https://discord.com/api/webhooks/1",
            "https://discord.com/api/webhooks/abc/x",
            "https://discord.com/api/webhooks/1/x/extra",
            "https://discord.com/api/webhooks/1/x?wait=true",
        ] {
            assert!(parse_webhook(bad, API).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hint_shows_the_id_and_only_the_end_of_the_token() {
        assert_eq!(
            hint("https://discord.com/api/webhooks/123/secrettokenq4Xz"),
            "…/webhooks/123/…q4Xz"
        );
    }

    #[test]
    fn long_text_is_cut_to_discords_limits() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
