//! The S3 export store against a real S3-compatible server on loopback
//! (s3s-fs, in process): single and multipart uploads, presigned downloads
//! that work and then expire, and an export whose storage fails.

use app::domain::export::blob::{BlobStore, Disposition, Fetched};
use app::domain::export::service::{self, Download};
use app::domain::test_support::{Fixture, TempDir, TestDb};
use app::error::AppError;
use app::model::{Entity, ExportFormat, ExportRequest, ExportScope, ExportStarted, JobStatus};
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
use hyper_util::rt::{TokioExecutor, TokioIo};
use server::s3_store::{S3Store, PART_SIZE};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const KEY_ID: &str = "guildtrack-test";
const SECRET: &str = "guildtrack-test-secret";

/// An S3 server on 127.0.0.1:<free port>, storing under a temp dir.
struct S3Server {
    endpoint: String,
    /// Every request it received: method and query, in order.
    seen: Arc<Mutex<Vec<String>>>,
    _root: TempDir,
}

impl S3Server {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// How the server treats the requests it receives.
#[derive(Clone, Copy, PartialEq)]
enum Faults {
    None,
    /// The connection drops, with no answer, whenever part 2 of a
    /// multipart upload arrives (a network failure mid-upload).
    DropPartTwo,
}

async fn s3_server() -> S3Server {
    s3_server_with(Faults::None).await
}

async fn s3_server_with(faults: Faults) -> S3Server {
    let root = TempDir::new("s3");
    let fs = s3s_fs::FileSystem::new(&root.0).expect("s3s-fs root");
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let (service, log) = (service.clone(), log.clone());
            let wrapped = hyper::service::service_fn(move |req| {
                answer(service.clone(), log.clone(), faults, req)
            });
            let conn = http
                .serve_connection(TokioIo::new(socket), wrapped)
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    S3Server {
        endpoint,
        seen,
        _root: root,
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Notes the request, then answers it as S3 would, unless `faults` says to
/// drop it.
async fn answer(
    service: s3s::service::S3Service,
    log: Arc<Mutex<Vec<String>>>,
    faults: Faults,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<s3s::HttpResponse, BoxError> {
    let query = req.uri().query().unwrap_or("").to_string();
    log.lock()
        .unwrap()
        .push(format!("{} {query}", req.method()));
    let part_two = query.split('&').any(|p| p == "partNumber=2");
    if faults == Faults::DropPartTwo && part_two {
        // An error from the service makes hyper close the connection
        // without answering.
        return Err("connection dropped on part 2".into());
    }
    Ok(service.call(req.map(s3s::Body::from)).await?)
}

fn client(endpoint: &str) -> aws_sdk_s3::Client {
    client_with_secret(endpoint, SECRET)
}

fn client_with_secret(endpoint: &str, secret: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(KEY_ID, secret, None, None, "test"))
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn store_with_bucket(server: &S3Server, bucket: &str) -> S3Store {
    let c = client(&server.endpoint);
    c.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    S3Store::new(c, bucket, "exports/")
}

fn how(name: &str) -> Disposition<'_> {
    Disposition {
        filename: name,
        content_type: "text/csv; charset=utf-8",
    }
}

async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = reqwest::get(url).await.expect("GET presigned url");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_small_file_is_stored_and_served_by_a_presigned_link() {
    let server = s3_server().await;
    let store = store_with_bucket(&server, "small").await;
    let dir = TempDir::new("s3-small");
    let path = dir.0.join("x.part");
    std::fs::write(&path, "\u{feff}ID,Caption\r\n1,héllo\r\n").unwrap();

    let size = store.put("7/42.csv", &path).await.unwrap();
    assert_eq!(size, 25);
    assert!(!path.exists(), "the work file is the store's to remove");

    let Fetched::Redirect(url) = store.fetch("7/42.csv", how("Отчёт.csv")).await.unwrap()
    else {
        panic!("S3 serves through a redirect")
    };
    assert!(url.contains("/small/exports/7/42.csv?"), "{url}");
    assert!(
        url.contains("X-Amz-Expires=300"),
        "five minutes at most: {url}"
    );
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, 200);
    assert_eq!(body, "\u{feff}ID,Caption\r\n1,héllo\r\n".as_bytes());
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"_____.csv\"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.csv"
    );

    store.delete("7/42.csv").await.unwrap();
    assert!(matches!(
        store.fetch("7/42.csv", how("x.csv")).await,
        Err(app::domain::export::BlobError::NotFound)
    ));
}

#[tokio::test]
async fn a_large_file_goes_up_in_parts() {
    let server = s3_server().await;
    let store = store_with_bucket(&server, "large").await;
    let dir = TempDir::new("s3-large");
    let path = dir.0.join("big.part");
    // Two full parts and a short one, with content that tells parts apart.
    let len = PART_SIZE * 2 + 12_345;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();

    assert_eq!(store.put("1/9.xlsx", &path).await.unwrap(), len as u64);

    let head = client(&server.endpoint)
        .head_object()
        .bucket("large")
        .key("exports/1/9.xlsx")
        .send()
        .await
        .unwrap();
    assert!(
        head.e_tag().unwrap().contains("-3"),
        "a 3-part multipart ETag: {:?}",
        head.e_tag()
    );
    let Fetched::Redirect(url) = store.fetch("1/9.xlsx", how("big.xlsx")).await.unwrap() else {
        panic!()
    };
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 200);
    assert!(
        body == data,
        "downloaded bytes differ from the uploaded file"
    );
}

#[tokio::test]
async fn a_presigned_link_stops_working_after_five_minutes() {
    let server = s3_server().await;
    let store = store_with_bucket(&server, "expiry").await;
    let dir = TempDir::new("s3-expiry");
    let path = dir.0.join("x.part");
    std::fs::write(&path, "data").unwrap();
    store.put("1/1.csv", &path).await.unwrap();

    let fresh = store
        .presign("1/1.csv", &how("x.csv"), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(get(&fresh).await.0, 200);
    let minted_6_min_ago = SystemTime::now() - Duration::from_secs(6 * 60);
    let stale = store
        .presign("1/1.csv", &how("x.csv"), minted_6_min_ago)
        .await
        .unwrap();
    let (status, _, body) = get(&stale).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("expired"));
}

#[tokio::test]
async fn a_link_shared_in_discord_is_presigned_for_fifteen_minutes() {
    let server = s3_server().await;
    let store = store_with_bucket(&server, "shared").await;
    let dir = TempDir::new("s3-shared");
    let path = dir.0.join("x.part");
    std::fs::write(&path, "data").unwrap();
    store.put("1/1.csv", &path).await.unwrap();

    let link = store
        .share_link("1/1.csv", how("x.csv"), Duration::from_secs(15 * 60))
        .await
        .unwrap()
        .expect("S3 makes its own links");

    assert!(link.contains("X-Amz-Expires=900"), "{link}");
    let (status, _, body) = get(&link).await;
    assert_eq!((status, body), (200, b"data".to_vec()));
}

fn request() -> ExportRequest {
    ExportRequest {
        entity: Entity::Posts,
        format: ExportFormat::Csv,
        scope: ExportScope::All,
        filename: String::new(),
        confirm: None,
    }
}

#[tokio::test]
async fn an_export_stored_in_s3_downloads_through_a_presigned_link() {
    let server = s3_server().await;
    let t = TestDb::sqlite().await;
    let mut fx = Fixture::new(t.db.clone()).await;
    fx.state.exports.blobs = Arc::new(store_with_bucket(&server, "guildtrack").await);
    let scope = fx.scope(&fx.viewer, "alpha").await;

    let ExportStarted::Ready(job) = service::start(&fx.state, &scope, request()).await.unwrap()
    else {
        panic!()
    };
    let Download::Ready { key, job } = service::download(&fx.state, &scope, job.id).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(key, format!("{}/{}.csv", scope.guild_id(), job.id));
    let Fetched::Redirect(url) = fx
        .state
        .exports
        .blobs
        .fetch(&key, how(&job.filename))
        .await
        .unwrap()
    else {
        panic!()
    };
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"\xEF\xBB\xBFID,Account"));
    assert_eq!(
        String::from_utf8_lossy(&body).matches("\r\n").count() as i64,
        job.processed + 1 + embedded_crlf(&body)
    );
}

/// CRLFs inside quoted captions (the seed has some).
fn embedded_crlf(body: &[u8]) -> i64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|f| f.matches("\r\n").count() as i64)
                .sum::<i64>()
        })
        .sum()
}

#[tokio::test]
async fn when_s3_fails_the_export_fails_clearly_and_offers_no_file() {
    let server = s3_server().await;
    let t = TestDb::sqlite().await;
    let mut fx = Fixture::new(t.db.clone()).await;
    // Credentials the server refuses: every upload fails.
    store_with_bucket(&server, "guildtrack").await;
    let refused = client_with_secret(&server.endpoint, "not-the-secret");
    fx.state.exports.blobs = Arc::new(S3Store::new(refused, "guildtrack", ""));
    let scope = fx.scope(&fx.viewer, "alpha").await;

    let err = service::start(&fx.state, &scope, request())
        .await
        .unwrap_err();
    // Our storage failed, not the member's input: a 500 that says so.
    assert_eq!(
        err.status_code(),
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    );
    let AppError::Failed(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("could not be stored"), "{message}");

    let history = app::domain::export::jobs::list(fx.db(), &scope, 5)
        .await
        .unwrap();
    assert_eq!(history[0].status, JobStatus::Failed);
    assert!(matches!(
        service::download(&fx.state, &scope, history[0].id)
            .await
            .unwrap(),
        Download::NotReady(_)
    ));
    let leftovers: Vec<_> = std::fs::read_dir(fx.export_dir.0.join("tmp"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "work files removed: {leftovers:?}");
}

#[tokio::test]
async fn a_connection_dropped_mid_upload_fails_the_export_aborts_the_upload_and_offers_nothing() {
    let server = s3_server_with(Faults::DropPartTwo).await;
    let t = TestDb::sqlite().await;
    let mut fx = Fixture::new(t.db.clone()).await;
    // Parts of 4 KiB, so the fixture's export (tens of KiB) goes up in
    // several, and the second never arrives.
    let store = store_with_bucket(&server, "guildtrack")
        .await
        .with_part_size(4 * 1024);
    fx.state.exports.blobs = Arc::new(store);
    let scope = fx.scope(&fx.viewer, "alpha").await;

    let err = service::start(&fx.state, &scope, request())
        .await
        .unwrap_err();

    let AppError::Failed(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("could not be stored"), "{message}");
    let seen = server.seen();
    assert!(
        seen.iter()
            .any(|r| r.starts_with("POST") && r.contains("uploads")),
        "a multipart upload was started: {seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.contains("partNumber=2")),
        "part 2 was sent: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|r| r.starts_with("DELETE") && r.contains("uploadId=")),
        "the upload was aborted: {seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|r| r.starts_with("POST") && r.contains("uploadId=")),
        "the upload was never completed: {seen:?}"
    );
    let history = app::domain::export::jobs::list(fx.db(), &scope, 5)
        .await
        .unwrap();
    let job = &history[0];
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job
        .error
        .as_deref()
        .unwrap_or("")
        .contains("could not be stored"));
    assert!(matches!(
        service::download(&fx.state, &scope, job.id).await.unwrap(),
        Download::NotReady(_)
    ));
    let key = format!("exports/{}/{}.csv", scope.guild_id(), job.id);
    let head = client(&server.endpoint)
        .head_object()
        .bucket("guildtrack")
        .key(&key)
        .send()
        .await;
    assert!(head.is_err(), "no object was left under {key}");
    let leftovers: Vec<_> = std::fs::read_dir(fx.export_dir.0.join("tmp"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "work files removed: {leftovers:?}");
}

#[tokio::test]
async fn an_import_uploaded_to_s3_is_read_back_checked_and_applied() {
    let server = s3_server().await;
    let t = TestDb::sqlite().await;
    let mut fx = Fixture::new(t.db.clone()).await;
    fx.state.exports.blobs = Arc::new(store_with_bucket(&server, "guildtrack").await);
    let scope = fx.scope(&fx.admin, "alpha").await;
    let dir = TempDir::new("s3-import");
    let upload = dir.0.join("upload.part");
    std::fs::write(
        &upload,
        "Platform,Handle,Display name\r\nyoutube,from.s3,From S3\r\n",
    )
    .unwrap();

    let job = app::domain::import::accept(&fx.state, &scope, "a.csv", &upload, 52)
        .await
        .unwrap();
    assert!(!upload.exists(), "the store took the upload");
    app::domain::import::run::check(&fx.state, &scope, job.id).await;
    app::domain::import::confirm(&fx.state, &scope, job.id, "1")
        .await
        .unwrap();
    let ended = app::domain::import::run::apply(&fx.state, &scope, job.id).await;

    assert_eq!(ended, app::domain::import::run::Ended::Completed);
    let job = app::domain::import::jobs::get(fx.db(), &scope, job.id)
        .await
        .unwrap();
    assert_eq!(job.outcome.unwrap().created, 1, "{:?}", job.error);
    assert!(server
        .seen()
        .iter()
        .any(|r| r.starts_with("GET") && !r.contains("list")));
    // The downloaded copies were removed once read.
    let left: Vec<_> = std::fs::read_dir(fx.export_dir.0.join("tmp"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
