//! `GET /g/{guild}/exports/{id}/download`: the same membership check as the
//! data, then the file: streamed from the local store, or a redirect to a
//! presigned S3 URL minted now (valid 5 minutes).
//!
//! `GET /exports/shared/{id}?expires=…&sig=…`: the same file for a signed,
//! expiring link (`export::share`), the download link of an `/exportdata`
//! reply in Discord. It needs no session: the signature is the right to it.

use crate::router::ServerState;
use app::domain::export::blob::{Disposition, Fetched};
use app::domain::export::service::{self, Download};
use app::domain::export::share::LinkRefused;
use app::domain::GuildScope;
use app::error::AppError;
use app::model::{ExportJob, SessionUser};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 / RFC 8187):
/// an ASCII fallback for old clients, the exact UTF-8 name for the rest.
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => encoded.push(b as char),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A small page for the cases where there is no file to give.
fn page(state: &ServerState, status: StatusCode, guild: &str, title: &str, text: &str) -> Response {
    // A shared link names no guild: its page offers no way back.
    let back = if guild.is_empty() {
        String::new()
    } else {
        format!(
            "<p><a href=\"/g/{}/exports\">Back to exports</a></p>",
            escape(guild)
        )
    };
    page_with(state, status, title, text, &back)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page_with(
    state: &ServerState,
    status: StatusCode,
    title: &str,
    text: &str,
    back: &str,
) -> Response {
    let esc = escape;
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Guildtrack</title>{css}</head>\
         <body><main class=\"standalone\"><h1>{t}</h1><p>{x}</p>{back}</main></body></html>",
        t = esc(title),
        x = esc(text),
        css = crate::assets::stylesheet_link(&state.leptos_options),
    );
    (status, Html(body)).into_response()
}

fn expired_text(job: &ExportJob, retention_days: i64) -> String {
    let when = job
        .expires_at
        .map(|t| format!(" on {}", app::format::datetime(t)))
        .unwrap_or_default();
    format!(
        "“{}” expired{when}: export files are kept for {retention_days} days. \
         Export again to get a fresh file.",
        job.filename
    )
}

pub async fn download(
    State(state): State<ServerState>,
    Path((guild, id)): Path<(String, i64)>,
    req: Request,
) -> Response {
    let Some(user) = req.extensions().get::<SessionUser>().cloned() else {
        return page(
            &state,
            StatusCode::UNAUTHORIZED,
            &guild,
            "Please sign in",
            "Sign in to download exports.",
        );
    };
    let app = &state.app;
    let result = async {
        let scope = GuildScope::for_member(&app.db, &user, &guild).await?;
        service::download(app, &scope, id).await
    }
    .await;
    respond(&state, &guild, id, result, req).await
}

/// The file of a download the caller may have, or the page that says why
/// there is none. `guild` is empty for a shared link, which names none.
async fn respond(
    state: &ServerState,
    guild: &str,
    id: i64,
    result: Result<Download, AppError>,
    req: Request,
) -> Response {
    let retention = state.config.exports.retention_days;
    match result {
        Ok(Download::Ready { key, job }) => serve(state, guild, id, key, &job, req).await,
        Ok(Download::Expired(job)) => page(
            state,
            StatusCode::GONE,
            guild,
            "This export has expired",
            &expired_text(&job, retention),
        ),
        Ok(Download::NotReady(job)) => page(
            state,
            StatusCode::CONFLICT,
            guild,
            "This export has no file",
            &format!("“{}”: {}", job.filename, job.progress_text()),
        ),
        Err(e) => page(
            state,
            e.status_code(),
            guild,
            "Cannot download this export",
            &e.to_string(),
        ),
    }
}

#[derive(serde::Deserialize)]
pub struct SharedLink {
    #[serde(default)]
    expires: i64,
    #[serde(default)]
    sig: String,
}

/// A signed link from an `/exportdata` reply: no session, the signature
/// and its expiry are the right to the file.
pub async fn shared(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    Query(link): Query<SharedLink>,
    req: Request,
) -> Response {
    let app = &state.app;
    let refused = |status, title: &str, text: &str| page(&state, status, "", title, text);
    let Some(bot) = app.bot.as_ref() else {
        return refused(
            StatusCode::NOT_FOUND,
            "No such link",
            "This server does not share export links.",
        );
    };
    match bot
        .links
        .check(id, link.expires, &link.sig, app.clock.now())
    {
        Ok(()) => {}
        Err(LinkRefused::Forged) => {
            return refused(
                StatusCode::FORBIDDEN,
                "This link is not valid",
                "The link is incomplete or was changed. Copy it again from the Discord reply, \
                 or download the file from the guild's Exports page.",
            )
        }
        Err(LinkRefused::Expired) => {
            return refused(
                StatusCode::GONE,
                "This link has expired",
                "Download links from Discord work for 15 minutes. Run /exportdata again, \
                 or download the file from the guild's Exports page.",
            )
        }
    }
    let found = service::shared_download(app, id).await;
    respond(&state, "", id, found, req).await
}

/// Sends a stored export: the file itself, or a redirect to S3.
async fn serve(
    state: &ServerState,
    guild: &str,
    id: i64,
    key: String,
    job: &ExportJob,
    req: Request,
) -> Response {
    let app = &state.app;
    let retention = state.config.exports.retention_days;
    let how = Disposition {
        filename: &job.filename,
        content_type: job.format.content_type(),
    };
    match app.exports.blobs.fetch(&key, how).await {
        Ok(Fetched::Redirect(url)) => Redirect::to(&url).into_response(),
        Ok(Fetched::File(path)) => {
            let mut res = match ServeFile::new(path).oneshot(req).await {
                Ok(res) => res.map(Body::new),
                Err(e) => match e {},
            };
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(job.format.content_type()),
            );
            if let Ok(v) = HeaderValue::from_str(&content_disposition(&job.filename)) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            res
        }
        Err(app::domain::export::BlobError::NotFound) => {
            tracing::error!(job = id, key, "export file missing from the store");
            page(
                state,
                StatusCode::GONE,
                guild,
                "This export has expired",
                &expired_text(job, retention),
            )
        }
        Err(e) => {
            tracing::error!(job = id, "export download failed: {e}");
            page(
                state,
                AppError::Internal.status_code(),
                guild,
                "Cannot download this export",
                "The export storage is not answering. Try again in a minute.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_has_an_ascii_fallback_and_the_exact_utf8_name() {
        assert_eq!(
            content_disposition("sonuhaempire-posts-2026-02-07.csv"),
            "attachment; filename=\"sonuhaempire-posts-2026-02-07.csv\"; \
             filename*=UTF-8''sonuhaempire-posts-2026-02-07.csv"
        );
        assert_eq!(
            content_disposition("Отчёт \"q1\".csv"),
            "attachment; filename=\"_____ _q1_.csv\"; \
             filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82%20%22q1%22.csv"
        );
    }
}
