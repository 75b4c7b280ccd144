//! `/exportdata` through `POST /discord/interactions`, the outbox that
//! edits its reply, the signed download link, and command registration:
//! the real router and domain against the stand-in Discord on loopback
//! (`support/discord`), which signs the interactions it sends with its test
//! key, on both databases. Time moves with the fixture's clock; the
//! background loops are driven by hand, one turn at a time.

mod support;

use app::db_test;
use app::domain::discord::bot::{Bot, Outbound};
use app::domain::discord::interactions::PublicKey;
use app::domain::discord::link::{self, LinkInput};
use app::domain::discord::outbox::{self, Kind, Outcome, Settled};
use app::domain::discord::{exportdata, replies, sender::Sender};
use app::domain::export::blob::LocalStore;
use app::domain::export::{jobs, service};
use app::domain::test_support::{count, Fixture};
use app::domain::{Arg, Db};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};
use support::discord::{sample, Standin, BOT_TOKEN};
use support::test_app::{Reply, TestApp};

/// The Discord server linked to guild alpha, and its Moderators role.
const SERVER: &str = "111111111111111111";
const MODERATORS: &str = "222222222222222222";
const NELLY: &str = "80351110224678912";
const KEY: &str = "a-test-secret-key-of-more-than-32-characters";
const PUBLIC_URL: &str = "http://guildtrack.test";

struct World {
    app: TestApp,
    discord: Standin,
    bot: Bot,
}

/// Guild alpha linked to [`SERVER`]: Moderators are editors, members
/// without a role have no access. The bot is configured with the
/// stand-in's application.
async fn world_with(db: Db, change: impl FnOnce(&mut Fixture)) -> World {
    let discord = Standin::start().await;
    let mut fx = Fixture::new(db).await;
    let outbound = Outbound::new(KEY, PUBLIC_URL, &discord.api_base()).unwrap();
    let bot = Bot::new(
        "1234567890".into(),
        PublicKey::from_hex(&discord.public_key_hex()).unwrap(),
        outbound.clone(),
        KEY,
    )
    .unwrap();
    fx.state.bot = Some(bot.clone());
    fx.state.outbound = Some(outbound);
    change(&mut fx);
    let admin = fx.scope(&fx.admin, "alpha").await;
    let rules = LinkInput {
        server_id: SERVER.into(),
        editor_roles: format!("{MODERATORS} Moderators"),
        members_can_view: false,
    };
    link::save(fx.db(), &fx.state.clock, &admin, &rules, false)
        .await
        .unwrap();
    World {
        app: TestApp::around(fx, |_| {}),
        discord,
        bot,
    }
}

async fn world(db: Db) -> World {
    world_with(db, |_| {}).await
}

/// `/exportdata` used by Nelly in `server` with these roles, permissions
/// and options (the documented sample, changed).
fn command(server: &str, roles: &[&str], permissions: &str, options: Value) -> Value {
    let mut i = sample("interaction_command");
    i["guild_id"] = json!(server);
    i["member"]["roles"] = json!(roles);
    i["member"]["permissions"] = json!(permissions);
    i["data"]["options"] = options;
    i
}

fn options(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(name, value)| json!({"name": name, "type": 3, "value": value}))
        .collect()
}

/// A moderator's `/exportdata entity:posts format:csv`, with more options.
fn moderator_exports(extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![("entity", "posts"), ("format", "csv")];
    pairs.extend_from_slice(extra);
    command(SERVER, &[MODERATORS], "1024", options(&pairs))
}

impl World {
    fn db(&self) -> &Db {
        self.app.fx.db()
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.app.fx.state.clock.now()
    }

    /// Posts `body` to the interactions endpoint with these headers.
    async fn post(&self, body: &str, headers: &[(&str, String)]) -> Reply {
        let mut req =
            Request::post("/discord/interactions").header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        self.app
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// Sends an interaction as Discord does: signed now.
    async fn interact(&self, interaction: &Value) -> Reply {
        let body = interaction.to_string();
        let ts = self.now().timestamp();
        let sig = self.discord.sign(ts, &body);
        self.post(
            &body,
            &[
                ("x-signature-ed25519", sig),
                ("x-signature-timestamp", ts.to_string()),
            ],
        )
        .await
    }

    /// Waits for the background start of an accepted command: it has
    /// queued its first message, or begun following its export.
    async fn started(&self) {
        for _ in 0..200 {
            let queued = count(self.db(), "SELECT COUNT(*) FROM discord_outbox", vec![]).await;
            if queued > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the command queued nothing within 5 s");
    }

    /// A moderator's `/exportdata entity:posts format:csv`, answered and
    /// started.
    async fn moderator_runs_exportdata(&self) {
        self.interact(&moderator_exports(&[])).await;
        self.started().await;
    }

    /// Runs the queued exports, as a worker would.
    async fn run_exports(&self) {
        let fx = &self.app.fx;
        while let Some(job) = jobs::claim_next(fx.db(), "w", self.now()).await.unwrap() {
            service::run_claimed(&fx.state, job, "w").await;
        }
    }

    /// One turn of the replies loop.
    async fn tick(&self) -> usize {
        replies::tick(&self.app.fx.state, &self.bot).await.unwrap()
    }

    /// Sends what is due, one message after the other, as the outbox loop.
    async fn deliver(&self, sender: &str) -> Vec<(Kind, Settled)> {
        let mut tried = Vec::new();
        loop {
            let fx = &self.app.fx;
            match outbox::deliver_one(fx.db(), &self.bot.outbound, sender, || fx.state.clock.now())
                .await
                .unwrap()
            {
                Outcome::EmptyQueue => return tried,
                Outcome::Tried { kind, settled, .. } => tried.push((kind, settled)),
            }
        }
    }

    fn advance(&self, by: Duration) {
        self.app.fx.clock.advance(by);
    }

    /// The text of the reply's edits Discord took, oldest first.
    fn edit_texts(&self) -> Vec<String> {
        self.discord
            .edits()
            .into_iter()
            .map(|(_, body)| body["content"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// The path and query of the link in a reply's text (`[Download](…)`).
fn download_path(text: &str) -> String {
    let start = text.find("[Download](").expect("a download link") + "[Download](".len();
    let link = &text[start..start + text[start..].find(')').unwrap()];
    link.strip_prefix(PUBLIC_URL)
        .expect("a link to this server")
        .to_string()
}

db_test!(a_ping_is_answered_with_a_pong, |db: Db| async move {
    let w = world(db).await;

    let res = w.interact(&sample("interaction_ping")).await;

    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!({"type": 1}));
});

db_test!(
    requests_not_signed_by_discord_are_refused_before_their_body_is_read,
    |db: Db| async move {
        let w = world(db).await;
        let body = sample("interaction_ping").to_string();
        let ts = w.now().timestamp();
        let good = w.discord.sign(ts, &body);
        let signed = |sig: String, ts: i64| {
            vec![
                ("x-signature-ed25519", sig),
                ("x-signature-timestamp", ts.to_string()),
            ]
        };

        // Another key.
        let other = {
            use ed25519_dalek::Signer;
            let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
            let mut m = ts.to_string().into_bytes();
            m.extend_from_slice(body.as_bytes());
            key.sign(&m)
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let wrong_key = w.post(&body, &signed(other, ts)).await;
        // The body changed after signing.
        let changed = w
            .post(
                &body.replace("\"type\":1", "\"type\":2"),
                &signed(good.clone(), ts),
            )
            .await;
        // Signed six minutes ago.
        let old_ts = ts - 6 * 60;
        let stale = w
            .post(&body, &signed(w.discord.sign(old_ts, &body), old_ts))
            .await;
        let unsigned = w.post(&body, &[]).await;
        // Garbage that is not JSON, unsigned: 401, not 400.
        let garbage = w.post("not json", &[]).await;

        for (res, said) in [
            (&wrong_key, "invalid request signature"),
            (&changed, "invalid request signature"),
            (&stale, "request signature is too old"),
            (&unsigned, "missing request signature"),
            (&garbage, "missing request signature"),
        ] {
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{said}");
            assert_eq!(res.body, said);
        }
        // Signed garbage is read, and refused as what it is.
        let ts = w.now().timestamp();
        let signed_garbage = w
            .post("not json", &signed(w.discord.sign(ts, "not json"), ts))
            .await;
        assert_eq!(signed_garbage.status, StatusCode::BAD_REQUEST);
    }
);

db_test!(
    a_server_not_linked_to_a_guild_is_told_so_privately,
    |db: Db| async move {
        let w = world(db).await;

        let res = w
            .interact(&command(
                "999999999999999999",
                &[],
                "8",
                options(&[("entity", "posts"), ("format", "csv")]),
            ))
            .await;

        let answer = res.json();
        assert_eq!(answer["type"], 4);
        assert_eq!(answer["data"]["flags"], 64, "only the member sees it");
        assert!(answer["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("This server is not linked to a Guildtrack guild yet."));
        assert_eq!(
            count(w.db(), "SELECT COUNT(*) FROM export_jobs", vec![]).await,
            0
        );
    }
);

db_test!(
    a_member_whose_roles_give_no_access_is_refused_and_gets_no_account,
    |db: Db| async move {
        let w = world(db).await;

        // No editor role, no Manage Server, and members without a role
        // have no access in alpha.
        let res = w
            .interact(&command(
                SERVER,
                &["333"],
                "1024",
                options(&[("entity", "posts"), ("format", "csv")]),
            ))
            .await;

        let answer = res.json();
        assert_eq!(answer["type"], 4);
        assert!(answer["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("You have no access to this guild's data"));
        let nellys = count(
            w.db(),
            "SELECT COUNT(*) FROM users WHERE discord_id = $1",
            vec![Arg::Text(NELLY.into())],
        )
        .await;
        assert_eq!(nellys, 0);
        assert_eq!(
            count(w.db(), "SELECT COUNT(*) FROM export_jobs", vec![]).await,
            0
        );
    }
);

db_test!(
    options_that_match_nothing_are_refused_rather_than_ignored,
    |db: Db| async move {
        let w = world(db).await;

        let brand = w
            .interact(&moderator_exports(&[("brand", "No Such Brand")]))
            .await;
        let account = w
            .interact(&command(
                SERVER,
                &[MODERATORS],
                "0",
                options(&[
                    ("entity", "accounts"),
                    ("format", "csv"),
                    ("account", "@kai"),
                ]),
            ))
            .await;
        let handle = w
            .interact(&moderator_exports(&[("account", "@nobody")]))
            .await;

        let text = |r: &Reply| r.json()["data"]["content"].as_str().unwrap().to_string();
        assert_eq!(
            text(&brand),
            "Guild alpha has no brand named “No Such Brand”."
        );
        assert!(text(&account).starts_with("The account option picks one account's posts"));
        assert_eq!(text(&handle), "Guild alpha has no account @nobody.");
        assert_eq!(
            count(w.db(), "SELECT COUNT(*) FROM export_jobs", vec![]).await,
            0
        );
    }
);

db_test!(
    a_moderators_export_is_deferred_then_the_reply_links_to_the_file,
    |db: Db| async move {
        let w = world(db).await;

        let res = w.interact(&moderator_exports(&[])).await;

        // Within Discord's 3 seconds: deferred, seen only by the member.
        assert_eq!(res.json(), json!({"type": 5, "data": {"flags": 64}}));
        w.started().await;
        // Nothing goes before Discord has the deferred answer.
        assert!(w.deliver("s").await.is_empty());
        w.advance(Duration::seconds(2));
        let sent = w.deliver("s").await;
        assert_eq!(sent, vec![(Kind::Reply, Settled::Sent)]);

        // The reply names the file, its rows and size, and links to it.
        let edits = w.discord.edits();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].0, "A_UNIQUE_TOKEN");
        assert_eq!(edits[0].1["allowed_mentions"], json!({"parse": []}));
        let text = w.edit_texts().remove(0);
        assert!(
            text.starts_with("`alpha-posts-") && text.contains(".csv` is ready: 120 posts, "),
            "{text}"
        );
        assert!(text.contains("(the link works for 15 minutes)"), "{text}");

        // The link downloads the file without a session.
        let file = w
            .app
            .send(
                Request::get(download_path(&text))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
        let mut rows = csv::Reader::from_reader(file.body.as_bytes());
        assert_eq!(rows.records().count(), 120);

        // The history says who asked, and where; Nelly is now a member
        // with the role her Discord role gives, and it is all audited.
        let (job, _) = jobs::get_unscoped(w.db(), 1).await.unwrap();
        assert_eq!(job.requested_by, "nelly");
        assert_eq!(job.via.as_deref(), Some(exportdata::VIA));
        let audited = count(
            w.db(),
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('export', 'member')",
            vec![],
        )
        .await;
        assert_eq!(audited, 2, "the export and Nelly's joining");
        let role = count(
            w.db(),
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE u.discord_id = $1 AND m.role = 'editor'",
            vec![Arg::Text(NELLY.into())],
        )
        .await;
        assert_eq!(role, 1);
    }
);

db_test!(
    a_background_export_shows_its_progress_and_ends_with_its_link,
    |db: Db| async move {
        let w = world_with(db, |fx| fx.state.exports.instant_limit = 10).await;

        w.moderator_runs_exportdata().await;
        w.advance(Duration::seconds(2));
        w.deliver("s").await;
        // Unchanged text, or too soon after the last: no new edit.
        assert_eq!(w.tick().await, 0);
        w.run_exports().await;
        assert_eq!(w.tick().await, 1, "the last edit goes at once");
        w.deliver("s").await;
        assert_eq!(w.tick().await, 0, "and nothing after it");

        let texts = w.edit_texts();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(
            texts[0].starts_with("Queued: starting… `alpha-posts-"),
            "{texts:?}"
        );
        assert!(texts[1].contains("is ready: 120 posts"), "{texts:?}");
        let file = w
            .app
            .send(
                Request::get(download_path(&texts[1]))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(file.status, StatusCode::OK);
    }
);

db_test!(
    an_export_that_fails_says_why_in_the_reply,
    |db: Db| async move {
        // The store cannot keep files: every export fails at its end.
        let w = world_with(db, |fx| {
            fx.state.exports.instant_limit = 10;
            fx.state.exports.blobs = std::sync::Arc::new(LocalStore::new("/dev/null/nowhere"));
        })
        .await;

        w.moderator_runs_exportdata().await;
        w.run_exports().await;
        w.advance(Duration::seconds(6));
        w.tick().await;
        w.deliver("s").await;

        let texts = w.edit_texts();
        let last = texts.last().unwrap();
        assert!(
            last.contains("failed: The file could not be stored (the export storage failed)."),
            "{texts:?}"
        );
    }
);

db_test!(
    an_export_refused_at_its_start_says_why_in_the_reply,
    |db: Db| async move {
        let w = world(db).await;
        // A brand with no posts: nothing to export.
        w.db()
            .execute(&app::domain::Sql::bound(
                "INSERT INTO brands (guild_id, name, created_at) \
                 SELECT id, 'Empty Brand', $1 FROM guilds WHERE slug = 'alpha'",
                vec![Arg::Time(w.now())],
            ))
            .await
            .unwrap();

        w.interact(&moderator_exports(&[("brand", "empty brand")]))
            .await;
        w.started().await;
        w.advance(Duration::seconds(2));
        w.deliver("s").await;

        assert_eq!(
            w.edit_texts(),
            vec!["Could not export: No posts match, so there is nothing to export.".to_string()]
        );
    }
);

db_test!(
    an_export_still_running_at_14_minutes_says_where_the_file_will_be,
    |db: Db| async move {
        let w = world_with(db, |fx| fx.state.exports.instant_limit = 10).await;

        w.moderator_runs_exportdata().await;
        w.advance(Duration::minutes(14));
        assert_eq!(w.tick().await, 1);
        w.deliver("s").await;
        w.run_exports().await;
        w.advance(Duration::seconds(30));

        assert_eq!(
            w.tick().await,
            0,
            "the token is about to expire: no more edits"
        );
        let texts = w.edit_texts();
        let last = texts.last().unwrap();
        assert!(
            last.starts_with("Still working on `alpha-posts-"),
            "{texts:?}"
        );
        assert!(
            last.contains(&format!("[Exports page]({PUBLIC_URL}/g/alpha/exports)")),
            "{last}"
        );
    }
);

db_test!(
    a_reply_whose_token_expired_while_the_server_was_down_gets_no_edit,
    |db: Db| async move {
        let w = world_with(db, |fx| fx.state.exports.instant_limit = 10).await;
        w.moderator_runs_exportdata().await;
        w.advance(Duration::seconds(2));
        w.deliver("s").await;

        // Down from 1 to 16 minutes: the 14-minute edit never went.
        w.advance(Duration::minutes(16));
        w.run_exports().await;

        assert_eq!(w.tick().await, 0);
        assert!(w.deliver("s").await.is_empty());
        assert_eq!(w.edit_texts().len(), 1, "only the first edit");
        let open = count(
            w.db(),
            "SELECT COUNT(*) FROM discord_replies WHERE finished = FALSE",
            vec![],
        )
        .await;
        assert_eq!(open, 0);
    }
);

db_test!(
    discords_429s_and_5xx_are_retried_and_never_fail_the_export,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.fail_next_webhooks(&[429, 502]);

        w.moderator_runs_exportdata().await;
        w.advance(Duration::seconds(2));
        let first = w.deliver("s").await;
        // 429 asked for 0.2 s.
        assert!(
            matches!(first[..], [(Kind::Reply, Settled::Retrying(_))]),
            "{first:?}"
        );
        w.advance(Duration::seconds(1));
        let second = w.deliver("s").await;
        assert!(
            matches!(second[..], [(Kind::Reply, Settled::Retrying(_))]),
            "{second:?}"
        );
        // The second try's failure waits 2 s.
        w.advance(Duration::seconds(1));
        assert!(w.deliver("s").await.is_empty(), "not before its back-off");
        w.advance(Duration::seconds(1));
        let third = w.deliver("s").await;

        assert_eq!(third, vec![(Kind::Reply, Settled::Sent)]);
        assert_eq!(w.discord.edits().len(), 1);
        let (job, _) = jobs::get_unscoped(w.db(), 1).await.unwrap();
        assert_eq!(job.status, app::model::JobStatus::Done);
    }
);

db_test!(
    an_edit_discord_no_longer_takes_is_given_up_not_retried,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.expire_token("A_UNIQUE_TOKEN");

        w.moderator_runs_exportdata().await;
        w.advance(Duration::seconds(2));
        let tried = w.deliver("s").await;

        assert_eq!(tried, vec![(Kind::Reply, Settled::Gone)]);
        w.advance(Duration::minutes(1));
        assert!(w.deliver("s").await.is_empty());
        let failed = count(
            w.db(),
            "SELECT COUNT(*) FROM discord_outbox WHERE status = 'failed' AND error LIKE '%404%'",
            vec![],
        )
        .await;
        assert_eq!(failed, 1);
    }
);

db_test!(
    messages_of_a_stream_go_in_order_and_two_senders_never_send_one_twice,
    |db: Db| async move {
        let w = world(db).await;
        let now = w.now();
        // 5 replies with 4 messages each.
        let mut tx = w.db().begin_write().await.unwrap();
        for reply in 0..5 {
            for n in 0..4 {
                let msg = outbox::Message {
                    guild_id: 1,
                    stream: format!("reply:test{reply}"),
                    kind: Kind::Reply,
                    method: "PATCH",
                    target_sealed: w
                        .bot
                        .outbound
                        .secrets
                        .seal(&w.bot.original_reply_url(&format!("token{reply}"))),
                    audit_id: None,
                    body: json!({"content": format!("{reply}-{n}")}).to_string(),
                    not_before: now,
                    give_up_at: now + Duration::minutes(15),
                };
                outbox::enqueue(&mut tx, &msg, now).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        // One failure holds back the rest of its stream.
        w.discord.fail_next_webhooks(&[502]);

        let (a, b) = tokio::join!(w.deliver("instance-a"), w.deliver("instance-b"));
        w.advance(Duration::seconds(5));
        let (c, d) = tokio::join!(w.deliver("instance-a"), w.deliver("instance-b"));

        let tries = a.len() + b.len() + c.len() + d.len();
        assert_eq!(tries, 21, "20 messages, one of them twice");
        let edits = w.discord.edits();
        assert_eq!(edits.len(), 20, "each sent once");
        for reply in 0..5 {
            let seen: Vec<String> = edits
                .iter()
                .filter(|(t, _)| *t == format!("token{reply}"))
                .map(|(_, b)| b["content"].as_str().unwrap().to_string())
                .collect();
            let expected: Vec<String> = (0..4).map(|n| format!("{reply}-{n}")).collect();
            assert_eq!(seen, expected, "in order");
        }
    }
);

db_test!(
    a_shared_link_that_was_changed_or_has_expired_opens_nothing,
    |db: Db| async move {
        let w = world(db).await;
        w.moderator_runs_exportdata().await;
        w.advance(Duration::seconds(2));
        w.deliver("s").await;
        let path = download_path(&w.edit_texts()[0]);

        let other_job = w
            .app
            .send(
                Request::get(path.replace("/shared/1?", "/shared/2?"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        w.advance(Duration::minutes(16));
        let late = w
            .app
            .send(Request::get(&path).body(Body::empty()).unwrap())
            .await;

        assert_eq!(other_job.status, StatusCode::FORBIDDEN);
        assert!(other_job.body.contains("This link is not valid"));
        assert_eq!(late.status, StatusCode::GONE);
        assert!(late
            .body
            .contains("Download links from Discord work for 15 minutes."));
    }
);

#[tokio::test]
async fn registering_the_commands_overwrites_the_applications_commands() {
    let discord = Standin::start().await;
    let sender = Sender::new();

    let registered = sender
        .register_commands(
            &discord.api_base(),
            "1234567890",
            BOT_TOKEN,
            &exportdata::definitions(),
        )
        .await
        .unwrap();
    let refused = sender
        .register_commands(
            &discord.api_base(),
            "1234567890",
            "wrong",
            &exportdata::definitions(),
        )
        .await;

    assert_eq!(registered, discord.registered_commands().unwrap());
    let command = &registered[0];
    assert_eq!(command["name"], "exportdata");
    let names: Vec<&str> = command["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["entity", "format", "platform", "brand", "group", "account"]
    );
    assert!(refused.unwrap_err().contains("DISCORD_BOT_TOKEN"));
}
