//! Fresh databases for tests, on both backends, and a small two-guild
//! fixture. Compiled into the ssr build so the app's and the server's test
//! suites share it; nothing here runs in production.
//!
//! PostgreSQL tests create their own database per test (named
//! `gt_test_<pid>_<n>`) on the server at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drop it afterwards.
//! Without a reachable server they are skipped with a notice, except under
//! `CI=true`, where that is a failure.

use super::clock::ManualClock;
use super::export::{ExportSettings, LocalStore};
use super::seed::{seed_guild, SeedSpec};
use super::{auth, scope, AppState, Arg, Db, GuildScope, SharedClock, Sql};
use crate::model::{Role, SessionUser};
use chrono::{TimeZone, Utc};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// A database that exists for one test.
pub struct TestDb {
    pub db: Db,
    /// Where it is, for a server process started on it.
    pub url: String,
    /// For PostgreSQL: the database to drop when the test ends.
    pg_name: Option<String>,
    _dir: Option<TempDir>,
}

/// A directory removed on drop (no extra crate for one struct).
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A fresh, empty directory under the system's temp dir.
    pub fn new(what: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("guildtrack-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("guildtrack-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let url = format!("sqlite://{}/test.db", dir.display());
        let db = Db::connect(&url).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            pg_name: None,
            _dir: Some(TempDir(dir)),
        }
    }

    /// `None` when no PostgreSQL is reachable (outside CI).
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url();
        let admin = match sqlx::PgPool::connect(&admin_url).await {
            Ok(p) => p,
            Err(e) if in_ci() => {
                panic!("CI=true but PostgreSQL at {admin_url} is unreachable: {e}")
            }
            Err(e) => {
                eprintln!("skipping PostgreSQL test: {admin_url} unreachable ({e})");
                return None;
            }
        };
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("gt_test_{}_{n}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await
            .expect("drop old test db");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create test db");
        admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TEST_POSTGRES_URL must end with /<database>"),
        };
        let db = Db::connect(&url).await.expect("connect test db");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb {
            db,
            url,
            pg_name: Some(name),
            _dir: None,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        if let Db::Postgres(pool) = &self.db {
            let pool = pool.clone();
            // Drop runs outside any async context we can rely on (possibly
            // while unwinding a failed test), so use a throwaway runtime on
            // its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    pool.close().await;
                    if let Ok(admin) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&admin)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs a database test once on SQLite and once on PostgreSQL:
/// `db_test!(name, |db| async move { ... })` makes `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::domain::test_support::TestDb::sqlite().await;
                ($body)(t.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::domain::test_support::TestDb::postgres().await else {
                    return;
                };
                ($body)(t.db.clone()).await;
            }
        }
    };
}

/// A fixed instant tests start from.
pub fn test_epoch() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 7, 12, 0, 0).unwrap()
}

/// Two small guilds and one user per role:
/// - `alpha`: `admin` (admin), `editor` (editor), `viewer` (viewer)
/// - `beta`: `outsider` (admin), who is not a member of alpha.
pub struct Fixture {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub admin: SessionUser,
    pub editor: SessionUser,
    pub viewer: SessionUser,
    pub outsider: SessionUser,
    /// Export files of this fixture (local store and work files).
    pub export_dir: TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

impl Fixture {
    pub async fn new(db: Db) -> Fixture {
        Self::with_sizes(db, 12, 120).await
    }

    pub async fn with_sizes(db: Db, accounts: usize, posts: usize) -> Fixture {
        let clock = ManualClock::new(test_epoch());
        let shared: SharedClock = clock.clone();
        for (slug, seed) in [("alpha", 1), ("beta", 2)] {
            seed_guild(
                &db,
                &SeedSpec {
                    slug: slug.into(),
                    name: format!("Guild {slug}"),
                    brands: 3,
                    groups: 4,
                    accounts,
                    posts,
                    seed,
                    anchor: test_epoch(),
                },
            )
            .await
            .expect("seed fixture guild");
        }
        let mut users = Vec::new();
        for (name, guild, role) in [
            ("admin", "alpha", Role::Admin),
            ("editor", "alpha", Role::Editor),
            ("viewer", "alpha", Role::Viewer),
            ("outsider", "beta", Role::Admin),
        ] {
            let id = auth::create_user(&db, &shared, name, name, PASSWORD)
                .await
                .expect("create user");
            scope::set_membership(&db, test_epoch(), guild, id, role)
                .await
                .expect("membership");
            users.push(SessionUser {
                id,
                username: name.into(),
                display_name: name.into(),
            });
        }
        let mut users = users.into_iter();
        let export_dir = TempDir::new("exports");
        let blobs = Arc::new(LocalStore::new(export_dir.0.join("files")));
        let exports = ExportSettings::new(export_dir.0.clone(), blobs);
        Fixture {
            export_dir,
            state: AppState {
                db,
                clock: shared,
                exports,
                trash_retention: chrono::Duration::days(
                    crate::domain::trash::Window::DEFAULT_RETENTION_DAYS,
                ),
                instance: super::Instance::new("test:0", Utc::now()),
                discord: None,
                bot: None,
                outbound: None,
            },
            clock,
            admin: users.next().unwrap(),
            editor: users.next().unwrap(),
            viewer: users.next().unwrap(),
            outsider: users.next().unwrap(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub async fn scope(&self, user: &SessionUser, guild: &str) -> GuildScope {
        GuildScope::for_member(self.db(), user, guild)
            .await
            .expect("membership")
    }
}

/// The ids a query returns (its single integer column), in its order.
pub async fn ids(db: &Db, sql: &str, args: Vec<Arg>) -> Vec<i64> {
    #[derive(sqlx::FromRow)]
    struct Id(i64);
    db.fetch_all::<Id>(&Sql::bound(sql, args))
        .await
        .expect("query ids")
        .into_iter()
        .map(|r| r.0)
        .collect()
}

/// The single integer a query returns, e.g. a `COUNT(*)`.
pub async fn count(db: &Db, sql: &str, args: Vec<Arg>) -> i64 {
    db.fetch_i64(&Sql::bound(sql, args))
        .await
        .expect("query count")
}
