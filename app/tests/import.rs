//! Import of Guildtrack's own exports, on both backends: the round trip
//! (export, import into an empty guild, export again: the same items), the
//! dry run that writes nothing, bad files refused with a sentence before
//! anything is written, rejected items beside the rest, cancelling part
//! way, the audit entries, who may import, and an import whose server
//! stopped.

use app::db_test;
use app::domain::export::blob::{Disposition, Fetched};
use app::domain::export::service::{self, Download};
use app::domain::import::{self, run::Ended};
use app::domain::scope::set_membership;
use app::domain::seed::{seed_guild, SeedSpec};
use app::domain::test_support::{count, test_epoch, Fixture, TempDir};
use app::domain::{Arg, GuildScope, Sql};
use app::error::AppError;
use app::model::{
    Entity, ExportFormat, ExportRequest, ExportScope, ExportStarted, ImportJob, ImportStatus, Role,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Exports everything of `entity` from the scope's guild; the file's path.
async fn export(fx: &Fixture, scope: &GuildScope, entity: Entity, format: ExportFormat) -> PathBuf {
    let req = ExportRequest {
        entity,
        format,
        scope: ExportScope::All,
        filename: String::new(),
        confirm: None,
    };
    let ExportStarted::Ready(job) = service::start(&fx.state, scope, req).await.unwrap() else {
        panic!("the fixture's exports are instant");
    };
    let Download::Ready { key, job } = service::download(&fx.state, scope, job.id).await.unwrap()
    else {
        panic!("no file");
    };
    let how = Disposition {
        filename: &job.filename,
        content_type: job.format.content_type(),
    };
    match fx.state.exports.blobs.fetch(&key, how).await.unwrap() {
        Fetched::File(p) => p,
        Fetched::Redirect(u) => panic!("redirected to {u}"),
    }
}

/// A new empty guild with the fixture's admin as its admin.
async fn empty_guild(fx: &Fixture, slug: &str) -> GuildScope {
    let spec = SeedSpec {
        slug: slug.into(),
        name: format!("Guild {slug}"),
        brands: 0,
        groups: 0,
        accounts: 0,
        posts: 0,
        seed: 1,
        anchor: test_epoch(),
    };
    seed_guild(fx.db(), &spec).await.unwrap();
    set_membership(fx.db(), test_epoch(), slug, fx.admin.id, Role::Admin)
        .await
        .unwrap();
    fx.scope(&fx.admin, slug).await
}

/// Uploads `path` as the upload route does (a copy: the store takes the
/// file), checks it, and answers the job as the check left it.
async fn upload(fx: &Fixture, scope: &GuildScope, path: &Path) -> Result<ImportJob, AppError> {
    let dir = TempDir::new("upload");
    let copy = dir.0.join("upload.part");
    std::fs::copy(path, &copy).unwrap();
    let size = std::fs::metadata(&copy).unwrap().len();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let job = import::accept(&fx.state, scope, &name, &copy, size).await?;
    import::run::check(&fx.state, scope, job.id).await;
    Ok(import::jobs::get(fx.db(), scope, job.id).await.unwrap())
}

/// Checks, confirms with the dry run's count and imports `path`.
async fn import_file(fx: &Fixture, scope: &GuildScope, path: &Path) -> ImportJob {
    let job = upload(fx, scope, path).await.unwrap();
    assert_eq!(job.status, ImportStatus::Ready, "{job:?}");
    let typed = job.dry_run.as_ref().unwrap().items().to_string();
    import::confirm(&fx.state, scope, job.id, &typed)
        .await
        .unwrap();
    assert_eq!(
        import::run::apply(&fx.state, scope, job.id).await,
        Ended::Completed
    );
    import::jobs::get(fx.db(), scope, job.id).await.unwrap()
}

/// A JSON export's items without their ids, sorted by what identifies
/// them across guilds.
fn items_of_json(path: &Path) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut items: Vec<Value> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().unwrap().remove("id");
            i
        })
        .collect();
    items.sort_by_key(|i| i.to_string());
    items
}

/// A CSV export's rows without the ID column, sorted.
fn rows_of_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().skip(1).map(String::from).collect())
        .collect();
    rows.sort();
    rows
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.0.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

db_test!(
    an_export_imported_into_an_empty_guild_exports_again_the_same,
    |db| async move {
        let fx = Fixture::new(db).await;
        let alpha = fx.scope(&fx.admin, "alpha").await;
        let json_copy = empty_guild(&fx, "gamma").await;
        let csv_copy = empty_guild(&fx, "delta").await;
        let mut originals = Vec::new();
        for entity in [Entity::Accounts, Entity::Posts] {
            let json = export(&fx, &alpha, entity, ExportFormat::Json).await;
            let csv = export(&fx, &alpha, entity, ExportFormat::Csv).await;
            originals.push((entity, json, csv));
        }

        for (_, json, csv) in &originals {
            let j = import_file(&fx, &json_copy, json).await;
            let c = import_file(&fx, &csv_copy, csv).await;
            for job in [j, c] {
                assert_eq!(job.status, ImportStatus::Done, "{job:?}");
                let done = job.outcome.unwrap();
                assert_eq!((done.updated, done.rejected), (0, 0), "{done:?}");
                assert_eq!(done.created, job.total.unwrap());
            }
        }

        for (entity, json, csv) in &originals {
            let again = export(&fx, &json_copy, *entity, ExportFormat::Json).await;
            let want = items_of_json(json);
            assert!(!want.is_empty());
            assert_eq!(items_of_json(&again), want, "{entity:?} through JSON");
            let again = export(&fx, &csv_copy, *entity, ExportFormat::Csv).await;
            assert_eq!(
                rows_of_csv(&again),
                rows_of_csv(csv),
                "{entity:?} through CSV"
            );
        }
        // The fixture's captions include formulas, quotes and new lines:
        // the CSV's formula guard came off on the way in.
        let guarded = count(
            fx.db(),
            "SELECT COUNT(*) FROM posts p JOIN guilds g ON g.id = p.guild_id \
             WHERE g.slug = 'delta' AND p.caption LIKE '''%'",
            vec![],
        )
        .await;
        assert_eq!(guarded, 0);
    }
);

db_test!(
    the_dry_run_counts_what_would_change_and_writes_nothing,
    |db| async move {
        let fx = Fixture::new(db).await;
        let alpha = fx.scope(&fx.admin, "alpha").await;
        let gamma = empty_guild(&fx, "gamma").await;
        let accounts = export(&fx, &alpha, Entity::Accounts, ExportFormat::Json).await;
        let in_gamma = |table: &'static str| {
            let db = fx.db().clone();
            async move {
                count(
                    &db,
                    &format!("SELECT COUNT(*) FROM {table} t JOIN guilds g ON g.id = t.guild_id WHERE g.slug = 'gamma'"),
                    vec![],
                )
                .await
            }
        };

        let job = upload(&fx, &gamma, &accounts).await.unwrap();

        assert_eq!(job.status, ImportStatus::Ready);
        assert_eq!(job.entity, Some(Entity::Accounts));
        let dry = job.dry_run.clone().unwrap();
        assert_eq!((dry.created, dry.updated, dry.rejected), (12, 0, 0));
        // Every group and brand the file names, once each.
        let names = |key: &str| {
            let mut n: Vec<String> = items_of_json(&accounts)
                .iter()
                .filter_map(|i| i[key].as_str().map(String::from))
                .collect();
            n.sort();
            n.dedup();
            n
        };
        let (mut groups, mut brands) = (dry.groups.clone(), dry.brands.clone());
        groups.sort();
        brands.sort();
        assert_eq!((groups, brands), (names("group"), names("brand")));
        assert!(!dry.groups.is_empty() && !dry.brands.is_empty());
        assert!(dry
            .sentence(Entity::Accounts)
            .starts_with("12 accounts: 12 new, 0 update existing"));
        for table in ["accounts", "account_groups", "brands"] {
            assert_eq!(in_gamma(table).await, 0, "{table} written by a dry run");
        }

        // A wrong count is refused; the right one starts it.
        let wrong = import::confirm(&fx.state, &gamma, job.id, "11").await;
        assert!(
            matches!(wrong, Err(AppError::Invalid(ref s)) if s.contains("Type 12")),
            "{wrong:?}"
        );
        import_file_again(&fx, &gamma, job.id).await;
        assert_eq!(in_gamma("accounts").await, 12);

        // The same file again changes nothing.
        let again = upload(&fx, &gamma, &accounts).await.unwrap();
        let dry = again.dry_run.unwrap();
        assert_eq!((dry.created, dry.updated, dry.unchanged), (0, 0, 12));
        assert!(dry.groups.is_empty() && dry.brands.is_empty());
    }
);

/// Confirms and runs a checked import.
async fn import_file_again(fx: &Fixture, scope: &GuildScope, id: i64) {
    let job = import::jobs::get(fx.db(), scope, id).await.unwrap();
    let typed = job.dry_run.unwrap().items().to_string();
    import::confirm(&fx.state, scope, id, &typed).await.unwrap();
    assert_eq!(
        import::run::apply(&fx.state, scope, id).await,
        Ended::Completed
    );
    let second = import::confirm(&fx.state, scope, id, &typed).await;
    assert!(
        matches!(second, Err(AppError::Conflict(_))),
        "confirmed twice: {second:?}"
    );
}

db_test!(
    bad_files_are_refused_with_a_sentence_before_anything_is_written,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("bad-imports");
        let cases = [
            (
                "notes.txt",
                "hello, world\nthis is not an export\n",
                "not in the layout",
            ),
            ("list.json", "[{\"handle\": \"x\"}]", "bare list"),
            (
                "v2.json",
                "{\"format_version\": 2, \"entity\": \"posts\", \"items\": []}",
                "format_version 2",
            ),
            (
                "no-version.json",
                "{\"entity\": \"posts\", \"items\": []}",
                "no format_version",
            ),
            (
                "unknown.csv",
                "\u{feff}Platform,Handle,Shoe size\r\ntiktok,a,44\r\n",
                "“Shoe size”",
            ),
            ("empty.csv", "", "empty"),
        ];
        for (name, text, says) in cases {
            let path = write(&dir, name, text);

            let refused = upload(&fx, &gamma, &path).await;

            match refused {
                Err(AppError::Invalid(why)) => assert!(why.contains(says), "{name}: {why}"),
                other => panic!("{name} was not refused: {other:?}"),
            }
        }
        assert_eq!(
            count(fx.db(), "SELECT COUNT(*) FROM import_jobs", vec![]).await,
            0
        );

        // Refused part way (a field an export has not, in item 2, or a cut-off
        // document): found by the dry run, so nothing is ever written.
        let items = json!([
            {"platform": "tiktok", "handle": "fine.one"},
            {"platform": "tiktok", "handle": "odd.one", "shoe_size": 44}
        ]);
        let head = "{\"format_version\": 1, \"entity\": \"accounts\", \"items\": ";
        let late = write(&dir, "late.json", &format!("{head}{items}}}"));
        let cut = write(
            &dir,
            "cut.json",
            &format!("{head}[{{\"platform\": \"tiktok\", \"handle\": \"a\"}}, {{\"platf"),
        );
        for (path, says) in [
            (late, "Item 2 has a field"),
            (cut, "could not be read at line 1"),
        ] {
            let job = upload(&fx, &gamma, &path).await.unwrap();
            assert_eq!(job.status, ImportStatus::Failed);
            assert!(
                job.error.as_deref().unwrap().contains(says),
                "{:?}",
                job.error
            );
            let confirm = import::confirm(&fx.state, &gamma, job.id, "2").await;
            assert!(matches!(confirm, Err(AppError::Conflict(_))));
        }
        assert_eq!(
        count(fx.db(), "SELECT COUNT(*) FROM accounts a JOIN guilds g ON g.id = a.guild_id WHERE g.slug = 'gamma'", vec![]).await,
        0
    );
    }
);

db_test!(
    bad_items_are_rejected_by_place_and_the_rest_imported,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("imports");
        let csv = "Platform,Handle,Display name,Followers,Group\r\n\
               tiktok,luna,Luna,1000,Dancers\r\n\
               tiktok,has space,Bad,5,\r\n\
               tiktok,sol,Sol,-3,\r\n\
               tiktok,luna,Luna again,7,\r\n\
               tiktok,mar,Mar,12,Dancers\r\n";
        let path = write(&dir, "accounts.csv", csv);

        let job = import_file(&fx, &gamma, &path).await;

        let done = job.outcome.clone().unwrap();
        assert_eq!((done.created, done.rejected), (2, 3), "{done:?}");
        assert_eq!(done.groups, vec!["Dancers".to_string()]);
        let said = done.rejections.join("\n");
        assert!(said.contains("line 3: Handle:"), "{said}");
        assert!(
            said.contains("line 4: Followers: must be a whole number ≥ 0"),
            "{said}"
        );
        assert!(
            said.contains("line 5: the same account as line 2"),
            "{said}"
        );
        assert!(
            job.result_text().starts_with("Imported 5 accounts: 2 new"),
            "{}",
            job.result_text()
        );
    }
);

db_test!(
    an_import_is_audited_as_a_summary_and_an_entry_per_item,
    |db| async move {
        let fx = Fixture::new(db).await;
        let alpha = fx.scope(&fx.admin, "alpha").await;
        let gamma = empty_guild(&fx, "gamma").await;
        let accounts = export(&fx, &alpha, Entity::Accounts, ExportFormat::Json).await;

        let job = import_file(&fx, &gamma, &accounts).await;

        let batch = format!("import-{}", job.id);
        let summary = fx
            .db()
            .fetch_all::<(String, Option<i64>)>(&Sql::bound(
                "SELECT summary, item_count FROM audit_log WHERE batch_id = $1 AND target_id IS NULL",
                vec![Arg::Text(batch.clone())],
            ))
            .await
            .unwrap();
        assert_eq!(summary.len(), 1);
        assert!(
            summary[0].0.contains("12 accounts: 12 new"),
            "{}",
            summary[0].0
        );
        assert_eq!(summary[0].1, Some(12));
        let items = count(
            fx.db(),
            "SELECT COUNT(*) FROM audit_log WHERE batch_id = $1 AND action = 'import.item' \
             AND target_id IN (SELECT id FROM accounts)",
            vec![Arg::Text(batch)],
        )
        .await;
        assert_eq!(items, 12);
    }
);

db_test!(
    a_cancelled_import_keeps_what_it_wrote_and_says_how_far_it_got,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("imports");
        let items: Vec<Value> = (0..2500)
            .map(|i| json!({"platform": "youtube", "handle": format!("chan{i}")}))
            .collect();
        let doc = json!({"format_version": 1, "entity": "accounts", "items": items});
        let path = write(&dir, "many.json", &doc.to_string());
        let job = upload(&fx, &gamma, &path).await.unwrap();
        import::confirm(&fx.state, &gamma, job.id, "2,500")
            .await
            .unwrap();

        // Asked to stop before it runs: it stops after its first batch.
        import::cancel(&fx.state, &gamma, job.id).await.unwrap();
        let ended = import::run::apply(&fx.state, &gamma, job.id).await;

        assert_eq!(ended, Ended::Cancelled);
        let job = import::jobs::get(fx.db(), &gamma, job.id).await.unwrap();
        assert_eq!(job.status, ImportStatus::Cancelled);
        assert_eq!(job.outcome.as_ref().unwrap().created, 1000);
        assert!(
            job.result_text()
                .starts_with("Stopped after 1,000 of 2,500 accounts"),
            "{}",
            job.result_text()
        );
        assert_eq!(
            count(
                fx.db(),
                "SELECT COUNT(*) FROM accounts WHERE handle LIKE 'chan%'",
                vec![]
            )
            .await,
            1000
        );
    }
);

db_test!(only_admins_import, |db| async move {
    let fx = Fixture::new(db).await;
    let dir = TempDir::new("imports");
    let path = write(&dir, "a.csv", "Platform,Handle\r\ntiktok,luna\r\n");
    for user in [&fx.editor, &fx.viewer] {
        let scope = fx.scope(user, "alpha").await;

        let refused = upload(&fx, &scope, &path).await;

        assert!(
            matches!(refused, Err(AppError::Forbidden(_))),
            "{refused:?}"
        );
    }
});

db_test!(
    an_import_whose_server_stopped_is_closed_as_interrupted,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("imports");
        let path = write(&dir, "a.csv", "Platform,Handle\r\ntiktok,luna\r\n");
        let job = upload(&fx, &gamma, &path).await.unwrap();
        import::confirm(&fx.state, &gamma, job.id, "1")
            .await
            .unwrap();
        // Running, as its server left it; then a minute and more of silence.

        fx.clock.advance(chrono::Duration::seconds(61));
        let closed = import::recover_stale(&fx.state).await.unwrap();

        assert_eq!(closed, 1);
        let job = import::jobs::get(fx.db(), &gamma, job.id).await.unwrap();
        assert_eq!(job.status, ImportStatus::Interrupted);
        assert_eq!(
            count(
                fx.db(),
                "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND summary LIKE '%interrupted%'",
                vec![]
            )
            .await,
            1
        );
    }
);

/// The files under the store's `imports/` folder.
fn stored_uploads(fx: &Fixture) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(&fx.export_dir.0.join("files").join("imports"), &mut out);
    out
}

db_test!(
    an_uploaded_file_is_kept_until_its_import_ends_or_a_day_unconfirmed,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("imports");
        let path = write(&dir, "a.csv", "Platform,Handle\r\ntiktok,luna\r\n");

        // Imported: the file goes once the import has ended.
        let done = import_file(&fx, &gamma, &path).await;
        assert_eq!(done.status, ImportStatus::Done);
        assert!(stored_uploads(&fx).is_empty(), "{:?}", stored_uploads(&fx));

        // Checked, then left: kept for a day, then cancelled and removed.
        let waiting = upload(&fx, &gamma, &path).await.unwrap();
        assert_eq!(stored_uploads(&fx).len(), 1);
        fx.clock.advance(chrono::Duration::hours(23));
        import::recover_stale(&fx.state).await.unwrap();
        assert_eq!(
            import::jobs::get(fx.db(), &gamma, waiting.id)
                .await
                .unwrap()
                .status,
            ImportStatus::Ready
        );
        fx.clock.advance(chrono::Duration::hours(2));
        import::recover_stale(&fx.state).await.unwrap();
        let dropped = import::jobs::get(fx.db(), &gamma, waiting.id)
            .await
            .unwrap();
        assert_eq!(dropped.status, ImportStatus::Cancelled);
        assert!(
            dropped.result_text().contains("Not confirmed within a day"),
            "{}",
            dropped.result_text()
        );
        assert!(stored_uploads(&fx).is_empty());

        // Cancelled while it waits: at once, and nothing was written.
        let waiting = upload(&fx, &gamma, &path).await.unwrap();
        let cancelled = import::cancel(&fx.state, &gamma, waiting.id).await.unwrap();
        assert_eq!(cancelled.status, ImportStatus::Cancelled);
        assert!(stored_uploads(&fx).is_empty());
    }
);

db_test!(
    a_cancel_that_crosses_the_end_of_the_check_is_kept,
    |db| async move {
        let fx = Fixture::new(db).await;
        let gamma = empty_guild(&fx, "gamma").await;
        let dir = TempDir::new("imports");
        let path = write(&dir, "a.csv", "Platform,Handle\r\ntiktok,luna\r\n");
        let copy = dir.0.join("upload.part");
        std::fs::copy(&path, &copy).unwrap();
        let job = import::accept(&fx.state, &gamma, "a.csv", &copy, 30)
            .await
            .unwrap();
        // The check has read its last batch when Cancel comes in.
        import::cancel(&fx.state, &gamma, job.id).await.unwrap();

        let moved =
            import::jobs::checked(fx.db(), job.id, &Default::default(), fx.state.clock.now())
                .await
                .unwrap();

        assert!(!moved, "a cancelled check must not become ready");
        assert_eq!(
            import::jobs::get(fx.db(), &gamma, job.id)
                .await
                .unwrap()
                .status,
            ImportStatus::Checking,
            "left for the check to end as cancelled"
        );
        // And the check, run to its end, ends it so.
        assert_eq!(
            import::run::check(&fx.state, &gamma, job.id).await,
            Ended::Cancelled
        );
        assert_eq!(
            import::jobs::get(fx.db(), &gamma, job.id)
                .await
                .unwrap()
                .status,
            ImportStatus::Cancelled
        );
    }
);
