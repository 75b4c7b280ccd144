//! `POST /g/{guild}/imports?name={file name}`: an admin's upload of an
//! export to import. The body is the file itself (what `fetch(url, { body:
//! file })` sends), streamed to a work file while it is counted, so a file
//! over `IMPORT_MAX_BYTES` is refused as soon as it gets there, and memory
//! holds one chunk at a time. The import is then checked in the background
//! (`app::domain::import`); the answer is the new import, as JSON.
//!
//! Behind the session and same-origin guards, like every browser route: a
//! page on another site cannot post a file here with the member's cookie.

use crate::router::ServerState;
use app::domain::import::run;
use app::domain::GuildScope;
use app::error::AppError;
use app::model::SessionUser;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

#[derive(Deserialize)]
pub struct Named {
    name: Option<String>,
}

/// An error answer: `{"error": sentence}` with the outcome's status.
fn refuse(status: StatusCode, sentence: impl Into<String>) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": sentence.into() })),
    )
        .into_response()
}

fn from_app(e: AppError) -> Response {
    refuse(e.status_code(), e.to_string())
}

/// The name to show for the file: its last path part, printable, at most
/// 200 characters.
fn file_name(given: Option<String>) -> String {
    let name: String = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.trim().is_empty() {
        "upload".into()
    } else {
        name
    }
}

fn too_large(max: u64) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The file is larger than this server imports ({}). Nothing was imported; \
             split the export (by platform, say) or ask the operator to raise IMPORT_MAX_BYTES.",
            human_bytes(max)
        ),
    )
}

fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else {
        format!("{n} bytes")
    }
}

pub async fn upload(
    State(state): State<ServerState>,
    Path(guild): Path<String>,
    Query(named): Query<Named>,
    req: Request,
) -> Response {
    let Some(user) = req.extensions().get::<SessionUser>().cloned() else {
        return from_app(AppError::Unauthorized);
    };
    let app = &state.app;
    let scope = match GuildScope::for_member(&app.db, &user, &guild).await {
        Ok(s) => s,
        Err(e) => return from_app(e),
    };
    if let Err(e) = scope.require(app::model::Role::Admin, "import data into the guild") {
        return from_app(e);
    }
    let max = state.config.exports.import_max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return too_large(max);
    }
    let dir = app.exports.work_dir.join("tmp");
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!("creating {}: {e}", dir.display());
        return from_app(AppError::Internal);
    }
    let work = dir.join(format!(
        "upload-{}-{}.part",
        app.clock.now().timestamp_nanos_opt().unwrap_or(0),
        app.instance.id()
    ));
    let received = receive(req, &work, max).await;
    let size = match received {
        Ok(size) => size,
        Err(response) => {
            tokio::fs::remove_file(&work).await.ok();
            return response;
        }
    };
    if size == 0 {
        tokio::fs::remove_file(&work).await.ok();
        return refuse(StatusCode::BAD_REQUEST, "The file is empty.");
    }
    let answer = run::accept(app, &scope, &file_name(named.name), &work, size).await;
    // Stored (the local store moves the file, S3 removes it) or refused.
    tokio::fs::remove_file(&work).await.ok();
    match answer {
        Ok(job) => {
            let (app, id) = (app.clone(), job.id);
            tokio::spawn(async move {
                let ended = run::check(&app, &scope, id).await;
                tracing::info!(job = id, ?ended, "import check ended");
            });
            (StatusCode::CREATED, Json(job)).into_response()
        }
        Err(e) => from_app(e),
    }
}

/// Streams the body to `path`, refusing it past `max` bytes.
async fn receive(req: Request, path: &std::path::Path, max: u64) -> Result<u64, Response> {
    let failed = |e: std::io::Error| {
        tracing::error!("writing an upload to {}: {e}", path.display());
        from_app(AppError::Failed(
            "The upload could not be saved on the server; nothing was imported. Try again.".into(),
        ))
    };
    let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
    let mut body = req.into_body().into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!("an upload stopped: {e}");
            refuse(
                StatusCode::BAD_REQUEST,
                "The upload stopped before the whole file arrived; nothing was imported.",
            )
        })?;
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large(max));
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_keeps_its_last_part_only() {
        assert_eq!(file_name(Some("../../etc/passwd".into())), "passwd");
        assert_eq!(
            file_name(Some("C:\\exports\\posts.json".into())),
            "posts.json"
        );
        assert_eq!(file_name(None), "upload");
        assert_eq!(file_name(Some("a\u{0}b.csv".into())), "ab.csv");
    }

    #[test]
    fn sizes_are_said_as_people_read_them() {
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(human_bytes(3 << 19), "1.5 MiB");
        assert_eq!(human_bytes(500), "500 bytes");
    }
}
