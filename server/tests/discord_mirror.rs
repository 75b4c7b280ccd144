//! The audit log posted to a Discord channel: settings through the server
//! functions, posts queued with their audit entries and sent by the
//! outbox, against the stand-in Discord's webhooks, on both databases.
//! Time moves with the fixture's clock; the outbox loop is driven by hand.

mod support;

use app::db_test;
use app::domain::discord::bot::Outbound;
use app::domain::discord::outbox::{self, Kind, Outcome, Settled};
use app::domain::export::service;
use app::domain::test_support::count;
use app::domain::{trash, Arg, Db};
use app::model::{Entity, ExportFormat, ExportRequest, ExportScope};
use chrono::Duration;
use serde_json::{json, Value};
use support::discord::Standin;
use support::test_app::{Reply, TestApp};

const KEY: &str = "a-test-secret-key-of-more-than-32-characters";
const PUBLIC_URL: &str = "http://guildtrack.test";
const HOOK: &str = "900000000000000001";

struct World {
    app: TestApp,
    discord: Standin,
    out: Outbound,
    admin: String,
}

async fn world(db: Db) -> World {
    let discord = Standin::start().await;
    let mut fx = app::domain::test_support::Fixture::new(db).await;
    let out = Outbound::new(KEY, PUBLIC_URL, &discord.api_base()).unwrap();
    fx.state.outbound = Some(out.clone());
    let app = TestApp::around(fx, |_| {});
    let admin = app.sign_in("admin").await;
    World {
        app,
        discord,
        out,
        admin,
    }
}

impl World {
    fn db(&self) -> &Db {
        self.app.fx.db()
    }

    async fn save(&self, cookie: &str, webhook_url: &str, kinds: &[&str], enabled: bool) -> Reply {
        self.app
            .call(
                Some(cookie),
                "save_audit_mirror",
                json!({"guild": "alpha", "webhook_url": webhook_url, "kinds": kinds, "enabled": enabled}),
            )
            .await
    }

    /// The admin has the guild's log posted to the stand-in's channel.
    async fn mirror(&self, kinds: &[&str]) {
        let url = self.discord.create_webhook(HOOK);
        let res = self.save(&self.admin, &url, kinds, true).await;
        assert_eq!(res.status, 200, "{}", res.body);
    }

    async fn settings(&self) -> Value {
        let res = self
            .app
            .call(Some(&self.admin), "audit_mirror", json!({"guild": "alpha"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.json()
    }

    /// An export of everything by the admin: one "export" summary.
    async fn export(&self) {
        let fx = &self.app.fx;
        let scope = fx.scope(&fx.admin, "alpha").await;
        let req = ExportRequest {
            entity: Entity::Posts,
            format: ExportFormat::Csv,
            scope: ExportScope::All,
            filename: String::new(),
            confirm: None,
        };
        service::start(&fx.state, &scope, req).await.unwrap();
    }

    async fn deliver(&self, sender: &str) -> Vec<Settled> {
        let mut tried = Vec::new();
        loop {
            let fx = &self.app.fx;
            match outbox::deliver_one(fx.db(), &self.out, sender, || fx.state.clock.now())
                .await
                .unwrap()
            {
                Outcome::EmptyQueue => return tried,
                Outcome::Tried { kind, settled, .. } => {
                    assert_eq!(kind, Kind::Audit);
                    tried.push(settled);
                }
            }
        }
    }

    fn advance(&self, by: Duration) {
        self.app.fx.clock.advance(by);
    }
}

db_test!(
    a_chosen_summary_is_posted_once_as_an_embed_that_links_to_its_entry,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export", "member"]).await;

        w.export().await;
        let sent = w.deliver("s").await;

        assert_eq!(sent, vec![Settled::Sent]);
        let posts = w.discord.posts();
        assert_eq!(posts.len(), 1, "one post, never the items");
        let embed = &posts[0].1["embeds"][0];
        assert_eq!(embed["title"], "Export");
        assert!(
            embed["description"].as_str().unwrap().contains("120 posts"),
            "{embed}"
        );
        let fields: Vec<(String, String)> = embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().into(),
                    f["value"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                ("Member".into(), "admin".into()),
                ("Count".into(), "120".into())
            ]
        );
        let id = count(
            w.db(),
            "SELECT MAX(id) FROM audit_log WHERE action = 'export'",
            vec![],
        )
        .await;
        assert_eq!(
            embed["url"],
            format!(
                "{PUBLIC_URL}/g/alpha/settings/audit?action=export&from=2026-02-07&to=2026-02-07#audit-entry-{id}"
            )
        );
        assert_eq!(posts[0].1["allowed_mentions"], json!({"parse": []}));
    }
);

db_test!(
    the_webhook_url_is_kept_sealed_and_never_shown_again,
    |db: Db| async move {
        let w = world(db).await;
        let url = w.discord.create_webhook(HOOK);

        w.save(&w.admin, &url, &["export"], true).await;
        let settings = w.settings().await;

        let token = url.rsplit('/').next().unwrap();
        assert_eq!(settings["webhook_hint"], format!("…/webhooks/{HOOK}/…Q4xZ"));
        assert!(!settings.to_string().contains(token));
        let in_clear = count(
            w.db(),
            "SELECT COUNT(*) FROM audit_mirrors WHERE webhook_sealed LIKE $1 OR webhook_hint LIKE $1",
            vec![Arg::Text(format!("%{token}%"))],
        )
        .await;
        assert_eq!(in_clear, 0);
        let logged = count(
            w.db(),
            "SELECT COUNT(*) FROM audit_log WHERE summary LIKE $1",
            vec![Arg::Text(format!("%{token}%"))],
        )
        .await;
        assert_eq!(logged, 0);
        // Saved again without a URL: the saved one stays.
        let kept = w.save(&w.admin, "", &["export", "delete"], true).await;
        assert_eq!(kept.json()["webhook_hint"], settings["webhook_hint"]);
    }
);

db_test!(
    only_admins_set_it_and_only_to_a_discord_webhook,
    |db: Db| async move {
        let w = world(db).await;
        let editor = w.app.sign_in("editor").await;

        let as_editor = w
            .save(&editor, &w.discord.create_webhook(HOOK), &["export"], true)
            .await;
        let elsewhere = w
            .save(
                &w.admin,
                "https://evil.example/api/webhooks/1/x",
                &["export"],
                true,
            )
            .await;
        let nothing_chosen = w
            .save(&w.admin, &w.discord.create_webhook(HOOK), &[], true)
            .await;

        assert_eq!(as_editor.status, 403);
        assert_eq!(elsewhere.status, 400);
        assert!(
            elsewhere
                .body
                .contains("That is not a Discord webhook URL."),
            "{}",
            elsewhere.body
        );
        assert_eq!(nothing_chosen.status, 400);
        assert!(nothing_chosen.body.contains("Choose at least one kind"));
        assert_eq!(
            count(w.db(), "SELECT COUNT(*) FROM audit_mirrors", vec![]).await,
            0
        );
    }
);

db_test!(
    posts_go_in_order_waiting_out_429s_and_retrying_5xx,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export"]).await;
        for _ in 0..3 {
            w.export().await;
            w.advance(Duration::seconds(1));
        }
        w.discord.fail_next_webhooks(&[429, 502]);

        let first = w.deliver("a").await;
        assert!(
            matches!(first[..], [Settled::Retrying(_)]),
            "a 429 holds the stream: {first:?}"
        );
        w.advance(Duration::seconds(1));
        let second = w.deliver("a").await;
        assert!(matches!(second[..], [Settled::Retrying(_)]), "{second:?}");
        w.advance(Duration::seconds(2));
        let (a, b) = tokio::join!(w.deliver("a"), w.deliver("b"));

        assert_eq!(a.len() + b.len(), 3);
        assert_eq!(w.discord.posts().len(), 3, "each once");
        // Oldest first: no post finished before an older one.
        let sent_order = count(
            w.db(),
            "SELECT COUNT(*) FROM discord_outbox a JOIN discord_outbox b ON a.id < b.id \
             WHERE a.status = 'sent' AND b.status = 'sent' AND a.finished_at > b.finished_at",
            vec![],
        )
        .await;
        assert_eq!(sent_order, 0, "never a newer post before an older one");
    }
);

db_test!(
    a_post_held_by_a_server_that_died_goes_when_its_claim_lapses,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export"]).await;
        w.export().await;
        let fx = &w.app.fx;

        // A server claims it, then dies before sending.
        let held = outbox::claim_next(fx.db(), "dead", fx.state.clock.now())
            .await
            .unwrap();
        assert!(held.is_some());
        assert!(w.deliver("b").await.is_empty(), "still held");
        w.advance(Duration::seconds(61));
        let sent = w.deliver("b").await;

        assert_eq!(sent, vec![Settled::Sent]);
        assert_eq!(w.discord.posts().len(), 1);
    }
);

db_test!(
    a_post_failing_for_24_hours_is_given_up_and_shown_in_the_settings,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export"]).await;
        w.export().await;
        w.discord.fail_next_webhooks(&[503]);
        assert!(matches!(w.deliver("s").await[..], [Settled::Retrying(_)]));

        w.advance(Duration::hours(25));
        w.discord.fail_next_webhooks(&[503]);
        let last = w.deliver("s").await;

        assert!(
            matches!(&last[..], [Settled::Failed(why)] if why.contains("gave up after 2 tries")),
            "{last:?}"
        );
        let settings = w.settings().await;
        assert_eq!(settings["failures"][0]["title"], "Export");
        assert!(settings["failures"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("Discord answered HTTP 503"));
        assert_eq!(settings["enabled"], true, "a failure does not turn it off");
    }
);

db_test!(
    a_deleted_webhook_turns_mirroring_off_and_tells_the_admins,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export"]).await;
        w.export().await;
        w.export().await;
        w.discord.delete_webhook(HOOK);

        let tried = w.deliver("s").await;
        w.export().await;

        assert_eq!(tried, vec![Settled::Gone], "the second is not tried");
        let settings = w.settings().await;
        assert_eq!(settings["enabled"], false);
        assert!(settings["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("the webhook no longer exists"));
        let told = count(
            w.db(),
            "SELECT COUNT(*) FROM audit_log WHERE action = 'settings' AND summary LIKE 'Stopped posting%'",
            vec![],
        )
        .await;
        assert_eq!(told, 1);
        let waiting = count(
            w.db(),
            "SELECT COUNT(*) FROM discord_outbox WHERE status = 'pending'",
            vec![],
        )
        .await;
        assert_eq!(waiting, 0, "nothing more is queued for a dead webhook");
    }
);

db_test!(
    the_automatic_purge_is_posted_once_with_its_whole_count,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["auto_purge"]).await;
        let fx = &w.app.fx;
        let long_ago = fx.state.clock.now() - Duration::days(40);
        trash::sample::trash_backdated(fx.db(), "alpha", 25, long_ago)
            .await
            .unwrap();

        // 25 posts, 10 a step: three steps revise one entry.
        trash::purge::purge_expired_in_steps(fx.db(), fx.state.trash_window(), 10)
            .await
            .unwrap();
        assert!(
            w.deliver("s").await.is_empty(),
            "it waits for the purge to settle"
        );
        w.advance(Duration::seconds(31));
        let sent = w.deliver("s").await;

        assert_eq!(sent, vec![Settled::Sent]);
        let posts = w.discord.posts();
        let embed = &posts[0].1["embeds"][0];
        assert_eq!(embed["title"], "Automatic purge");
        assert!(
            embed["description"].as_str().unwrap().contains("25 posts"),
            "{embed}"
        );
        assert_eq!(embed["fields"][0]["value"], "Guildtrack (automatic)");
    }
);

db_test!(
    the_test_message_reaches_the_channel_or_says_why_not,
    |db: Db| async move {
        let w = world(db).await;
        w.mirror(&["export"]).await;

        let ok = w
            .app
            .call(
                Some(&w.admin),
                "test_audit_mirror",
                json!({"guild": "alpha"}),
            )
            .await;
        w.discord.delete_webhook(HOOK);
        let gone = w
            .app
            .call(
                Some(&w.admin),
                "test_audit_mirror",
                json!({"guild": "alpha"}),
            )
            .await;

        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.json(), json!("Sent: check the channel in Discord."));
        assert_eq!(
            w.discord.posts()[0].1["embeds"][0]["title"],
            "Guildtrack test message"
        );
        assert_eq!(gone.status, 400);
        assert!(gone
            .body
            .contains("Discord says this webhook does not exist"));
    }
);
