//! Where finished export files live: a local directory by default, S3 when
//! a bucket is configured (the server crate implements that one).
//!
//! Keys are `{guild_id}/{job_id}.{ext}`, never the user's file name, so a
//! name cannot reach outside the store or collide with another export.

use futures::future::BoxFuture;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no such file in the export store")]
    NotFound,
    /// The store failed; the text is logged, never shown as is.
    #[error("{0}")]
    Failed(String),
}

/// How a download is served.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// A local file, streamed through the auth-checked route.
    File(PathBuf),
    /// A short-lived presigned URL to redirect to.
    Redirect(String),
}

/// How the browser should save the file, for stores that set headers
/// themselves (S3 presigned URLs).
pub struct Disposition<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
}

pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// "local directory data/exports" or "S3 bucket …", for the logs.
    fn describe(&self) -> String;

    /// Stores the finished file at `key` and returns its size. The file at
    /// `path` is the store's to move or delete afterwards. Either the whole
    /// file is stored or nothing is.
    fn put<'a>(&'a self, key: &'a str, path: &'a Path) -> BoxFuture<'a, Result<u64, BlobError>>;

    /// How to serve `key` to a member who just clicked Download.
    fn fetch<'a>(
        &'a self,
        key: &'a str,
        how: Disposition<'a>,
    ) -> BoxFuture<'a, Result<Fetched, BlobError>>;

    /// A link that fetches `key` without Guildtrack for `lifetime` (an S3
    /// presigned URL), for a member outside the browser (a Discord reply).
    /// `None` when the store has no such links, and the server serves the
    /// file itself behind a signed link (`export::share`).
    fn share_link<'a>(
        &'a self,
        key: &'a str,
        how: Disposition<'a>,
        lifetime: std::time::Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BlobError>>;

    /// Removes `key`; a missing key is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>>;

    /// A local file holding `key`, to read it back (an uploaded import):
    /// the stored file itself when the store is a directory, otherwise a
    /// copy downloaded to `scratch`, the caller's to remove.
    fn local_copy<'a>(
        &'a self,
        key: &'a str,
        scratch: &'a Path,
    ) -> BoxFuture<'a, Result<PathBuf, BlobError>>;
}

/// Files under one directory (`EXPORT_DIR`, default `data/exports`).
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, BlobError> {
        // Keys are ours, but refuse anything that could climb out anyway.
        if key
            .split('/')
            .any(|part| part.is_empty() || part == ".." || part == ".")
        {
            return Err(BlobError::Failed(format!("bad blob key {key:?}")));
        }
        Ok(self.root.join(key))
    }
}

impl BlobStore for LocalStore {
    fn describe(&self) -> String {
        format!("local directory {}", self.root.display())
    }

    fn put<'a>(&'a self, key: &'a str, path: &'a Path) -> BoxFuture<'a, Result<u64, BlobError>> {
        Box::pin(async move {
            let dest = self.path_of(key)?;
            let fail = |e: std::io::Error| BlobError::Failed(format!("{}: {e}", dest.display()));
            if let Some(dir) = dest.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(fail)?;
            }
            let size = tokio::fs::metadata(path).await.map_err(fail)?.len();
            // Same file system as the temp dir (both under EXPORT_DIR): an
            // atomic rename, so a reader never sees half a file.
            if tokio::fs::rename(path, &dest).await.is_err() {
                let part = dest.with_extension("part");
                tokio::fs::copy(path, &part).await.map_err(fail)?;
                tokio::fs::rename(&part, &dest).await.map_err(fail)?;
                tokio::fs::remove_file(path).await.ok();
            }
            Ok(size)
        })
    }

    fn fetch<'a>(
        &'a self,
        key: &'a str,
        _how: Disposition<'a>,
    ) -> BoxFuture<'a, Result<Fetched, BlobError>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            match tokio::fs::metadata(&path).await {
                Ok(_) => Ok(Fetched::File(path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound),
                Err(e) => Err(BlobError::Failed(format!("{}: {e}", path.display()))),
            }
        })
    }

    fn share_link<'a>(
        &'a self,
        _key: &'a str,
        _how: Disposition<'a>,
        _lifetime: std::time::Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BlobError>> {
        Box::pin(async { Ok(None) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(BlobError::Failed(format!("{}: {e}", path.display()))),
            }
        })
    }

    fn local_copy<'a>(
        &'a self,
        key: &'a str,
        _scratch: &'a Path,
    ) -> BoxFuture<'a, Result<PathBuf, BlobError>> {
        Box::pin(async move {
            match self
                .fetch(
                    key,
                    Disposition {
                        filename: "",
                        content_type: "",
                    },
                )
                .await?
            {
                Fetched::File(path) => Ok(path),
                Fetched::Redirect(_) => unreachable!("a local store serves files"),
            }
        })
    }
}
