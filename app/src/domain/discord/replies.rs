//! The `/exportdata` reply, kept up to date while its export runs: the SQL
//! of `discord_replies`, and the texts.
//!
//! The replies loop (`server::background`) looks at every followed reply
//! each second and queues an edit in the outbox when the text changed: at
//! once for the first and the last, otherwise at most every 5 seconds
//! (Discord's webhook limits are a few requests a second). An interaction
//! token works for 15 minutes, so at 14 the last edit says the export is
//! still going and where the file will appear.

use super::bot::Bot;
use super::interactions::edit_body;
use super::outbox::{self, Kind, Message};
use crate::domain::export::blob::Disposition;
use crate::domain::export::{jobs, share};
use crate::domain::{AppState, Arg, Sql};
use crate::error::AppError;
use crate::model::{ExportJob, JobStatus};
use chrono::{DateTime, Duration, Utc};

/// Progress edits of one reply are at least this far apart.
pub const PROGRESS_EVERY: Duration = Duration::seconds(5);
/// How long Discord lets a reply be edited.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// When the last edit goes out if the export is still running.
pub const LAST_EDIT_AFTER: Duration = Duration::minutes(14);
/// The first edit waits this long after the interaction arrived, so that
/// Discord has the deferred answer before it is asked to edit it.
const AFTER_ANSWER: Duration = Duration::seconds(1);

/// The interaction a reply belongs to.
#[derive(Debug, Clone)]
pub struct Reply {
    pub guild_id: i64,
    /// The guild's slug, for the link to its Exports page.
    pub slug: String,
    /// A credential: sealed before it is stored, never logged.
    pub token: String,
    pub received_at: DateTime<Utc>,
}

fn message(bot: &Bot, reply: &Reply, stream: String, text: &str) -> Message {
    Message {
        guild_id: reply.guild_id,
        stream,
        kind: Kind::Reply,
        method: "PATCH",
        target_sealed: bot
            .outbound
            .secrets
            .seal(&bot.original_reply_url(&reply.token)),
        audit_id: None,
        body: edit_body(text).to_string(),
        not_before: reply.received_at + AFTER_ANSWER,
        give_up_at: reply.received_at + TOKEN_LIFETIME,
    }
}

/// Edits the reply once, with `text` (the export did not start).
pub async fn say_once(
    state: &AppState,
    bot: &Bot,
    reply: &Reply,
    text: &str,
) -> Result<(), AppError> {
    let stream = format!(
        "reply:{}:{}",
        reply.guild_id,
        reply.received_at.timestamp_micros()
    );
    let mut tx = state.db.begin_write().await?;
    outbox::enqueue(
        &mut tx,
        &message(bot, reply, stream, text),
        state.clock.now(),
    )
    .await?;
    tx.commit().await
}

/// Follows export `job_id` with this reply until the export ends, and
/// queues the first edit.
pub async fn follow(
    state: &AppState,
    bot: &Bot,
    reply: &Reply,
    job_id: i64,
) -> Result<(), AppError> {
    state
        .db
        .execute(&Sql::bound(
            "INSERT INTO discord_replies (job_id, guild_id, token_sealed, received_at) \
             VALUES ($1, $2, $3, $4)",
            vec![
                Arg::Int(job_id),
                Arg::Int(reply.guild_id),
                Arg::Text(bot.outbound.secrets.seal(&reply.token)),
                Arg::Time(reply.received_at),
            ],
        ))
        .await?;
    let followed = Followed {
        job_id,
        guild_id: reply.guild_id,
        slug: reply.slug.clone(),
        token_sealed: String::new(),
        received_at: reply.received_at,
        last_text: None,
        last_at: None,
    };
    update(state, bot, &followed, Some(&reply.token))
        .await
        .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Followed {
    job_id: i64,
    guild_id: i64,
    slug: String,
    token_sealed: String,
    received_at: DateTime<Utc>,
    last_text: Option<String>,
    last_at: Option<DateTime<Utc>>,
}

/// One pass of the replies loop: queues the edits that are due. Returns
/// how many it queued.
pub async fn tick(state: &AppState, bot: &Bot) -> Result<usize, AppError> {
    let open = state
        .db
        .fetch_all::<Followed>(&Sql::new(
            "SELECT r.job_id, r.guild_id, g.slug, r.token_sealed, r.received_at, r.last_text, \
             r.last_at FROM discord_replies r JOIN guilds g ON g.id = r.guild_id \
             WHERE r.finished = FALSE ORDER BY r.job_id LIMIT 500",
        ))
        .await?;
    let mut queued = 0;
    for followed in &open {
        if update(state, bot, followed, None).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues an edit of one reply when one is due. Another server's loop may
/// look at the same reply at the same moment: the update only counts when
/// the reply still says what this one read, so the edit goes out once.
async fn update(
    state: &AppState,
    bot: &Bot,
    followed: &Followed,
    token: Option<&str>,
) -> Result<bool, AppError> {
    let db = &state.db;
    let now = state.clock.now();
    if now >= followed.received_at + TOKEN_LIFETIME {
        // The token has expired (this server was down at the 14-minute
        // mark): Discord would refuse any edit now.
        db.execute(&Sql::bound(
            "UPDATE discord_replies SET finished = TRUE WHERE job_id = $1",
            vec![Arg::Int(followed.job_id)],
        ))
        .await?;
        return Ok(false);
    }
    let (job, key) = jobs::get_unscoped(db, followed.job_id).await?;
    let (text, last) = compose(state, bot, &job, key.as_deref(), followed, now).await?;
    if !last {
        let unchanged = followed.last_text.as_deref() == Some(text.as_str());
        let too_soon = followed.last_at.is_some_and(|at| now - at < PROGRESS_EVERY);
        if unchanged || too_soon {
            return Ok(false);
        }
    }
    let token = match token {
        Some(t) => t.to_string(),
        None => match bot.outbound.secrets.open(&followed.token_sealed) {
            Some(t) => t,
            None => {
                tracing::error!(
                    job = followed.job_id,
                    "a reply's token cannot be opened (was SECRET_KEY changed?)"
                );
                db.execute(&Sql::bound(
                    "UPDATE discord_replies SET finished = TRUE WHERE job_id = $1",
                    vec![Arg::Int(followed.job_id)],
                ))
                .await?;
                return Ok(false);
            }
        },
    };
    let reply = Reply {
        guild_id: followed.guild_id,
        slug: followed.slug.clone(),
        token,
        received_at: followed.received_at,
    };
    let mut tx = db.begin_write().await?;
    let mine = tx
        .execute(&Sql::bound(
            format!(
                "UPDATE discord_replies SET last_text = $1, last_at = $2, finished = {} \
                 WHERE job_id = $3 AND finished = FALSE AND COALESCE(last_at, received_at) = $4",
                if last { "TRUE" } else { "FALSE" }
            ),
            vec![
                Arg::Text(text.clone()),
                Arg::Time(now),
                Arg::Int(followed.job_id),
                Arg::Time(followed.last_at.unwrap_or(followed.received_at)),
            ],
        ))
        .await?;
    if mine == 0 {
        return Ok(false);
    }
    let stream = format!("reply:{}", followed.job_id);
    outbox::enqueue_latest(&mut tx, &message(bot, &reply, stream, &text), now).await?;
    tx.commit().await?;
    Ok(true)
}

/// What the reply says about the export now, and whether that is its last
/// word.
async fn compose(
    state: &AppState,
    bot: &Bot,
    job: &ExportJob,
    key: Option<&str>,
    followed: &Followed,
    now: DateTime<Utc>,
) -> Result<(String, bool), AppError> {
    let page = bot.exports_page(&followed.slug);
    let name = format!("`{}`", job.filename.replace('`', "'"));
    Ok(match job.status {
        JobStatus::Done => {
            let size = crate::format::bytes(job.size_bytes.unwrap_or(0));
            let link = match key {
                Some(key) => Some(download_link(state, bot, job, key, now).await),
                None => None,
            };
            let text = match link {
                Some(link) => format!(
                    "{name} is ready: {}, {size}.\n[Download]({link}) (the link works for 15 minutes). \
                     It is also on the [Exports page]({page}).",
                    job.entity.count(job.processed)
                ),
                None => format!(
                    "{name} is ready: {}, {size}. Download it from the [Exports page]({page}).",
                    job.entity.count(job.processed)
                ),
            };
            (text, true)
        }
        JobStatus::Failed => (
            format!(
                "The export {name} failed: {}",
                job.error
                    .as_deref()
                    .unwrap_or("something went wrong on the server.")
            ),
            true,
        ),
        JobStatus::Cancelled => (
            format!("The export {name} was cancelled in Guildtrack."),
            true,
        ),
        JobStatus::Expired => (
            format!("The file {name} has expired; run /exportdata again for a fresh one."),
            true,
        ),
        JobStatus::Queued | JobStatus::Running if now - followed.received_at >= LAST_EDIT_AFTER => {
            (
                format!(
                    "Still working on {name}: {} Discord lets Guildtrack update this reply for 15 \
                 minutes only; the file will be on the [Exports page]({page}) when it is ready.",
                    job.progress_text()
                ),
                true,
            )
        }
        JobStatus::Queued | JobStatus::Running => {
            (format!("{} {name}", job.progress_text()), false)
        }
    })
}

/// A link that downloads the file without a session: presigned by S3, or
/// signed by this server.
async fn download_link(
    state: &AppState,
    bot: &Bot,
    job: &ExportJob,
    key: &str,
    now: DateTime<Utc>,
) -> String {
    let how = Disposition {
        filename: &job.filename,
        content_type: job.format.content_type(),
    };
    let lifetime = share::LIFETIME.to_std().expect("a positive lifetime");
    match state.exports.blobs.share_link(key, how, lifetime).await {
        Ok(Some(url)) => url,
        Ok(None) => bot.links.link(job.id, now),
        Err(e) => {
            // The signed link works with any store: the route fetches the
            // file (or a fresh presigned URL) when it is opened.
            tracing::warn!(job = job.id, "could not presign a shared link: {e}");
            bot.links.link(job.id, now)
        }
    }
}

/// Removes replies older than a day: their tokens expired long ago.
pub async fn prune(db: &crate::domain::Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    db.execute(&Sql::bound(
        "DELETE FROM discord_replies WHERE received_at < $1",
        vec![Arg::Time(now - Duration::days(1))],
    ))
    .await
}
