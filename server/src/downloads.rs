//! `GET /g/{guild}/exports/{id}/download`: the same membership check as the
//! data, then the file: streamed from the local store, or a redirect to a
//! presigned S3 URL minted now (valid 5 minutes).

use crate::router::ServerState;
use app::domain::export::blob::{Disposition, Fetched};
use app::domain::export::service::{self, Download};
use app::domain::GuildScope;
use app::error::AppError;
use app::model::{ExportJob, SessionUser};
use axum::body::Body;
use axum::extract::{Path, Request, State};
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
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Guildtrack</title>{css}</head>\
         <body><main class=\"standalone\"><h1>{t}</h1><p>{x}</p>\
         <p><a href=\"/g/{g}/exports\">Back to exports</a></p></main></body></html>",
        t = esc(title),
        x = esc(text),
        g = esc(guild),
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
    let retention = state.config.exports.retention_days;
    let (key, job) = match result {
        Ok(Download::Ready { key, job }) => (key, job),
        Ok(Download::Expired(job)) => {
            return page(
                &state,
                StatusCode::GONE,
                &guild,
                "This export has expired",
                &expired_text(&job, retention),
            )
        }
        Ok(Download::NotReady(job)) => {
            return page(
                &state,
                StatusCode::CONFLICT,
                &guild,
                "This export has no file",
                &format!("“{}”: {}", job.filename, job.progress_text()),
            )
        }
        Err(e) => {
            return page(
                &state,
                e.status_code(),
                &guild,
                "Cannot download this export",
                &e.to_string(),
            )
        }
    };
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
                &state,
                StatusCode::GONE,
                &guild,
                "This export has expired",
                &expired_text(&job, retention),
            )
        }
        Err(e) => {
            tracing::error!(job = id, "export download failed: {e}");
            page(
                &state,
                AppError::Internal.status_code(),
                &guild,
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
