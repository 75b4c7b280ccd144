//! The S3 export store (aws-sdk-s3), used when `EXPORT_S3_BUCKET` is set.
//! Works with AWS and with S3-compatible servers (custom endpoint,
//! path-style addressing).

use crate::config::S3Config;
use crate::downloads::content_disposition;
use app::domain::export::blob::{BlobError, BlobStore, Disposition, Fetched};
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use futures::future::BoxFuture;
use std::path::Path;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncReadExt;

/// Files above this go up in parts of this size (S3's minimum part is
/// 5 MiB); smaller ones in one PUT.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Presigned download links live this long; they are minted per click.
pub const LINK_LIFETIME: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    /// [`PART_SIZE`], except in tests that need many parts from a small file.
    part_size: usize,
}

fn failed(what: &str, e: impl std::fmt::Debug) -> BlobError {
    BlobError::Failed(format!("S3 {what}: {e:?}"))
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            prefix: prefix.into(),
            part_size: PART_SIZE,
        }
    }

    /// Uploads in parts of `bytes` (tests: several parts from a small
    /// file; S3 itself wants 5 MiB or more for all parts but the last).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// A client from the environment's AWS settings (credentials chain,
    /// profile, region) plus ours.
    pub async fn from_config(cfg: &S3Config) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = &cfg.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &cfg.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let mut conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(cfg.force_path_style)
            // S3-compatible servers do not all accept the newer default
            // checksums; the upload is verified by its ETag/MD5 anyway.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
        if shared.region().is_none() {
            conf = conf.region(Region::new("us-east-1"));
        }
        Self::new(Client::from_conf(conf.build()), &cfg.bucket, &cfg.prefix)
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn upload(&self, key: &str, path: &Path) -> Result<u64, BlobError> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| failed("read file", e))?
            .len();
        if size as usize <= self.part_size {
            let body = ByteStream::from_path(path)
                .await
                .map_err(|e| failed("read file", e))?;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(body)
                .send()
                .await
                .map_err(|e| failed("PutObject", e))?;
            return Ok(size);
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failed("CreateMultipartUpload", e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| failed("CreateMultipartUpload", "no upload id"))?
            .to_string();
        match self.upload_parts(key, &upload_id, path).await {
            Ok(()) => Ok(size),
            Err(e) => {
                // No partial object is ever left to be offered, and the
                // parts already sent are not left to be billed for.
                if let Err(abort) = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await
                {
                    tracing::warn!(key, error = ?abort, "could not abort a failed multipart upload");
                }
                Err(e)
            }
        }
    }

    async fn upload_parts(&self, key: &str, upload_id: &str, path: &Path) -> Result<(), BlobError> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| failed("read file", e))?;
        let mut parts = Vec::new();
        for number in 1.. {
            let mut buf = Vec::with_capacity(self.part_size);
            (&mut file)
                .take(self.part_size as u64)
                .read_to_end(&mut buf)
                .await
                .map_err(|e| failed("read file", e))?;
            if buf.is_empty() {
                break;
            }
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(buf))
                .send()
                .await
                .map_err(|e| failed("UploadPart", e))?;
            parts.push(
                CompletedPart::builder()
                    .set_e_tag(part.e_tag().map(str::to_string))
                    .part_number(number)
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| failed("CompleteMultipartUpload", e))?;
        Ok(())
    }

    /// A presigned GET valid from `start` for [`LINK_LIFETIME`]; tests pass
    /// a start in the past to see a link expire without waiting.
    pub async fn presign(
        &self,
        key: &str,
        how: &Disposition<'_>,
        start: SystemTime,
    ) -> Result<String, BlobError> {
        self.presign_for(key, how, start, LINK_LIFETIME).await
    }

    async fn presign_for(
        &self,
        key: &str,
        how: &Disposition<'_>,
        start: SystemTime,
        lifetime: Duration,
    ) -> Result<String, BlobError> {
        let cfg = PresigningConfig::builder()
            .start_time(start)
            .expires_in(lifetime)
            .build()
            .map_err(|e| failed("presign", e))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .response_content_disposition(content_disposition(how.filename))
            .response_content_type(how.content_type)
            .presigned(cfg)
            .await
            .map_err(|e| failed("presign", e))?;
        Ok(req.uri().to_string())
    }
}

impl BlobStore for S3Store {
    fn describe(&self) -> String {
        format!("S3 bucket {} (prefix “{}”)", self.bucket, self.prefix)
    }

    fn put<'a>(&'a self, key: &'a str, path: &'a Path) -> BoxFuture<'a, Result<u64, BlobError>> {
        Box::pin(async move {
            let result = self.upload(&self.full_key(key), path).await;
            tokio::fs::remove_file(path).await.ok();
            result
        })
    }

    fn fetch<'a>(
        &'a self,
        key: &'a str,
        how: Disposition<'a>,
    ) -> BoxFuture<'a, Result<Fetched, BlobError>> {
        Box::pin(async move {
            self.client
                .head_object()
                .bucket(&self.bucket)
                .key(self.full_key(key))
                .send()
                .await
                .map_err(|e| match e.as_service_error() {
                    Some(s) if s.is_not_found() => BlobError::NotFound,
                    _ => failed("HeadObject", e),
                })?;
            Ok(Fetched::Redirect(
                self.presign(key, &how, SystemTime::now()).await?,
            ))
        })
    }

    fn share_link<'a>(
        &'a self,
        key: &'a str,
        how: Disposition<'a>,
        lifetime: Duration,
    ) -> BoxFuture<'a, Result<Option<String>, BlobError>> {
        Box::pin(async move {
            self.presign_for(key, &how, SystemTime::now(), lifetime)
                .await
                .map(Some)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(self.full_key(key))
                .send()
                .await
                .map_err(|e| failed("DeleteObject", e))?;
            Ok(())
        })
    }

    fn local_copy<'a>(
        &'a self,
        key: &'a str,
        scratch: &'a Path,
    ) -> BoxFuture<'a, Result<std::path::PathBuf, BlobError>> {
        Box::pin(async move {
            let object = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(self.full_key(key))
                .send()
                .await
                .map_err(|e| match e.as_service_error() {
                    Some(s) if s.is_no_such_key() => BlobError::NotFound,
                    _ => failed("GetObject", e),
                })?;
            let io = |e: std::io::Error| BlobError::Failed(format!("{}: {e}", scratch.display()));
            let mut body = object.body.into_async_read();
            let mut file = tokio::fs::File::create(scratch).await.map_err(io)?;
            tokio::io::copy(&mut body, &mut file).await.map_err(io)?;
            tokio::io::AsyncWriteExt::flush(&mut file)
                .await
                .map_err(io)?;
            Ok(scratch.to_path_buf())
        })
    }
}
