//! A stand-in Discord on loopback: exactly the documented endpoints
//! Guildtrack calls, answering with the documented payloads (`samples/`,
//! see its README for where each shape is documented), errors and 429s.
//! Tests arrange its world (users, servers, roles) and faults directly.

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub fn sample(name: &str) -> Value {
    let text = match name {
        "interaction_ping" => include_str!("samples/interaction_ping.json"),
        "interaction_command" => include_str!("samples/interaction_command.json"),
        "message" => include_str!("samples/message.json"),
        "unknown_webhook" => include_str!("samples/unknown_webhook.json"),
        "application_command" => include_str!("samples/application_command.json"),
        "access_token" => include_str!("samples/access_token.json"),
        "invalid_grant" => include_str!("samples/invalid_grant.json"),
        "user" => include_str!("samples/user.json"),
        "partial_guild" => include_str!("samples/partial_guild.json"),
        "guild_member" => include_str!("samples/guild_member.json"),
        "unknown_guild" => include_str!("samples/unknown_guild.json"),
        "unauthorized" => include_str!("samples/unauthorized.json"),
        "rate_limited" => include_str!("samples/rate_limited.json"),
        other => panic!("no sample {other}"),
    };
    serde_json::from_str(text).expect("samples are JSON")
}

/// One Discord user, and the servers they are in.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub username: String,
    pub global_name: Option<String>,
    /// The avatar hash (the sample's, unless a test says otherwise).
    pub avatar: Option<String>,
    pub servers: Vec<Membership>,
}

/// A user's place in a server: what `/users/@me/guilds` and
/// `/users/@me/guilds/{id}/member` say.
#[derive(Debug, Clone)]
pub struct Membership {
    pub server_id: String,
    pub server_name: String,
    pub owner: bool,
    pub permissions: u64,
    pub roles: Vec<String>,
}

#[derive(Debug, Default)]
struct World {
    people: HashMap<String, Person>,
    /// code → (user id, PKCE challenge, redirect_uri)
    codes: HashMap<String, (String, String, String)>,
    access: HashMap<String, String>,
    refresh: HashMap<String, String>,
    /// The next this many API calls answer 429 with this `retry_after`.
    rate_limited: (u32, f64),
    /// Every API call answers 502 (Discord is down).
    down: bool,
    /// Access tokens are issued with this lifetime (seconds).
    expires_in: i64,
    issued: u64,
    /// Each API call, as "METHOD path", for assertions.
    calls: Vec<String>,
    /// Each edit of an interaction's reply that Discord took: (token, body).
    edits: Vec<(String, Value)>,
    /// The statuses the next webhook calls answer with (429, 5xx, 404),
    /// one each, before they succeed again.
    webhook_faults: std::collections::VecDeque<u16>,
    /// Interaction tokens Discord no longer knows (expired).
    dead_tokens: Vec<String>,
    /// What the last bulk overwrite registered.
    commands: Option<Value>,
    /// Channel webhooks: id → token, and what was posted to each.
    webhooks: HashMap<String, String>,
    posts: Vec<(String, Value)>,
}

/// The bot token the stand-in accepts for command registration.
pub const BOT_TOKEN: &str = "stand-in-bot-token";

/// The stand-in's application signs interactions with this key.
fn signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42; 32])
}

pub struct Standin {
    pub base: String,
    world: Arc<Mutex<World>>,
    pub client_id: String,
    pub client_secret: String,
}

type Shared = Arc<Mutex<World>>;

impl Standin {
    pub async fn start() -> Standin {
        Self::start_on("127.0.0.1:0").await
    }

    /// On a fixed address (the browser tests' stand-in).
    pub async fn start_on(addr: &str) -> Standin {
        let world: Shared = Arc::new(Mutex::new(World {
            expires_in: 604_800,
            ..World::default()
        }));
        let app = Router::new()
            .route("/oauth2/authorize", get(consent_page).post(consent))
            // Browsers ask every site for one; a 404 would be a console error.
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .route("/api/v10/oauth2/token", axum::routing::post(token))
            .route("/api/v10/users/@me", get(me))
            .route("/api/v10/users/@me/guilds", get(my_guilds))
            .route("/api/v10/users/@me/guilds/{id}/member", get(my_member))
            .route(
                "/api/v10/webhooks/{app}/{token}/messages/@original",
                axum::routing::patch(edit_original),
            )
            // Not Discord's: what the stand-in took, for a person or a
            // browser test looking from outside the process.
            .route("/_standin/messages", get(recorded))
            .route(
                "/api/v10/webhooks/{id}/{token}",
                axum::routing::post(execute_webhook),
            )
            .route(
                "/api/v10/applications/{app}/commands",
                axum::routing::put(overwrite_commands),
            )
            .with_state(world.clone());
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the stand-in Discord");
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("stand-in Discord serves");
        });
        Standin {
            base,
            world,
            client_id: "1234567890".into(),
            client_secret: "stand-in-secret".into(),
        }
    }

    pub fn api_base(&self) -> String {
        format!("{}/api/v10", self.base)
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().unwrap())
    }

    pub fn add_person(&self, id: &str, username: &str, global_name: Option<&str>) {
        self.with(|w| {
            w.people.insert(
                id.into(),
                Person {
                    id: id.into(),
                    username: username.into(),
                    global_name: global_name.map(str::to_string),
                    avatar: sample("user")["avatar"].as_str().map(str::to_string),
                    servers: Vec::new(),
                },
            )
        });
    }

    /// Gives a person no avatar (Discord's CDN is not reachable from the
    /// browser tests).
    pub fn without_avatar(&self, person: &str) {
        self.with(|w| {
            if let Some(p) = w.people.get_mut(person) {
                p.avatar = None;
            }
        });
    }

    /// Puts a person in a server (or updates their place in it).
    pub fn join(&self, person: &str, m: Membership) {
        self.with(|w| {
            let p = w.people.get_mut(person).expect("known person");
            p.servers.retain(|s| s.server_id != m.server_id);
            p.servers.push(m);
        });
    }

    pub fn leave(&self, person: &str, server_id: &str) {
        self.with(|w| {
            if let Some(p) = w.people.get_mut(person) {
                p.servers.retain(|s| s.server_id != server_id);
            }
        });
    }

    pub fn set_roles(&self, person: &str, server_id: &str, roles: &[&str]) {
        self.with(|w| {
            let p = w.people.get_mut(person).expect("known person");
            let s = p
                .servers
                .iter_mut()
                .find(|s| s.server_id == server_id)
                .expect("in the server");
            s.roles = roles.iter().map(|r| r.to_string()).collect();
        });
    }

    /// The next `n` API calls answer 429 asking to wait `retry_after` s.
    pub fn rate_limit(&self, n: u32, retry_after: f64) {
        self.with(|w| w.rate_limited = (n, retry_after));
    }

    pub fn set_down(&self, down: bool) {
        self.with(|w| w.down = down);
    }

    /// The user revoked the app: every token of theirs stops working.
    pub fn revoke(&self, person: &str) {
        self.with(|w| {
            w.access.retain(|_, p| p != person);
            w.refresh.retain(|_, p| p != person);
        });
    }

    /// Access tokens issued from now on expire after `seconds`.
    pub fn set_token_lifetime(&self, seconds: i64) {
        self.with(|w| w.expires_in = seconds);
    }

    pub fn calls(&self) -> Vec<String> {
        self.with(|w| w.calls.clone())
    }

    /// The application's public key, as the Developer Portal shows it.
    pub fn public_key_hex(&self) -> String {
        hex_encode(signing_key().verifying_key().as_bytes())
    }

    /// Signs `body` as Discord does for an interaction sent at `timestamp`
    /// (unix seconds): the `X-Signature-Ed25519` value.
    pub fn sign(&self, timestamp: i64, body: &str) -> String {
        use ed25519_dalek::Signer;
        let mut signed = timestamp.to_string().into_bytes();
        signed.extend_from_slice(body.as_bytes());
        hex_encode(&signing_key().sign(&signed).to_bytes())
    }

    /// The edits of interaction replies Discord took, oldest first.
    pub fn edits(&self) -> Vec<(String, Value)> {
        self.with(|w| w.edits.clone())
    }

    /// The next webhook calls answer these statuses, one each.
    pub fn fail_next_webhooks(&self, statuses: &[u16]) {
        self.with(|w| w.webhook_faults.extend(statuses.iter().copied()));
    }

    /// Discord forgets an interaction token (its 15 minutes are over).
    pub fn expire_token(&self, token: &str) {
        self.with(|w| w.dead_tokens.push(token.into()));
    }

    /// A channel webhook, as "Copy Webhook URL" gives it.
    pub fn create_webhook(&self, id: &str) -> String {
        let token = format!("tok-{id}-Q4xZ");
        self.with(|w| w.webhooks.insert(id.into(), token.clone()));
        format!("{}/webhooks/{id}/{token}", self.api_base())
    }

    /// Someone deleted the webhook in Discord.
    pub fn delete_webhook(&self, id: &str) {
        self.with(|w| w.webhooks.remove(id));
    }

    /// What was posted to webhooks, oldest first: (webhook id, body).
    pub fn posts(&self) -> Vec<(String, Value)> {
        self.with(|w| w.posts.clone())
    }

    /// What the last registration put in place.
    pub fn registered_commands(&self) -> Option<Value> {
        self.with(|w| w.commands.clone())
    }

    /// What a user's browser does on the consent page: authorize as
    /// `person` (or cancel with `None`); returns where Discord sends the
    /// browser back.
    pub async fn consent_as(&self, authorize_url: &str, person: Option<&str>) -> String {
        let query = authorize_url.split_once('?').expect("a query").1;
        let mut form: Vec<(String, String)> = url_pairs(query);
        form.push(match person {
            Some(p) => ("person".into(), p.into()),
            None => ("cancel".into(), "1".into()),
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .post(format!("{}/oauth2/authorize", self.base))
            .form(&form)
            .send()
            .await
            .expect("consent answers");
        assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
        res.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_string()
    }
}

/// The pairs of a query string, decoded.
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                app::model::query::decode_component(k),
                app::model::query::decode_component(v),
            )
        })
        .collect()
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    scope: String,
}

/// Discord's consent page, reduced to a choice of user.
async fn consent_page(State(world): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let people: Vec<Person> = world.lock().unwrap().people.values().cloned().collect();
    let hidden = format!(
        "<input type=hidden name=client_id value=\"{}\"><input type=hidden name=redirect_uri value=\"{}\">\
         <input type=hidden name=state value=\"{}\"><input type=hidden name=code_challenge value=\"{}\">\
         <input type=hidden name=code_challenge_method value=\"{}\"><input type=hidden name=scope value=\"{}\">",
        q.client_id, q.redirect_uri, q.state, q.code_challenge, q.code_challenge_method, q.scope
    );
    let buttons: String = people
        .iter()
        .map(|p| {
            format!(
                "<button name=person value=\"{}\">Authorize as {}</button>",
                p.id, p.username
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><title>Discord (stand-in)</title><h1>Guildtrack wants to access your account</h1>\
         <p>Scopes: {}</p><form method=post action=/oauth2/authorize>{hidden}{buttons}\
         <button name=cancel value=1>Cancel</button></form>",
        q.scope
    ))
    .into_response()
}

#[derive(Deserialize)]
struct ConsentForm {
    redirect_uri: String,
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    person: Option<String>,
}

async fn consent(State(world): State<Shared>, Form(f): Form<ConsentForm>) -> Response {
    let enc = app::model::query::encode_component;
    let Some(person) = f.person else {
        return Redirect::to(&format!(
            "{}?error=access_denied&error_description={}&state={}",
            f.redirect_uri,
            enc("The resource owner or authorization server denied the request"),
            enc(&f.state)
        ))
        .into_response();
    };
    assert_eq!(
        f.code_challenge_method, "S256",
        "Guildtrack always sends PKCE"
    );
    let mut w = world.lock().unwrap();
    w.issued += 1;
    let code = format!("code{}", w.issued);
    w.codes.insert(
        code.clone(),
        (person, f.code_challenge, f.redirect_uri.clone()),
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        f.redirect_uri,
        enc(&f.state)
    ))
    .into_response()
}

fn json_status(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The fault a test arranged for this call, if any.
fn fault(w: &mut World, call: String) -> Option<Response> {
    w.calls.push(call);
    if w.down {
        return Some(json_status(
            StatusCode::BAD_GATEWAY,
            json!({"message": "502: Bad Gateway", "code": 0}),
        ));
    }
    if w.rate_limited.0 > 0 {
        w.rate_limited.0 -= 1;
        let mut body = sample("rate_limited");
        body["retry_after"] = json!(w.rate_limited.1);
        let mut res = json_status(StatusCode::TOO_MANY_REQUESTS, body);
        let h = res.headers_mut();
        h.insert(
            header::RETRY_AFTER,
            (w.rate_limited.1.ceil() as u64)
                .to_string()
                .parse()
                .unwrap(),
        );
        h.insert("x-ratelimit-scope", "user".parse().unwrap());
        return Some(res);
    }
    None
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

fn issue(w: &mut World, person: &str) -> Value {
    w.issued += 1;
    let (access, refresh) = (
        format!("access{}", w.issued),
        format!("refresh{}", w.issued),
    );
    w.access.insert(access.clone(), person.into());
    w.refresh.insert(refresh.clone(), person.into());
    let mut body = sample("access_token");
    body["access_token"] = json!(access);
    body["refresh_token"] = json!(refresh);
    body["expires_in"] = json!(w.expires_in);
    body
}

async fn token(
    State(world): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let mut w = world.lock().unwrap();
    if let Some(res) = fault(&mut w, "POST /oauth2/token".into()) {
        return res;
    }
    // Client authentication: HTTP Basic with the app's id and secret.
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("1234567890:stand-in-secret")
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&expected)
    {
        return json_status(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    let invalid = || json_status(StatusCode::BAD_REQUEST, sample("invalid_grant"));
    match f.grant_type.as_str() {
        "authorization_code" => {
            let Some((person, challenge, redirect)) =
                f.code.as_ref().and_then(|c| w.codes.remove(c))
            else {
                return invalid();
            };
            let verifier = f.code_verifier.unwrap_or_default();
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if computed != challenge || f.redirect_uri.as_deref() != Some(redirect.as_str()) {
                return invalid();
            }
            let body = issue(&mut w, &person);
            json_status(StatusCode::OK, body)
        }
        "refresh_token" => {
            let Some(person) = f.refresh_token.as_ref().and_then(|r| w.refresh.remove(r)) else {
                return invalid();
            };
            let body = issue(&mut w, &person);
            json_status(StatusCode::OK, body)
        }
        _ => json_status(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        ),
    }
}

/// The person a Bearer token belongs to.
fn bearer(w: &World, headers: &HeaderMap) -> Option<Person> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| w.access.get(t))
        .and_then(|p| w.people.get(p))
        .cloned()
}

/// What Discord answers a revoked or unknown token.
fn unauthorized() -> Response {
    json_status(StatusCode::UNAUTHORIZED, sample("unauthorized"))
}

fn user_json(p: &Person) -> Value {
    let mut u = sample("user");
    u["id"] = json!(p.id);
    u["username"] = json!(p.username);
    u["global_name"] = json!(p.global_name);
    u["avatar"] = json!(p.avatar);
    u
}

async fn me(State(world): State<Shared>, headers: HeaderMap) -> Response {
    let mut w = world.lock().unwrap();
    if let Some(res) = fault(&mut w, "GET /users/@me".into()) {
        return res;
    }
    match bearer(&w, &headers) {
        Some(p) => json_status(StatusCode::OK, user_json(&p)),
        None => unauthorized(),
    }
}

async fn my_guilds(State(world): State<Shared>, headers: HeaderMap) -> Response {
    let mut w = world.lock().unwrap();
    if let Some(res) = fault(&mut w, "GET /users/@me/guilds".into()) {
        return res;
    }
    match bearer(&w, &headers) {
        Some(p) => {
            let list: Vec<Value> = p
                .servers
                .iter()
                .map(|s| {
                    let mut g = sample("partial_guild");
                    g["id"] = json!(s.server_id);
                    g["name"] = json!(s.server_name);
                    g["owner"] = json!(s.owner);
                    g["permissions"] = json!(s.permissions.to_string());
                    g
                })
                .collect();
            json_status(StatusCode::OK, Value::Array(list))
        }
        None => unauthorized(),
    }
}

async fn my_member(
    State(world): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut w = world.lock().unwrap();
    if let Some(res) = fault(&mut w, format!("GET /users/@me/guilds/{id}/member")) {
        return res;
    }
    match bearer(&w, &headers) {
        Some(p) => match p.servers.iter().find(|s| s.server_id == id) {
            Some(s) => {
                let mut m = sample("guild_member");
                m["user"] = user_json(&p);
                m["roles"] = json!(s.roles);
                json_status(StatusCode::OK, m)
            }
            None => json_status(StatusCode::NOT_FOUND, sample("unknown_guild")),
        },
        None => unauthorized(),
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fault arranged for the next webhook call, as Discord would answer.
fn webhook_fault(w: &mut World) -> Option<Response> {
    let status = w.webhook_faults.pop_front()?;
    Some(match status {
        429 => {
            let mut body = sample("rate_limited");
            body["retry_after"] = json!(0.2);
            let mut res = json_status(StatusCode::TOO_MANY_REQUESTS, body);
            res.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().unwrap());
            res
        }
        404 => json_status(StatusCode::NOT_FOUND, sample("unknown_webhook")),
        code => json_status(
            StatusCode::from_u16(code).unwrap(),
            json!({"message": format!("{code}: stand-in fault"), "code": 0}),
        ),
    })
}

/// `PATCH /webhooks/{application.id}/{interaction.token}/messages/@original`.
async fn edit_original(
    State(world): State<Shared>,
    Path((app, token)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut w = world.lock().unwrap();
    w.calls
        .push(format!("PATCH /webhooks/{app}/…/messages/@original"));
    if let Some(res) = webhook_fault(&mut w) {
        return res;
    }
    if app != "1234567890" || w.dead_tokens.contains(&token) {
        return json_status(StatusCode::NOT_FOUND, sample("unknown_webhook"));
    }
    let mut message = sample("message");
    message["content"] = body["content"].clone();
    w.edits.push((token, body));
    json_status(StatusCode::OK, message)
}

/// `PUT /applications/{application.id}/commands` with `Authorization: Bot …`.
async fn overwrite_commands(
    State(world): State<Shared>,
    Path(app): Path<String>,
    headers: HeaderMap,
    axum::Json(commands): axum::Json<Value>,
) -> Response {
    let mut w = world.lock().unwrap();
    if let Some(res) = fault(&mut w, format!("PUT /applications/{app}/commands")) {
        return res;
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bot {BOT_TOKEN}")) {
        return unauthorized();
    }
    if app != "1234567890" {
        return json_status(
            StatusCode::NOT_FOUND,
            json!({"message": "Unknown Application", "code": 10002}),
        );
    }
    let registered: Vec<Value> = commands
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = sample("application_command");
            r["id"] = json!(format!("11087204802019246{i:02}"));
            for key in ["name", "description", "options", "contexts"] {
                if let Some(v) = c.get(key) {
                    r[key] = v.clone();
                }
            }
            r
        })
        .collect();
    w.commands = Some(Value::Array(registered.clone()));
    json_status(StatusCode::OK, Value::Array(registered))
}

/// `POST /webhooks/{webhook.id}/{webhook.token}` ("Execute Webhook").
async fn execute_webhook(
    State(world): State<Shared>,
    Path((id, token)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut w = world.lock().unwrap();
    w.calls.push(format!("POST /webhooks/{id}/…"));
    if let Some(res) = webhook_fault(&mut w) {
        return res;
    }
    if w.webhooks.get(&id) != Some(&token) {
        return json_status(StatusCode::NOT_FOUND, sample("unknown_webhook"));
    }
    w.posts.push((id, body.clone()));
    let mut message = sample("message");
    message["embeds"] = body["embeds"].clone();
    json_status(StatusCode::OK, message)
}

/// `GET /_standin/messages`: the reply edits and webhook posts taken so far.
async fn recorded(State(world): State<Shared>) -> Response {
    let w = world.lock().unwrap();
    let edits: Vec<Value> = w
        .edits
        .iter()
        .map(|(token, body)| json!({ "token": token, "body": body }))
        .collect();
    let posts: Vec<Value> = w.posts.iter().map(|(_, body)| body.clone()).collect();
    json_status(StatusCode::OK, json!({ "edits": edits, "posts": posts }))
}
