//! Crashes of a real server process: `kill -9` in the middle of a
//! background export, of an import, of a 300,000-item bulk delete and of
//! the trash purge, then a restart. Each time nothing may be lost, nothing
//! half-applied and nothing left "running", and the restarted server must
//! take back what its earlier start held at once, not after the 30–60 s
//! the upkeep waits for a silent server.
//!
//! It runs the server binary named by `GUILDTRACK_SERVER_BIN` (scripts/test
//! points it at the release build users run), else this build's own, on a
//! fresh SQLite file and a fresh PostgreSQL database. It takes about a
//! minute per database with the release build, so `cargo test` leaves it
//! out (`#[ignore]`) and scripts/test runs it after the release build:
//!
//! ```sh
//! GUILDTRACK_SERVER_BIN=target/release/server \
//!   cargo test -p server --features app/ssr --test crash -- --ignored --nocapture
//! ```

use app::domain::test_support::{count, TempDir, TestDb};
use app::domain::{Arg, Db};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Posts in the guild: the bulk delete is of all of them.
const POSTS: usize = 300_000;
const GUILD: &str = "crash";
const USER: &str = "crasher";
const PASSWORD: &str = "crash-test-password";
/// The longest a restarted server may take to take back its earlier work.
/// The upkeep's own recovery waits 30 s (exports) and 60 s (bulk actions).
const TAKE_BACK_WITHIN: Duration = Duration::from_secs(5);

fn server_bin() -> PathBuf {
    std::env::var_os("GUILDTRACK_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_server")))
}

/// A free port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where one database's crash test keeps its files and how it runs the
/// server binary.
struct Setup {
    url: String,
    port: u16,
    dir: TempDir,
}

impl Setup {
    fn command(&self, extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(server_bin());
        cmd.env("DATABASE_URL", &self.url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("LEPTOS_SITE_ROOT", self.dir.0.join("site"))
            .env("LEPTOS_OUTPUT_NAME", "guildtrack")
            .env("EXPORT_DIR", self.exports())
            .env("RUST_LOG", "warn")
            .env_remove("EXPORT_MAX_ROWS_PER_SECOND");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    fn exports(&self) -> PathBuf {
        self.dir.0.join("exports")
    }

    /// Runs a maintenance command to its end.
    fn cli(&self, args: &[&str], env: &[(&str, &str)]) {
        let out = self
            .command(env)
            .args(args)
            .output()
            .expect("run the server binary");
        assert!(
            out.status.success(),
            "server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `server serve` and waits until it answers.
    async fn start(&self, env: &[(&str, &str)]) -> Server {
        let log = std::fs::File::create(self.dir.0.join("server.log")).unwrap();
        let child = self
            .command(env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the server");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{}", self.port),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: String::new(),
        };
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            if let Ok(r) = server
                .http
                .get(format!("{}/health", server.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the server did not start: {}",
            std::fs::read_to_string(self.dir.0.join("server.log")).unwrap_or_default()
        );
    }
}

/// A running server process and a signed-in member's session.
struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    cookie: String,
}

impl Server {
    async fn sign_in(&mut self) {
        let res = self
            .http
            .post(format!("{}/auth/login", self.base))
            .form(&[("username", USER), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "sign-in");
        let set = res.headers()["set-cookie"].to_str().unwrap();
        self.cookie = set.split(';').next().unwrap().to_string();
    }

    /// Calls a server function as the signed-in member.
    async fn call(&self, endpoint: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{endpoint}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `kill -9`: no shutdown, no last words.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `probe` every 50 ms until it gives a value, for at most `limit`.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < until, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn one(db: &Db, sql: &str) -> i64 {
    count(db, sql, vec![]).await
}

async fn text(db: &Db, sql: &str) -> String {
    #[derive(sqlx::FromRow)]
    struct Text(Option<String>);
    db.fetch_optional::<Text>(&app::domain::Sql::new(sql))
        .await
        .unwrap()
        .and_then(|t| t.0)
        .unwrap_or_default()
}

/// The data records of a CSV export (captions may hold line breaks, so
/// lines are not records).
fn csv_records(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut records = 0;
    for record in csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[3..])
        .records()
    {
        record.expect("a well-formed record");
        records += 1;
    }
    records
}

async fn crash_and_restart_everything(t: TestDb) {
    let setup = Setup {
        url: t.url.clone(),
        port: free_port(),
        dir: TempDir::new("crash"),
    };
    let db = &t.db;
    let started = Instant::now();
    setup.cli(
        &[
            "seed",
            "--guild",
            GUILD,
            "--accounts",
            "300",
            "--posts",
            &POSTS.to_string(),
        ],
        &[],
    );
    setup.cli(&["user", "add", USER], &[("GUILDTRACK_PASSWORD", PASSWORD)]);
    setup.cli(&["member", "add", GUILD, USER, "admin"], &[]);
    eprintln!("seeded {POSTS} posts in {:.1?}", started.elapsed());

    export_survives_a_crash(&setup, db).await;
    import_is_interrupted_honestly(&setup, db).await;
    bulk_delete_is_interrupted_honestly(&setup, db).await;
    purge_finishes_after_a_crash(&setup, db).await;
    eprintln!("crash test done in {:.1?}", started.elapsed());
}

/// A background export killed mid-file is made again from the start after
/// the restart, at once, and only the whole file is ever offered.
async fn export_survives_a_crash(setup: &Setup, db: &Db) {
    // Paced, so the export is surely under way when the server dies.
    let paced = [("EXPORT_MAX_ROWS_PER_SECOND", "20000")];
    let mut server = setup.start(&paced).await;
    server.sign_in().await;
    let started = server
        .call(
            "start_export",
            json!({"guild": GUILD, "request": {"entity": "Posts", "format": "Csv",
                   "scope": {"View": {"platform": "tiktok"}}, "filename": ""}}),
        )
        .await;
    let id = started["Queued"]["id"]
        .as_i64()
        .expect("a background export");
    let job = |col: &str| format!("SELECT {col} FROM export_jobs WHERE id = {id}");
    wait_for(
        "the export to be under way",
        Duration::from_secs(30),
        || async { (one(db, &job("processed")).await >= 20_000).then_some(()) },
    )
    .await;

    server.kill();
    let total = one(db, &job("total")).await;
    assert_eq!(
        text(db, &job("status")).await,
        "running",
        "left running by the crash"
    );
    assert!(one(db, &job("processed")).await < total, "killed mid-file");

    let restarted = Instant::now();
    let _server = setup.start(&paced).await;
    let taken_back = wait_for(
        "the export to be taken back",
        Duration::from_secs(30),
        || async { (one(db, &job("attempts")).await == 2).then(|| restarted.elapsed()) },
    )
    .await;
    eprintln!("export: taken back {taken_back:.1?} after the restart began");
    assert!(taken_back < TAKE_BACK_WITHIN, "took {taken_back:?}");
    wait_for("the export to finish", Duration::from_secs(60), || async {
        (text(db, &job("status")).await == "done").then_some(())
    })
    .await;

    let key = text(db, &job("file_key")).await;
    let file = setup.exports().join("files").join(&key);
    assert_eq!(csv_records(&file) as i64, total, "every row, once");
    assert_eq!(one(db, &job("processed")).await, total);
    let work_files: Vec<_> = std::fs::read_dir(setup.exports().join("tmp"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        work_files.is_empty(),
        "the crashed attempt's work file was removed: {work_files:?}"
    );
}

/// An import killed after some batches: the batches written stay, each
/// whole and audited, the job says exactly how far it got, and the restart
/// closes it at once; its stored file is removed.
async fn import_is_interrupted_honestly(setup: &Setup, db: &Db) {
    const ACCOUNTS: usize = 40_000;
    let mut server = setup.start(&[]).await;
    server.sign_in().await;
    let items: Vec<Value> = (0..ACCOUNTS)
        .map(|i| json!({"platform": "youtube", "handle": format!("crash.import_{i}")}))
        .collect();
    let file = json!({"format_version": 1, "entity": "accounts", "items": items}).to_string();
    let res = server
        .http
        .post(format!("{}/g/{GUILD}/imports?name=crash.json", server.base))
        .header("cookie", &server.cookie)
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "upload");
    let answer: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let id = answer["id"].as_i64().unwrap();
    let job = |col: &str| format!("SELECT {col} FROM import_jobs WHERE id = {id}");
    wait_for("the check", Duration::from_secs(120), || async {
        (text(db, &job("status")).await == "ready").then_some(())
    })
    .await;
    server
        .call(
            "confirm_import",
            json!({"guild": GUILD, "id": id, "typed": ACCOUNTS.to_string()}),
        )
        .await;
    wait_for(
        "the import to be under way",
        Duration::from_secs(60),
        || async { (one(db, &job("processed")).await >= 5_000).then_some(()) },
    )
    .await;

    server.kill();
    assert_eq!(text(db, &job("status")).await, "running", "left running");
    let written = one(
        db,
        "SELECT COUNT(*) FROM accounts WHERE handle LIKE 'crash.import%'",
    )
    .await;
    assert!((written as usize) < ACCOUNTS, "killed mid-file");

    let restarted = Instant::now();
    let _server = setup.start(&[]).await;
    let closed = wait_for(
        "the import to be closed",
        Duration::from_secs(30),
        || async { (text(db, &job("status")).await == "interrupted").then(|| restarted.elapsed()) },
    )
    .await;
    eprintln!(
        "import: closed {closed:.1?} after the restart began, {written} of {ACCOUNTS} written"
    );
    assert!(closed < TAKE_BACK_WITHIN, "took {closed:?}");
    // Whole batches only, and the job says exactly that many.
    assert_eq!(written % 1000, 0, "{written} is not whole batches");
    let outcome: Value = serde_json::from_str(&text(db, &job("outcome")).await).unwrap();
    assert_eq!(outcome["created"].as_i64(), Some(written));
    let batch = format!("import-{id}");
    let summary = one(
        db,
        &format!(
            "SELECT item_count FROM audit_log WHERE batch_id = '{batch}' AND target_id IS NULL \
             AND summary LIKE '%interrupted%'"
        ),
    )
    .await;
    assert_eq!(summary, written);
    let items = one(
        db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = '{batch}' AND target_id IS NOT NULL"
        ),
    )
    .await;
    assert_eq!(items, written);
    let stored: Vec<_> = std::fs::read_dir(setup.exports().join("files").join("imports"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|guild| {
            std::fs::read_dir(guild.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.file_name())
        .collect();
    assert!(stored.is_empty(), "the upload was removed: {stored:?}");
}

/// A delete of every post killed after some chunks: the chunks done stay
/// done and audited, the rest are untouched, and the run says so, at once.
async fn bulk_delete_is_interrupted_honestly(setup: &Setup, db: &Db) {
    let mut server = setup.start(&[]).await;
    server.sign_in().await;
    let request = json!({"entity": "Posts", "selection": {"AllMatching": {"filter": {}, "except": []}},
                         "action": "Delete"});
    let preview = server
        .call("preview_bulk", json!({"guild": GUILD, "request": request}))
        .await;
    let n = preview["count"].as_i64().unwrap();
    assert_eq!(n, POSTS as i64);
    let run = server
        .call(
            "start_bulk",
            json!({"guild": GUILD, "confirm": {"request": request, "confirmed_count": n,
                   "typed": n.to_string(), "as_of": preview["as_of"], "reason": "crash test"}}),
        )
        .await;
    let id = run["id"].as_i64().unwrap();
    let batch = run["batch_id"].as_str().unwrap().to_string();
    let col = |c: &str| format!("SELECT {c} FROM bulk_runs WHERE id = {id}");
    wait_for("a chunk to be done", Duration::from_secs(120), || async {
        (one(db, &col("processed")).await > 0).then_some(())
    })
    .await;

    server.kill();
    assert_eq!(
        text(db, &col("status")).await,
        "running",
        "left running by the crash"
    );
    let processed = one(db, &col("processed")).await;
    assert!(processed < n, "killed mid-run ({processed} of {n})");

    let restarted = Instant::now();
    let _server = setup.start(&[]).await;
    let closed = wait_for("the run to be closed", Duration::from_secs(30), || async {
        (text(db, &col("status")).await == "interrupted").then(|| restarted.elapsed())
    })
    .await;
    eprintln!(
        "bulk: {processed} of {n} done when killed; closed {closed:.1?} after the restart began"
    );
    assert!(closed < TAKE_BACK_WITHIN, "took {closed:?}");

    let succeeded = one(db, &col("succeeded")).await;
    assert_eq!(
        (succeeded, one(db, &col("processed")).await),
        (processed, processed)
    );
    let trashed = one(
        db,
        &format!("SELECT COUNT(*) FROM posts WHERE delete_batch_id = '{batch}' AND deleted_at IS NOT NULL"),
    )
    .await;
    assert_eq!(trashed, processed, "the chunks done stay done");
    let live = one(db, "SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL").await;
    assert_eq!(live, n - processed, "the rest are untouched");
    let audited = count(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND target_id IS NOT NULL",
        vec![Arg::Text(batch.clone())],
    )
    .await;
    assert_eq!(audited, processed, "each item done is audited");
    let summary = text(
        db,
        &format!("SELECT summary FROM audit_log WHERE batch_id = '{batch}' AND target_id IS NULL"),
    )
    .await;
    assert!(summary.starts_with("Stopped after"), "{summary}");
    assert_eq!(
        one(
            db,
            "SELECT COUNT(*) FROM bulk_runs WHERE status IN ('queued', 'running')"
        )
        .await,
        0,
        "nothing stuck as running"
    );
}

/// The purge killed between its steps carries on after the restart, and
/// its audit entries add up to what was removed.
async fn purge_finishes_after_a_crash(setup: &Setup, db: &Db) {
    let live = one(db, "SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL").await;
    setup.cli(
        &[
            "trash-sample",
            "--guild",
            GUILD,
            "--posts",
            &live.to_string(),
            "--days-ago",
            "31",
        ],
        &[],
    );
    let expired = "SELECT COUNT(*) FROM posts WHERE deleted_at IS NOT NULL AND delete_batch_id LIKE 'sample-%'";
    let before = one(db, expired).await;
    assert_eq!(before, live);
    let all_posts = one(db, "SELECT COUNT(*) FROM posts").await;

    // The purge runs as the server starts.
    let server = setup.start(&[]).await;
    wait_for(
        "the purge to be under way",
        Duration::from_secs(60),
        || async { (one(db, expired).await < before).then_some(()) },
    )
    .await;
    server.kill();
    let left = one(db, expired).await;
    assert!(left > 0, "killed mid-purge ({left} of {before} left)");

    let _server = setup.start(&[]).await;
    wait_for("the purge to finish", Duration::from_secs(120), || async {
        (one(db, expired).await == 0).then_some(())
    })
    .await;
    eprintln!("purge: {left} of {before} were left when killed; all gone after the restart");

    let purged: i64 = {
        #[derive(sqlx::FromRow)]
        struct Details(Option<String>);
        db.fetch_all::<Details>(&app::domain::Sql::new(
            "SELECT details FROM audit_log WHERE action = 'auto_purge'",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|Details(d)| {
            let v: Value = serde_json::from_str(&d.unwrap_or_default()).unwrap();
            v["posts"].as_i64().unwrap()
        })
        .sum()
    };
    assert_eq!(
        purged, before,
        "the audit entries add up to what was removed"
    );
    assert_eq!(
        one(db, "SELECT COUNT(*) FROM posts").await,
        all_posts - before,
        "only the expired posts went"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute per database with the release build: scripts/test runs it"]
async fn crashes_on_sqlite() {
    crash_and_restart_everything(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute per database with the release build: scripts/test runs it"]
async fn crashes_on_postgres() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    crash_and_restart_everything(t).await;
}
