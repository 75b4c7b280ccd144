//! Sign in with Discord and roles from Discord, through the real router
//! and a stand-in Discord on loopback (`support/discord`), on both
//! databases. Time moves with the fixture's injectable clock.

mod support;

use app::db_test;
use app::domain::discord::link::{self, LinkInput};
use app::domain::discord::{Discord, DiscordConfig};
use app::domain::secret_box::SecretBox;
use app::domain::test_support::{Fixture, PASSWORD};
use app::domain::{scope, Clock, Db, Sql};
use app::model::query::encode_component;
use app::model::Role;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use serde_json::json;
use support::discord::{Membership, Standin};
use support::test_app::{Reply, TestApp};

/// The Discord server linked to guild alpha, and its Moderators role.
const SERVER: &str = "111111111111111111";
const MODERATORS: &str = "222222222222222222";
const NELLY: &str = "80351110224678912";
const KEY: &str = "a-test-secret-key-of-more-than-32-characters";
const REDIRECT: &str = "http://localhost:3000/auth/discord/callback";

struct World {
    app: TestApp,
    discord: Standin,
}

fn in_server(roles: &[&str], owner: bool, permissions: u64) -> Membership {
    Membership {
        server_id: SERVER.into(),
        server_name: "Alpha's Discord".into(),
        owner,
        permissions,
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

/// Guild alpha linked to [`SERVER`] (Moderators are editors, everyone else
/// views) and Nelly, a Discord user the stand-in knows.
async fn world(db: Db) -> World {
    let discord = Standin::start().await;
    let mut fx = Fixture::new(db).await;
    fx.state.discord = Some(Discord::new(
        DiscordConfig {
            client_id: discord.client_id.clone(),
            client_secret: discord.client_secret.clone(),
            redirect_url: REDIRECT.into(),
            api_base: discord.api_base(),
        },
        SecretBox::new(KEY).unwrap(),
    ));
    let admin = fx.scope(&fx.admin, "alpha").await;
    let rules = LinkInput {
        server_id: SERVER.into(),
        editor_roles: format!("{MODERATORS} Moderators"),
        members_can_view: true,
    };
    link::save(fx.db(), &fx.state.clock, &admin, &rules, true)
        .await
        .unwrap();
    discord.add_person(NELLY, "nelly", Some("Nelly"));
    World {
        app: TestApp::around(fx, |_| {}),
        discord,
    }
}

fn set_cookie<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap())
}

impl World {
    fn db(&self) -> &Db {
        self.app.fx.db()
    }

    /// Starts a sign-in; returns Discord's consent URL and the browser's cookie.
    async fn start(&self, next: &str) -> (String, String) {
        let res = self
            .app
            .send(
                Request::get(format!("/auth/discord?next={}", encode_component(next)))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let cookie = set_cookie(&res, "gt_discord").expect("a binding cookie");
        (res.location().to_string(), cookie.to_string())
    }

    /// Discord sends the browser back to `url` with `cookie`.
    async fn back(&self, url: &str, cookie: &str) -> Reply {
        let path = url
            .strip_prefix("http://localhost:3000")
            .expect("our callback");
        self.app
            .send(
                Request::get(path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
    }

    /// The whole round trip, consenting as `person` (or cancelling).
    async fn sign_in_with_discord(&self, next: &str, person: Option<&str>) -> Reply {
        let (consent, cookie) = self.start(next).await;
        let back = self.discord.consent_as(&consent, person).await;
        self.back(&back, &cookie).await
    }

    /// Signs Nelly in and returns her session cookie.
    async fn nelly_signs_in(&self) -> String {
        let res = self
            .sign_in_with_discord("/g/alpha/posts", Some(NELLY))
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.location());
        assert_eq!(res.location(), "/g/alpha/posts");
        set_cookie(&res, "gt_session")
            .expect("a session")
            .to_string()
    }

    /// The role the session's user has in alpha, or the status that says
    /// they have none.
    async fn role_in_alpha(&self, cookie: &str) -> Result<String, StatusCode> {
        let res = self
            .app
            .call(Some(cookie), "guild_context", json!({"guild": "alpha"}))
            .await;
        if res.status != StatusCode::OK {
            return Err(res.status);
        }
        Ok(res.json()["guild"]["role"].as_str().unwrap().to_string())
    }

    async fn count(&self, sql: &str) -> i64 {
        self.db().fetch_i64(&Sql::new(sql)).await.unwrap()
    }

    fn later(&self, minutes: i64) {
        self.app.fx.clock.advance(Duration::minutes(minutes));
    }
}

db_test!(
    a_member_of_the_linked_server_signs_in_with_discord_with_the_role_its_rules_give,
    |db: Db| async move {
        let w = world(db).await;
        w.discord
            .join(NELLY, in_server(&[MODERATORS], false, 0x400));

        let (consent, _) = w.start("/g/alpha/posts").await;
        let cookie = w.nelly_signs_in().await;

        let query = consent.split_once('?').unwrap().1;
        for part in [
            "response_type=code",
            "scope=identify%20guilds%20guilds.members.read",
            "code_challenge_method=S256",
            "client_id=1234567890",
        ] {
            assert!(query.contains(part), "{part} missing from {query}");
        }
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("editor".into()));
        // Named from Discord, with no password, and the tokens sealed.
        assert_eq!(
            w.count(
                "SELECT COUNT(*) FROM users WHERE discord_id = '80351110224678912' \
                     AND username = 'nelly' AND display_name = 'Nelly' AND password_hash = ''"
            )
            .await,
            1
        );
        assert_eq!(
            w.count(
                "SELECT COUNT(*) FROM users WHERE discord_tokens LIKE '%access%' \
                     OR discord_tokens LIKE '%refresh%'"
            )
            .await,
            0
        );
        assert_eq!(
            w.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'member' \
                     AND summary = 'Joined as editor (Discord role Moderators)'"
            )
            .await,
            1
        );
    }
);

db_test!(
    a_wrong_replayed_or_foreign_state_signs_no_one_in,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));

        let made_up = w
            .back(&format!("{REDIRECT}?code=code1&state=0123"), "gt_discord=x")
            .await;
        assert_eq!(made_up.location(), "/login?error=discord_state&next=%2F");

        // Started in one browser, finished in another (login CSRF).
        let (consent, _) = w.start("/g/alpha").await;
        let back = w.discord.consent_as(&consent, Some(NELLY)).await;
        let other_browser = w.back(&back, "gt_discord=someone-elses").await;
        assert_eq!(
            other_browser.location(),
            "/login?error=discord_state&next=%2F"
        );
        assert!(set_cookie(&other_browser, "gt_session").is_none());

        // A state works once.
        let (consent, cookie) = w.start("/g/alpha").await;
        let back = w.discord.consent_as(&consent, Some(NELLY)).await;
        assert_eq!(w.back(&back, &cookie).await.location(), "/g/alpha");
        let replay = w.back(&back, &cookie).await;
        assert!(replay.location().starts_with("/login?error=discord_state"));

        // An expired one does not work either.
        let (consent, cookie) = w.start("/g/alpha").await;
        let back = w.discord.consent_as(&consent, Some(NELLY)).await;
        w.later(11);
        assert!(w
            .back(&back, &cookie)
            .await
            .location()
            .starts_with("/login?error=discord_state"));
    }
);

db_test!(
    cancelling_on_discord_goes_back_to_the_sign_in_page_and_says_so,
    |db: Db| async move {
        let w = world(db).await;
        let res = w.sign_in_with_discord("/g/alpha/posts", None).await;
        assert_eq!(
            res.location(),
            "/login?error=discord_declined&next=%2Fg%2Falpha%2Fposts"
        );
        assert_eq!(
            w.count("SELECT COUNT(*) FROM users WHERE discord_id IS NOT NULL")
                .await,
            0
        );
    }
);

db_test!(
    someone_in_no_linked_server_is_told_to_ask_for_an_invitation_and_nothing_is_created,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(
            NELLY,
            Membership {
                server_id: "999999999999999999".into(),
                ..in_server(&[], true, 0x8)
            },
        );
        let res = w.sign_in_with_discord("/", Some(NELLY)).await;
        assert!(res
            .location()
            .starts_with("/login?error=discord_no_servers"));
        assert!(set_cookie(&res, "gt_session").is_none());
        assert_eq!(
            w.count("SELECT COUNT(*) FROM users WHERE discord_id IS NOT NULL")
                .await,
            0
        );
        assert_eq!(w.count("SELECT COUNT(*) FROM oauth_states").await, 0);
    }
);

db_test!(
    a_rate_limit_is_waited_out_when_short_and_reported_when_long,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));

        w.discord.rate_limit(1, 0.2);
        w.nelly_signs_in().await;

        w.discord.rate_limit(1, 30.0);
        let res = w.sign_in_with_discord("/g/alpha", Some(NELLY)).await;
        assert_eq!(
            res.location(),
            "/login?error=discord_busy&seconds=30&next=%2Fg%2Falpha"
        );
    }
);

db_test!(
    discord_being_down_during_sign_in_is_said_and_changes_nothing,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        let (consent, cookie) = w.start("/g/alpha").await;
        let back = w.discord.consent_as(&consent, Some(NELLY)).await;
        w.discord.set_down(true);
        let res = w.back(&back, &cookie).await;
        assert!(res.location().starts_with("/login?error=discord_down"));
        assert_eq!(
            w.count("SELECT COUNT(*) FROM users WHERE discord_id IS NOT NULL")
                .await,
            0
        );
    }
);

db_test!(
    a_member_removed_from_the_server_is_out_within_15_minutes,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        let cookie = w.nelly_signs_in().await;
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("viewer".into()));

        w.discord.leave(NELLY, SERVER);
        w.later(14);
        assert_eq!(
            w.role_in_alpha(&cookie).await,
            Ok("viewer".into()),
            "not due yet"
        );
        w.later(1);
        assert_eq!(w.role_in_alpha(&cookie).await, Err(StatusCode::NOT_FOUND));
        assert_eq!(
            w.count(
                "SELECT COUNT(*) FROM audit_log WHERE summary = \
                     'Left the guild as viewer (no longer given by Discord)'"
            )
            .await,
            1
        );
    }
);

db_test!(
    a_changed_discord_role_changes_the_guild_role_within_15_minutes,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        let cookie = w.nelly_signs_in().await;

        w.discord.set_roles(NELLY, SERVER, &[MODERATORS]);
        w.later(15);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("editor".into()));

        w.discord.join(NELLY, in_server(&[], false, 0x20));
        w.later(15);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("admin".into()));
    }
);

db_test!(
    when_discord_is_down_the_last_answer_stands_for_an_hour_then_access_pauses,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        let cookie = w.nelly_signs_in().await;
        w.discord.set_down(true);

        w.later(16);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("viewer".into()));
        w.later(44);
        assert_eq!(
            w.role_in_alpha(&cookie).await,
            Ok("viewer".into()),
            "60 minutes"
        );
        w.later(1);
        let paused = w
            .app
            .call(Some(&cookie), "guild_context", json!({"guild": "alpha"}))
            .await;
        assert_eq!(paused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            paused
                .body
                .contains("could not confirm your Discord membership"),
            "{}",
            paused.body
        );
        let page = w
            .app
            .send_as(Method::GET, "/g/alpha/posts", &cookie, &[], Body::empty())
            .await;
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.body.contains("Access paused"));

        // Asked again a minute after the last try, not on every request.
        w.discord.set_down(false);
        assert_eq!(
            w.role_in_alpha(&cookie).await,
            Err(StatusCode::SERVICE_UNAVAILABLE)
        );
        w.later(1);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("viewer".into()));
    }
);

db_test!(
    an_expired_access_token_is_refreshed_and_a_revoked_one_ends_only_discords_roles,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.set_token_lifetime(60);
        w.discord.join(NELLY, in_server(&[], false, 0));
        let cookie = w.nelly_signs_in().await;
        // An admin also gave Nelly a role in beta by hand.
        let nelly = w
            .count("SELECT id FROM users WHERE username = 'nelly'")
            .await;
        scope::set_membership(w.db(), w.app.fx.clock.now(), "beta", nelly, Role::Viewer)
            .await
            .unwrap();

        w.later(15);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("viewer".into()));
        let refreshes = w
            .discord
            .calls()
            .iter()
            .filter(|c| *c == "POST /oauth2/token")
            .count();
        assert_eq!(refreshes, 2, "the code, then one refresh");

        w.discord.revoke(NELLY);
        w.later(15);
        assert_eq!(w.role_in_alpha(&cookie).await, Err(StatusCode::NOT_FOUND));
        let beta = w
            .app
            .call(Some(&cookie), "guild_context", json!({"guild": "beta"}))
            .await;
        assert_eq!(beta.status, StatusCode::OK, "a role given by hand stays");
    }
);

db_test!(
    a_role_set_by_hand_raises_a_member_above_discord_and_never_lowers_them,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[MODERATORS], false, 0));
        let cookie = w.nelly_signs_in().await;
        let nelly = w
            .count("SELECT id FROM users WHERE username = 'nelly'")
            .await;
        let now = w.app.fx.clock.now();

        scope::set_membership(w.db(), now, "alpha", nelly, Role::Viewer)
            .await
            .unwrap();
        assert_eq!(
            w.role_in_alpha(&cookie).await,
            Ok("editor".into()),
            "never lowered"
        );
        scope::set_membership(w.db(), now, "alpha", nelly, Role::Admin)
            .await
            .unwrap();
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("admin".into()), "raised");

        // Discord no longer gives anything: the manual role stays.
        w.discord.leave(NELLY, SERVER);
        w.later(15);
        assert_eq!(w.role_in_alpha(&cookie).await, Ok("admin".into()));
    }
);

db_test!(
    a_password_user_links_discord_and_an_account_is_never_taken_from_another,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[MODERATORS], false, 0));
        let viewer = w.app.sign_in("viewer").await;

        let start = w
            .app
            .send_as(
                Method::GET,
                "/auth/discord/link",
                &viewer,
                &[],
                Body::empty(),
            )
            .await;
        assert_eq!(start.status, StatusCode::SEE_OTHER);
        let binding = set_cookie(&start, "gt_discord").unwrap().to_string();
        let back = w.discord.consent_as(start.location(), Some(NELLY)).await;
        let linked = w.back(&back, &binding).await;
        assert_eq!(linked.location(), "/");
        assert_eq!(w.role_in_alpha(&viewer).await, Ok("editor".into()));
        assert_eq!(
            w.count("SELECT COUNT(*) FROM users WHERE username = 'viewer' AND discord_id = '80351110224678912'").await,
            1
        );
        // The password still works, and the name is still theirs.
        assert_eq!(
            w.count(
                "SELECT COUNT(*) FROM users WHERE username = 'viewer' AND display_name = 'viewer'"
            )
            .await,
            1
        );

        // The editor cannot take the same Discord account.
        let editor = w.app.sign_in("editor").await;
        let start = w
            .app
            .send_as(
                Method::GET,
                "/auth/discord/link",
                &editor,
                &[],
                Body::empty(),
            )
            .await;
        let binding = set_cookie(&start, "gt_discord").unwrap().to_string();
        let back = w.discord.consent_as(start.location(), Some(NELLY)).await;
        assert!(w
            .back(&back, &binding)
            .await
            .location()
            .starts_with("/login?error=discord_taken"));
    }
);

db_test!(
    a_user_who_signed_up_with_discord_has_no_password_to_guess,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        w.nelly_signs_in().await;
        for password in ["", "x", PASSWORD] {
            let res = w
                .app
                .post_login(&format!("username=nelly&password={password}"), &[])
                .await;
            assert!(res.location().starts_with("/login?error=1"), "{password:?}");
        }
    }
);

db_test!(
    the_link_is_an_admins_setting_checked_and_verified_by_an_admin_of_the_server,
    |db: Db| async move {
        let w = world(db).await;
        let save = |cookie: String, server_id: &'static str| {
            let app = &w.app;
            async move {
                app.call(
                    Some(&cookie),
                    "save_guild_discord_link",
                    json!({"guild": "alpha", "server_id": server_id, "editor_roles": "", "members_can_view": true}),
                )
                .await
            }
        };
        let editor = w.app.sign_in("editor").await;
        assert_eq!(save(editor, SERVER).await.status, StatusCode::FORBIDDEN);
        let admin = w.app.sign_in("admin").await;
        let bad = save(admin.clone(), "my-server").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("Copy Server ID"), "{}", bad.body);

        let outsider = w.app.sign_in("outsider").await;
        let taken = w
            .app
            .call(
                Some(&outsider),
                "save_guild_discord_link",
                json!({"guild": "beta", "server_id": SERVER, "editor_roles": "", "members_can_view": true}),
            )
            .await;
        assert_eq!(taken.status, StatusCode::BAD_REQUEST);
        assert!(taken.body.contains("already linked to another guild"));

        let link = |cookie: String| {
            let app = &w.app;
            async move {
                app.call(
                    Some(&cookie),
                    "guild_discord_link",
                    json!({"guild": "alpha"}),
                )
                .await
                .json()
            }
        };
        assert_eq!(
            link(admin.clone()).await["server_name"],
            json!(null),
            "unverified"
        );
        // The server's owner signs in with Discord: the link is verified.
        w.discord.join(NELLY, in_server(&[], true, 0));
        w.nelly_signs_in().await;
        let verified = link(admin).await;
        assert_eq!(verified["server_name"], json!("Alpha's Discord"));
        assert_eq!(verified["editor_roles"][0]["name"], json!("Moderators"));
    }
);

#[tokio::test]
async fn the_sign_in_page_offers_discord_only_when_it_is_configured() {
    let t = app::domain::test_support::TestDb::sqlite().await;
    let w = world(t.db.clone()).await;
    let with = w.app.call(None, "discord_sign_in_enabled", json!({})).await;
    assert_eq!(with.body, "true");
    let other = app::domain::test_support::TestDb::sqlite().await;
    let without = TestApp::new(other.db.clone()).await;
    let res = without
        .call(None, "discord_sign_in_enabled", json!({}))
        .await;
    assert_eq!(res.body, "false");
    let start = without
        .send(
            Request::get("/auth/discord?next=/g")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(start.location(), "/login?error=discord_off&next=%2Fg");
}

db_test!(
    a_pages_requests_at_once_ask_discord_once,
    |db: Db| async move {
        let w = world(db).await;
        w.discord.join(NELLY, in_server(&[], false, 0));
        let cookie = w.nelly_signs_in().await;
        w.later(15);

        let (a, b, c) = tokio::join!(
            w.role_in_alpha(&cookie),
            w.role_in_alpha(&cookie),
            w.role_in_alpha(&cookie)
        );
        assert_eq!(
            [a, b, c],
            [
                Ok("viewer".to_string()),
                Ok("viewer".into()),
                Ok("viewer".into())
            ]
        );
        let asked = w
            .discord
            .calls()
            .iter()
            .filter(|c| *c == "GET /users/@me")
            .count();
        assert_eq!(asked, 2, "once at sign-in, once for the three requests");
    }
);

db_test!(
    an_invitation_link_is_redeemed_over_http_after_signing_in_with_discord,
    |db: Db| async move {
        let w = world(db).await;
        // Omar is in no linked server: only the invitation lets him in.
        w.discord
            .add_person("300000000000000002", "omar", Some("Omar"));
        let admin = w.app.sign_in("admin").await;
        let made = w
            .app
            .call(
                Some(&admin),
                "create_invitation",
                json!({"guild": "alpha", "request": {"role": "editor", "days": 7, "single_use": true}}),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let path = made.json()["path"].as_str().unwrap().to_string();
        let token = path.strip_prefix("/invite/").unwrap().to_string();

        // Signed out, the link says what it offers, and its page renders.
        let preview = w
            .app
            .call(None, "preview_invitation", json!({"token": token}))
            .await;
        assert_eq!(preview.json()["guild_name"], json!("Guild alpha"));
        assert_eq!(preview.json()["signed_in"], json!(false));
        let page = w
            .app
            .send(Request::get(&path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let refused = w
            .app
            .call(None, "redeem_invitation", json!({"token": token}))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

        // Signing in with Discord on the way to the link creates the user.
        let back = w
            .sign_in_with_discord(&path, Some("300000000000000002"))
            .await;
        assert_eq!(back.location(), path);
        let omar = set_cookie(&back, "gt_session").unwrap().to_string();
        let joined = w
            .app
            .call(Some(&omar), "redeem_invitation", json!({"token": token}))
            .await;
        assert_eq!(
            joined.json(),
            json!({"guild_slug": "alpha", "role": "editor"})
        );
        assert_eq!(w.role_in_alpha(&omar).await, Ok("editor".into()));

        let again = w
            .app
            .call(Some(&omar), "redeem_invitation", json!({"token": token}))
            .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert!(again.body.contains("already been used"), "{}", again.body);
    }
);
