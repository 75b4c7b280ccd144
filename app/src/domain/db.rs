//! The database handle: one concrete pool per backend behind a small enum.
//!
//! Not `AnyPool`: it loses column types and measured 1.3–2× slower than the
//! concrete pools when streaming. SQL text is shared between backends where
//! it can be (`$1` placeholders work on both); the few differences live in
//! [`Dialect`].

use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::ConnectOptions;
use sqlx::FromRow;
use std::future::Future;
use std::panic::Location;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    /// The pool, and the turns its writers take (see [`WriteTurns`]).
    Sqlite(SqlitePool, WriteTurns),
    Postgres(PgPool),
}

/// SQLite's writers, one at a time, in the order they asked.
///
/// SQLite has one write lock per database file. A writer that finds it
/// taken retries in its busy handler: it sleeps and tries again, with no
/// queue, so a writer that runs back to back (a bulk action's chunks, each
/// holding the lock for up to a second) can win every time while a sign-in
/// sleeps until its busy timeout and fails with "database is locked". That
/// happened with three big bulk actions at once: a sign-in waited 10 s and
/// failed, an export claim failed, and a third action's start answered 500.
///
/// So every write of this server waits here first, in a first-come,
/// first-served queue (tokio's `Mutex` is fair), and only then takes the
/// lock: a sign-in waits for at most the chunk under way, never for a whole
/// run. The busy timeout still covers other processes on the same file (the
/// CLI's `server purge`, say).
#[derive(Clone, Debug, Default)]
pub struct WriteTurns(std::sync::Arc<tokio::sync::Mutex<()>>);

/// How long a SQLite connection retries when another process holds the
/// write lock (this server's own writers take turns, see [`WriteTurns`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Db::checkpoint`] waits for readers of the old log to finish.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(250);

/// The longest a write waits for its turn before it gives up with
/// [`AppError::Unavailable`]. Turns last a chunk (about a second at most),
/// so this is dozens of writers deep: something is wrong, and the member
/// is told the truth rather than left waiting.
const LONGEST_WAIT_FOR_A_TURN: Duration = Duration::from_secs(30);

/// A writer's turn; the next writer goes when it is dropped.
pub type Turn = tokio::sync::OwnedMutexGuard<()>;

impl WriteTurns {
    /// Waits for this writer's turn.
    pub async fn wait(&self) -> Result<Turn, AppError> {
        tokio::time::timeout(LONGEST_WAIT_FOR_A_TURN, self.0.clone().lock_owned())
            .await
            .map_err(|_| {
                tracing::error!(
                    waited_s = LONGEST_WAIT_FOR_A_TURN.as_secs(),
                    "a write waited too long for its turn on SQLite"
                );
                AppError::unavailable()
            })
    }
}

/// The differences between the two SQL dialects that the shared queries
/// need to know about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Case-insensitive substring match. SQLite's LIKE already ignores ASCII
    /// case; PostgreSQL needs ILIKE.
    pub fn ilike(self) -> &'static str {
        match self {
            Self::Sqlite => "LIKE",
            Self::Postgres => "ILIKE",
        }
    }

    /// `>=` and `<` in byte order, for a prefix as an index range.
    /// PostgreSQL's ordinary operators follow the database collation, which
    /// need not be byte order; its `~>=~`/`~<~` are byte order and are what
    /// a `text_pattern_ops` index serves (migration `20261201000001_handle_prefix`).
    pub fn byte_order_range(self) -> (&'static str, &'static str) {
        match self {
            Self::Sqlite => (">=", "<"),
            Self::Postgres => ("~>=~", "~<~"),
        }
    }
}

/// A bind parameter of a dynamically built query.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    /// Stored as unix seconds on SQLite (INTEGER) and as TIMESTAMPTZ on
    /// PostgreSQL; both decode to `DateTime<Utc>`.
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
}

/// SQL text with `$n` placeholders and the values to bind to them.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Static SQL whose `$n` placeholders match `args` in order.
    pub fn bound(text: impl Into<String>, args: Vec<Arg>) -> Self {
        Self {
            text: text.into(),
            args,
        }
    }

    /// Adds a value and returns its placeholder (`$3`).
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    /// Adds one `VALUES` row and returns its text: `(?, ?, ?)` on SQLite,
    /// `($4, $5, $6)` on PostgreSQL.
    ///
    /// Multi-row inserts bind thousands of values. SQLite looks numbered
    /// parameters up by name in a linear list, so `$n` makes binding
    /// quadratic (2.8 s for 30,000 values, measured); anonymous `?` binds in
    /// order at no cost. Use this only where each value appears once, in order.
    pub fn values_row(&mut self, dialect: Dialect, row: Vec<Arg>) -> String {
        let marks: Vec<String> = match dialect {
            Dialect::Sqlite => {
                let n = row.len();
                self.args.extend(row);
                vec!["?".to_string(); n]
            }
            Dialect::Postgres => row.into_iter().map(|a| self.arg(a)).collect(),
        };
        format!("({})", marks.join(", "))
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// The first words of the SQL, for a log line: enough to tell the query.
    pub fn head(&self) -> String {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let head = words.join(" ");
        match head.char_indices().nth(120) {
            Some((cut, _)) => format!("{}…", &head[..cut]),
            None => head,
        }
    }

    /// Appends the placeholder of `value` and binds it:
    /// `sql.push(" AND p.platform = ").bind(platform.as_str())`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        let p = self.arg(value.into());
        self.text.push_str(&p);
        self
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Self::Time(v)
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;
type SqliteQueryAs<'q, T> =
    sqlx::query::QueryAs<'q, sqlx::Sqlite, T, sqlx::sqlite::SqliteArguments<'q>>;
type PgQueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>;

macro_rules! bind_all {
    ($q:expr, $args:expr, sqlite) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::Time(v) => q.bind(v.timestamp()),
                Arg::OptTime(v) => q.bind(v.map(|t| t.timestamp())),
                Arg::OptText(v) => q.bind(v.as_deref()),
            };
        }
        q
    }};
    ($q:expr, $args:expr, postgres) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::Time(v) => q.bind(*v),
                Arg::OptTime(v) => q.bind(*v),
                Arg::OptText(v) => q.bind(v.as_deref()),
            };
        }
        q
    }};
}

pub(crate) fn bind_sqlite<'q>(q: SqliteQuery<'q>, args: &'q [Arg]) -> SqliteQuery<'q> {
    bind_all!(q, args, sqlite)
}

pub(crate) fn bind_pg<'q>(q: PgQuery<'q>, args: &'q [Arg]) -> PgQuery<'q> {
    bind_all!(q, args, postgres)
}

fn bind_sqlite_as<'q, T>(q: SqliteQueryAs<'q, T>, args: &'q [Arg]) -> SqliteQueryAs<'q, T> {
    bind_all!(q, args, sqlite)
}

pub(crate) fn bind_pg_as<'q, T>(q: PgQueryAs<'q, T>, args: &'q [Arg]) -> PgQueryAs<'q, T> {
    bind_all!(q, args, postgres)
}

/// Row types that decode from either backend.
pub trait AnyRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> AnyRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Db {
    /// Connects to `sqlite://…` or `postgres://…`. For SQLite the file (and
    /// its folder) is created if missing and WAL mode is switched on, so
    /// readers never wait for a writer.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                // A log that was started over is cut back to this size, so
                // one big run does not leave a file of gigabytes behind.
                .pragma("journal_size_limit", "67108864")
                // 64 MiB page cache per connection (the default is 2 MiB):
                // list indexes over a million posts stay in memory, and a
                // million-row seed spends 40% less time in read/write calls.
                .pragma("cache_size", "-65536")
                // Read through a memory map: the page cache above is per
                // connection, and with a pool, cold pages otherwise cost a
                // pread() each (most of a list query's time, measured).
                .pragma("mmap_size", "1073741824")
                // Bulk statements are long; sqlx would log their whole text.
                .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(1));
            if let Some(dir) = std::path::Path::new(opts.get_filename()).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // Undoes `Tx::defer_checkpoint` before anyone else gets the
                // connection (a statement of a few microseconds per release).
                .after_release(|conn, _| {
                    Box::pin(async move {
                        sqlx::query(RESTORE_AUTOCHECKPOINT).execute(conn).await?;
                        Ok(true)
                    })
                })
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool, WriteTurns::default()))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?
                .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(1));
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(sqlx::Error::Configuration(
                format!("DATABASE_URL must start with sqlite:// or postgres://, got “{url}”")
                    .into(),
            ))
        }
    }

    /// Applies the migrations of this backend (`migrations/sqlite` or
    /// `migrations/postgres`).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p, _) => {
                sqlx::migrate!("../migrations/sqlite").run(p).await?;
                analyze_new_indexes(p).await?;
                Ok(())
            }
            Db::Postgres(p) => sqlx::migrate!("../migrations/postgres").run(p).await,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(..) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    // The query methods log a failure with the file and line of the code
    // that ran the query (`#[track_caller]` on a plain fn that returns the
    // future) and the start of its SQL: a log line that says only "database
    // error" cannot tell which of a page's queries failed.

    /// Every row of `sql`.
    #[track_caller]
    pub fn fetch_all<'a, T: AnyRow + 'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<Vec<T>, AppError>> + Send + 'a {
        let at = Location::caller();
        debug_assert_reads(sql);
        async move {
            let rows = match self {
                Db::Sqlite(p, _) => {
                    bind_sqlite_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                        .fetch_all(p)
                        .await
                }
                Db::Postgres(p) => {
                    bind_pg_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                        .fetch_all(p)
                        .await
                }
            };
            rows.map_err(|e| failed(e, at, sql))
        }
    }

    /// The first row of `sql`, if any.
    #[track_caller]
    pub fn fetch_optional<'a, T: AnyRow + 'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<Option<T>, AppError>> + Send + 'a {
        let at = Location::caller();
        debug_assert_reads(sql);
        async move {
            self.try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))
        }
    }

    async fn try_fetch_optional<T: AnyRow>(&self, sql: &Sql) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite(p, _) => {
                bind_sqlite_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                    .fetch_optional(p)
                    .await
            }
            Db::Postgres(p) => {
                bind_pg_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                    .fetch_optional(p)
                    .await
            }
        }
    }

    /// Runs a query whose single row has a single integer column.
    #[track_caller]
    pub fn fetch_i64<'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<i64, AppError>> + Send + 'a {
        let at = Location::caller();
        debug_assert_reads(sql);
        async move {
            let row = self
                .try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))?;
            one_integer(row, sql)
        }
    }

    /// On SQLite, waits for this writer's turn (see [`WriteTurns`]); on
    /// PostgreSQL, whose writers wait on row locks, there is nothing to wait for.
    async fn turn(&self) -> Result<Option<Turn>, AppError> {
        match self {
            Db::Sqlite(_, turns) => turns.wait().await.map(Some),
            Db::Postgres(_) => Ok(None),
        }
    }

    /// Runs a statement that writes and returns a row (`INSERT …
    /// RETURNING`, `UPDATE … RETURNING`); the row, if any. Reads go through
    /// the `fetch_*` methods, writes through this one or [`Db::execute`], so
    /// that a write on SQLite waits for its turn.
    #[track_caller]
    pub fn returning<'a, T: AnyRow + 'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<Option<T>, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let _turn = self.turn().await?;
            self.try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))
        }
    }

    /// Runs an `INSERT … RETURNING id`; the new row's id.
    #[track_caller]
    pub fn insert_returning_id<'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<i64, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let _turn = self.turn().await?;
            let row = self
                .try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))?;
            one_integer(row, sql)
        }
    }

    /// Runs an `INSERT … RETURNING id` that a unique constraint may refuse:
    /// the refusal is `taken`, an answer for the member, not a failure of
    /// ours. Checking first and inserting after would lose the race when two
    /// requests ask for the same name at once (the second got a 500).
    #[track_caller]
    pub fn insert_unique<'a>(
        &'a self,
        sql: &'a Sql,
        taken: AppError,
    ) -> impl Future<Output = Result<i64, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let _turn = self.turn().await?;
            match self.try_fetch_optional(sql).await {
                Ok(row) => one_integer(row, sql),
                Err(e) if is_unique_violation(&e) => Err(taken),
                Err(e) => Err(failed(e, at, sql)),
            }
        }
    }

    /// Runs a statement that writes; the number of rows it changed.
    #[track_caller]
    pub fn execute<'a>(
        &'a self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<u64, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let _turn = self.turn().await?;
            let done = match self {
                Db::Sqlite(p, _) => bind_sqlite(sqlx::query(&sql.text), &sql.args)
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected()),
                Db::Postgres(p) => bind_pg(sqlx::query(&sql.text), &sql.args)
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected()),
            };
            done.map_err(|e| failed(e, at, sql))
        }
    }

    /// Starts a transaction that writes. Dropping the [`Tx`] without
    /// `commit` rolls back.
    ///
    /// On SQLite it waits for its turn (see [`WriteTurns`]), holds it until
    /// it ends, and takes the write lock at once (`BEGIN IMMEDIATE`). A
    /// deferred transaction can read first without meaning to (a statement
    /// that deletes posts runs the caption index's trigger, and FTS5 reads
    /// its own tables), and a reader that then writes after another writer
    /// committed gets SQLITE_BUSY at once, with no wait.
    ///
    /// Inside such a transaction, write through the [`Tx`] only: a write
    /// through the [`Db`] would wait for the turn the transaction holds.
    pub async fn begin_write(&self) -> Result<Tx, AppError> {
        Ok(match self {
            Db::Sqlite(p, turns) => {
                let turn = turns.wait().await?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Refreshes the planner's statistics after bulk loads.
    pub async fn analyze(&self) -> Result<(), AppError> {
        match self {
            Db::Sqlite(p, _) => {
                let _turn = self.turn().await?;
                analyze_sqlite(p, "").await?;
            }
            Db::Postgres(_) => {
                self.execute(&Sql::new("VACUUM ANALYZE")).await?;
            }
        }
        Ok(())
    }

    /// On PostgreSQL, vacuums `tables` right away, skipping any that another
    /// vacuum holds; on SQLite, does nothing (it keeps no dead row versions).
    ///
    /// Why: an `UPDATE` clears the visibility-map bits of the pages it
    /// touches, and until a vacuum sets them again every list count
    /// (`COUNT(*)` as an index-only scan) must visit those heap pages. After
    /// a 100,000-post bulk action the unfiltered count made 200,000 heap
    /// fetches (23 ms → 55–77 ms), and autovacuum may wait minutes, or never
    /// start when the change is under 20% of a large table (BENCHMARKS.md).
    /// A failure is logged, never returned: the change it follows is done.
    ///
    /// With `statistics`, it also refreshes the planner's statistics
    /// (`ANALYZE`): a plan made while they still describe the table before a
    /// 100,000-row change can be off by that much. It reads a 30,000-row
    /// sample each time (about 330 ms on a million posts), so a bulk run
    /// asks for it once, at its end.
    pub async fn vacuum(&self, tables: &[&str], statistics: bool) {
        let Db::Postgres(pool) = self else { return };
        let analyze = if statistics { ", ANALYZE" } else { "" };
        let statement = format!("VACUUM (SKIP_LOCKED{analyze}) {}", tables.join(", "));
        if let Err(e) = sqlx::query(&statement).execute(pool).await {
            tracing::warn!(error = %e, %statement, "vacuum failed");
        }
    }

    /// On SQLite, copies the write-ahead log into the database file and
    /// starts the log over (`wal_checkpoint(RESTART)`), in its turn as a
    /// writer; on PostgreSQL, does nothing. A failure is logged: the next
    /// commit's automatic checkpoint does much the same work.
    ///
    /// Why not leave it to SQLite's automatic checkpoints: they never wait
    /// for readers, and under a steady stream of reads the log was never
    /// started over. After two runs over a million posts it held 14.5 GB,
    /// and every page a reader looked for was first searched in the index
    /// of all those frames: the unfiltered list took 2.1 s instead of
    /// 0.1 s. RESTART waits for the readers of the old log to finish; they
    /// are short, so it waits at most [`CHECKPOINT_WAIT`] (an export's long
    /// read can hold the log longer; the next checkpoint tries again).
    pub async fn checkpoint(&self) {
        let Db::Sqlite(pool, turns) = self else {
            return;
        };
        let Ok(_turn) = turns.wait().await else {
            return;
        };
        let done = async {
            let mut conn = pool.acquire().await?;
            sqlx::query(&format!(
                "PRAGMA busy_timeout = {}",
                CHECKPOINT_WAIT.as_millis()
            ))
            .execute(&mut *conn)
            .await?;
            let result = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(&mut *conn)
                .await;
            sqlx::query(&format!(
                "PRAGMA busy_timeout = {}",
                BUSY_TIMEOUT.as_millis()
            ))
            .execute(&mut *conn)
            .await?;
            result.map(|_| ())
        };
        if let Err(e) = done.await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }

    /// Closes every connection (at shutdown); SQLite folds its log into
    /// the database file when the last one closes.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, _) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// A cheap round trip, for the health check.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.fetch_i64(&Sql::new("SELECT CAST(1 AS BIGINT)"))
            .await
            .map(|_| ())
    }
}

/// On SQLite, gathers the planner's statistics for each index that has none
/// on a table that has them: an index a migration made after the last
/// `ANALYZE`. SQLite plans with the statistics it has and a fixed guess for
/// an index without them (about ten rows per key), so one new index looks
/// far narrower than the measured ones beside it. When migration
/// `views_index_holds_platform_and_date` remade `posts_live_by_views` on a
/// measured million posts, the unfiltered list took 253 ms instead of 16
/// (walking that index and sorting) and "min views 100k" 568 ms instead of
/// 12, until an `ANALYZE`. A table never measured is left alone: there every
/// index has the same guess, as before. About 0.1 s per index of a million
/// entries.
async fn analyze_new_indexes(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let measured: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    )
    .fetch_optional(pool)
    .await?;
    if measured.is_none() {
        return Ok(());
    }
    let unmeasured: Vec<(String,)> = sqlx::query_as(
        "SELECT i.name FROM sqlite_master i \
         WHERE i.type = 'index' AND i.sql IS NOT NULL \
         AND EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = i.tbl_name) \
         AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = i.name)",
    )
    .fetch_all(pool)
    .await?;
    for (index,) in unmeasured {
        tracing::debug!(%index, "gathering statistics for an index that has none");
        analyze_sqlite(pool, &format!("\"{}\"", index.replace('"', "\"\""))).await?;
    }
    Ok(())
}

/// `ANALYZE target` on SQLite (the whole database when `target` is empty),
/// then every connection of the pool made to plan with what it gathered.
/// SQLite reads statistics with the schema, and `ANALYZE` does not change
/// the schema, so the other connections went on planning
/// with what they had read before (none, after a seed or a migration) until
/// the process ended: the "slow first run in the seeding process" of
/// BENCHMARKS.md, and, in the server that ran migration
/// `views_index_holds_platform_and_date`, one brand's list at 166 ms instead
/// of 8. A table made and dropped changes the schema, which each connection
/// reads again, statistics included, before its next statement.
async fn analyze_sqlite(pool: &SqlitePool, target: &str) -> Result<(), sqlx::Error> {
    for stmt in [
        format!("ANALYZE {target}"),
        "CREATE TABLE IF NOT EXISTS guildtrack_reload_statistics (x)".into(),
        "DROP TABLE IF EXISTS guildtrack_reload_statistics".into(),
    ] {
        sqlx::query(&stmt).execute(pool).await?;
    }
    Ok(())
}

/// Catches, in debug builds and tests, a write sent through a `Db::fetch_*`
/// method: it would skip its turn on SQLite ([`WriteTurns`]).
#[track_caller]
fn debug_assert_reads(sql: &Sql) {
    if cfg!(debug_assertions) {
        let first = sql.text.split_whitespace().next().unwrap_or("");
        debug_assert!(
            !["INSERT", "UPDATE", "DELETE", "REPLACE"]
                .iter()
                .any(|w| first.eq_ignore_ascii_case(w)),
            "a write through Db::fetch_*; use Db::execute or Db::returning: {}",
            sql.head()
        );
    }
}

/// The single row of a single integer column.
#[derive(sqlx::FromRow)]
pub struct OneInteger(i64);

fn one_integer(row: Option<OneInteger>, sql: &Sql) -> Result<i64, AppError> {
    row.map(|r| r.0).ok_or_else(|| {
        tracing::error!(sql = %sql.text, "expected one row, got none");
        AppError::Internal
    })
}

/// Logs a failed query with where it ran and how its SQL begins, and hides
/// the detail from the member.
fn failed(err: sqlx::Error, at: &Location<'_>, sql: &Sql) -> AppError {
    tracing::error!(error = %err, %at, query = %sql.head(), "database query failed");
    AppError::Internal
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// SQLite's default: a commit that leaves more than 1,000 pages in the
/// write-ahead log copies them into the database file.
const RESTORE_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 1000";

/// A transaction on either backend.
pub enum Tx {
    /// The transaction, and the writer's turn it holds until it ends.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>, Turn),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(..) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement in the transaction; the number of rows it changed.
    #[track_caller]
    pub fn execute<'a>(
        &'a mut self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<u64, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let done = match self {
                Tx::Sqlite(tx, _) => bind_sqlite(sqlx::query(&sql.text), &sql.args)
                    .execute(&mut **tx)
                    .await
                    .map(|r| r.rows_affected()),
                Tx::Postgres(tx) => bind_pg(sqlx::query(&sql.text), &sql.args)
                    .execute(&mut **tx)
                    .await
                    .map(|r| r.rows_affected()),
            };
            done.map_err(|e| failed(e, at, sql))
        }
    }

    /// Multi-row `{head} VALUES …` of `rows`, each with `cols` values, in
    /// chunks that stay under both databases' bind-parameter limits.
    pub async fn insert_rows(
        &mut self,
        head: &str,
        cols: usize,
        rows: Vec<Vec<Arg>>,
    ) -> Result<(), AppError> {
        const MAX_PARAMS: usize = 30_000; // SQLite allows 32,766, PostgreSQL 65,535
        let dialect = self.dialect();
        let per_chunk = MAX_PARAMS / cols;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = Sql::new(head);
            for (i, row) in rows.by_ref().take(per_chunk).enumerate() {
                let values = sql.values_row(dialect, row);
                sql.push(if i == 0 { " VALUES " } else { ", " })
                    .push(&values);
            }
            self.execute(&sql).await?;
        }
        Ok(())
    }

    /// Every row of `sql`, in the transaction.
    #[track_caller]
    pub fn fetch_all<'a, T: AnyRow + 'a>(
        &'a mut self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<Vec<T>, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let rows = match self {
                Tx::Sqlite(tx, _) => {
                    bind_sqlite_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                        .fetch_all(&mut **tx)
                        .await
                }
                Tx::Postgres(tx) => {
                    bind_pg_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                        .fetch_all(&mut **tx)
                        .await
                }
            };
            rows.map_err(|e| failed(e, at, sql))
        }
    }

    /// The first row of `sql`, if any, in the transaction.
    #[track_caller]
    pub fn fetch_optional<'a, T: AnyRow + 'a>(
        &'a mut self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<Option<T>, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            self.try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))
        }
    }

    async fn try_fetch_optional<T: AnyRow>(&mut self, sql: &Sql) -> Result<Option<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx, _) => {
                bind_sqlite_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                    .fetch_optional(&mut **tx)
                    .await
            }
            Tx::Postgres(tx) => {
                bind_pg_as(sqlx::query_as::<_, T>(&sql.text), &sql.args)
                    .fetch_optional(&mut **tx)
                    .await
            }
        }
    }

    /// Runs a query whose single row has a single integer column.
    #[track_caller]
    pub fn fetch_i64<'a>(
        &'a mut self,
        sql: &'a Sql,
    ) -> impl Future<Output = Result<i64, AppError>> + Send + 'a {
        let at = Location::caller();
        async move {
            let row = self
                .try_fetch_optional(sql)
                .await
                .map_err(|e| failed(e, at, sql))?;
            one_integer(row, sql)
        }
    }

    /// On SQLite, makes this transaction's commit skip the automatic WAL
    /// checkpoint (SQLite's default runs one in any commit that leaves more
    /// than 1,000 pages in the log). A bulk action's chunks each write tens
    /// of megabytes to the log; checkpointing after every chunk cost 0.2–0.35 s
    /// of a 100,000-post delete, and the run calls [`Db::checkpoint`] once at
    /// the end instead. The pool restores the setting when the connection is
    /// released. On PostgreSQL, does nothing.
    pub async fn defer_checkpoint(&mut self) -> Result<(), AppError> {
        if let Tx::Sqlite(tx, _) = self {
            sqlx::query("PRAGMA wal_autocheckpoint = 0")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), AppError> {
        match self {
            Tx::Sqlite(tx, _) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls back now. Dropping a transaction also rolls it back, but
    /// sqlx only queues the `ROLLBACK` on the connection, which goes back to
    /// the pool still inside the transaction until its next use: whatever
    /// the transaction holds (a PostgreSQL advisory lock, SQLite's write
    /// lock) stays held meanwhile. A purge that found nothing to do kept
    /// the purge lock that way, and the next purge, on another connection,
    /// found it taken and did nothing. Use this where a transaction that
    /// took a lock ends without a commit. A failure is logged: the
    /// connection is closed then, which ends the transaction too.
    pub async fn rollback(self) {
        let done = match self {
            Tx::Sqlite(tx, _) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "rollback failed");
        }
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a
/// `LIKE … ESCAPE '\'` pattern.
pub fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn bind_appends_its_own_placeholder() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(7)
            .push(" AND b = ")
            .bind("x")
            .push(" AND c = ")
            .bind(String::from("y"));
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        assert_eq!(
            sql.args,
            vec![Arg::Int(7), Arg::Text("x".into()), Arg::Text("y".into())]
        );
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        let a = sql.arg(Arg::Int(1));
        let b = sql.arg(Arg::Text("x".into()));
        assert_eq!((a.as_str(), b.as_str()), ("$1", "$2"));
        let row = sql.values_row(Dialect::Postgres, vec![Arg::Int(3), Arg::Int(4)]);
        assert_eq!(row, "($3, $4)");
        assert_eq!(
            Sql::new("").values_row(Dialect::Sqlite, vec![Arg::Int(1), Arg::Int(2)]),
            "(?, ?)"
        );
    }
}
