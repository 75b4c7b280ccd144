//! `server`: serve Guildtrack, or run one of its maintenance commands.

use app::domain::demo::{self, DemoSizes};
use app::domain::export::{BlobStore, ExportSettings, LocalStore};
use app::domain::seed::{seed_guild, SeedSpec};
use app::domain::{auth, scope, AppState, Db, Instance, SharedClock, SystemClock};
use app::model::Role;
use clap::{Parser, Subcommand};
use server::config::Config;
use server::s3_store::S3Store;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "server", about = "Guildtrack server and maintenance commands")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default).
    Serve {
        /// Create the demo guild and the demo login (demo / guildtrack-demo)
        /// if they are missing. Refused with COOKIE_SECURE=true: a public
        /// server must not have a published password.
        #[arg(long)]
        demo: bool,
        /// Accounts in the demo guild.
        #[arg(long, default_value_t = 300)]
        demo_accounts: usize,
        /// Posts in the demo guild.
        #[arg(long, default_value_t = 30_000)]
        demo_posts: usize,
    },
    /// Create a guild filled with deterministic generated data.
    Seed {
        #[arg(long)]
        guild: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value_t = 3)]
        brands: usize,
        #[arg(long, default_value_t = 5)]
        groups: usize,
        #[arg(long, default_value_t = 300)]
        accounts: usize,
        #[arg(long, default_value_t = 30_000)]
        posts: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage guild memberships.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Measure list-query latency (see BENCHMARKS.md).
    Bench(server::bench::BenchArgs),
    /// Time one export job and report its peak memory (see BENCHMARKS.md).
    BenchExport(server::bench_export::BenchExportArgs),
    /// Time a bulk delete and reassign of 100,000 posts (see BENCHMARKS.md).
    BenchBulk(server::bench_bulk::BenchBulkArgs),
    /// Time the purge of 100,000 expired trashed posts (see BENCHMARKS.md).
    BenchPurge(server::bench_purge::BenchPurgeArgs),
    /// Remove for good what has been in the trash longer than RETENTION_DAYS
    /// (the server does this hourly; this is for cron). Safe to run while
    /// servers run: one purge at a time.
    Purge,
    /// Move a guild's newest posts to the trash as if deleted days ago
    /// (demo data and browser tests of the expiry warnings).
    TrashSample {
        #[arg(long)]
        guild: String,
        #[arg(long, default_value_t = 14)]
        posts: usize,
        #[arg(long, default_value_t = 25)]
        days_ago: i64,
    },
    /// The Discord application's side of Guildtrack.
    Discord {
        #[command(subcommand)]
        command: DiscordCommand,
    },
}

#[derive(Subcommand)]
enum DiscordCommand {
    /// Register the slash commands (/exportdata) with Discord, replacing the
    /// application's global commands. Uses DISCORD_APPLICATION_ID,
    /// DISCORD_BOT_TOKEN and DISCORD_API_BASE; needs no database.
    RegisterCommands,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from GUILDTRACK_PASSWORD or, if
    /// unset, from the first line of standard input.
    Add {
        username: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Add a user to a guild, or change their role.
    Add {
        guild: String,
        username: String,
        role: String,
    },
}

/// `server discord register-commands`: a bulk overwrite of the
/// application's global commands, then what Discord says is registered.
async fn register_commands() {
    let need = |key: &str| {
        std::env::var(key)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                fail(format!(
                    "{key} must be set to register the commands (see README)"
                ))
            })
    };
    let application_id = need("DISCORD_APPLICATION_ID");
    let bot_token = need("DISCORD_BOT_TOKEN");
    let api_base = server::config::api_base().unwrap_or_else(|e| fail(e));
    let commands = app::domain::discord::exportdata::definitions();
    let registered = app::domain::discord::sender::Sender::new()
        .register_commands(&api_base, &application_id, &bot_token, &commands)
        .await
        .unwrap_or_else(|e| fail(e));
    let list = registered.as_array().cloned().unwrap_or_default();
    println!(
        "Registered {} command{} with Discord for application {application_id}:",
        list.len(),
        if list.len() == 1 { "" } else { "s" }
    );
    for command in list {
        let options: Vec<String> = command["options"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|o| {
                        let name = o["name"].as_str().unwrap_or("?");
                        if o["required"].as_bool().unwrap_or(false) {
                            name.to_string()
                        } else {
                            format!("[{name}]")
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "  /{} {} (id {})",
            command["name"].as_str().unwrap_or("?"),
            options.join(" "),
            command["id"].as_str().unwrap_or("?")
        );
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}

/// The export store and limits from the configuration.
async fn export_settings(cfg: &server::config::ExportConfig) -> ExportSettings {
    let blobs: Arc<dyn BlobStore> = match &cfg.s3 {
        Some(s3) => Arc::new(S3Store::from_config(s3).await),
        None => Arc::new(LocalStore::new(cfg.dir.join("files"))),
    };
    let mut settings = ExportSettings::new(cfg.dir.clone(), blobs);
    settings.instant_limit = cfg.instant_limit;
    settings.retention = chrono::Duration::days(cfg.retention_days);
    settings.max_rows_per_second = cfg.max_rows_per_second;
    settings
}

/// Ctrl-C, or SIGTERM (what service managers and `kill` send): the server
/// stops taking requests, finishes those under way, and closes the database.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::Discord {
        command: DiscordCommand::RegisterCommands,
    }) = &cli.command
    {
        return register_commands().await;
    }
    let config = Config::from_env().unwrap_or_else(|e| fail(e));
    let db = Db::connect(&config.database_url).await.unwrap_or_else(|e| {
        fail(format!(
            "cannot open the database {}: {e}",
            config.database_url
        ))
    });
    db.migrate()
        .await
        .unwrap_or_else(|e| fail(format!("migrations failed: {e}")));
    let clock: SharedClock = Arc::new(SystemClock);
    let command = cli.command.unwrap_or(Command::Serve {
        demo: false,
        demo_accounts: 300,
        demo_posts: 30_000,
    });
    // A server is named after where it listens, so its next start can take
    // back what it held; a maintenance command holds no jobs.
    let instance = match command {
        Command::Serve { .. } => Instance::for_server(config.site_addr.port(), clock.now()),
        _ => Instance::new("cli", clock.now()),
    };
    let state = AppState {
        db: db.clone(),
        clock: clock.clone(),
        exports: export_settings(&config.exports).await,
        trash_retention: chrono::Duration::days(config.retention_days),
        instance,
        discord: config
            .discord
            .clone()
            .map(|d| app::domain::discord::Discord::new(d.api, d.secrets)),
        bot: config.bot.clone(),
        outbound: config.outbound.clone(),
    };

    match command {
        Command::Serve {
            demo,
            demo_accounts,
            demo_posts,
        } => {
            if demo && config.cookie_secure {
                fail(
                    "refusing --demo with COOKIE_SECURE=true: the demo login's password is \
                     published, so a server behind HTTPS must not have it. Serve without --demo.",
                );
            }
            if demo {
                let sizes = DemoSizes {
                    accounts: demo_accounts,
                    posts: demo_posts,
                };
                match demo::ensure_demo(&db, &clock, sizes).await {
                    Ok(true) => println!("Seeded the demo guild “{}”.", demo::DEMO_GUILD),
                    Ok(false) => {}
                    Err(e) => fail(format!("could not seed the demo: {e}")),
                }
            }
            // The port first: a second server started on it by mistake
            // stops here, before it could take this one's jobs as its own.
            let listener = tokio::net::TcpListener::bind(config.site_addr)
                .await
                .unwrap_or_else(|e| fail(format!("cannot listen on {}: {e}", config.site_addr)));
            // A server killed before it could close the database leaves
            // SQLite's log as it was: fold it into the file before serving,
            // while no reader holds it (see `Db::checkpoint`).
            db.checkpoint().await;
            server::background::take_back(&state).await;
            server::background::spawn(state.clone());
            let router = server::router::build(state, config.clone());
            println!();
            println!("  Guildtrack is running at http://{}", config.site_addr);
            if demo {
                println!(
                    "  Demo login: {} / {}",
                    demo::DEMO_USER,
                    demo::DEMO_PASSWORD
                );
            }
            println!();
            // The peer address reaches handlers, for throttling sign-ins.
            let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .unwrap_or_else(|e| fail(e));
            // Closing the pool lets SQLite fold its log into the database
            // file, so the next start does not begin by reading it all back.
            db.close().await;
        }
        Command::Seed {
            guild,
            name,
            brands,
            groups,
            accounts,
            posts,
            seed,
        } => {
            let spec = SeedSpec {
                name: name.unwrap_or_else(|| guild.clone()),
                slug: guild,
                brands,
                groups,
                accounts,
                posts,
                seed,
                anchor: clock.now(),
            };
            let report = seed_guild(&db, &spec).await.unwrap_or_else(|e| fail(e));
            println!(
                "Seeded “{}”: {} accounts, {} posts in {:.1} s.",
                spec.slug,
                report.accounts,
                report.posts,
                report.elapsed.as_secs_f64()
            );
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    display_name,
                },
        } => {
            let password = match std::env::var("GUILDTRACK_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .unwrap_or_else(|e| fail(e));
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let id = auth::create_user(&db, &clock, &username, &display_name, &password)
                .await
                .unwrap_or_else(|e| fail(e));
            println!("Added user {username} (id {id}).");
        }
        Command::Member {
            command:
                MemberCommand::Add {
                    guild,
                    username,
                    role,
                },
        } => {
            let role = Role::parse(&role)
                .unwrap_or_else(|| fail("the role must be viewer, editor or admin"));
            let user_id = auth::find_user_id(&db, &username)
                .await
                .unwrap_or_else(|e| fail(e))
                .unwrap_or_else(|| fail(format!("there is no user {username}")));
            scope::set_membership(&db, clock.now(), &guild, user_id, role)
                .await
                .unwrap_or_else(|e| fail(e));
            println!("{username} is now {} of {guild}.", role.as_str());
        }
        Command::Bench(args) => server::bench::run(&db, &clock, args)
            .await
            .unwrap_or_else(|e| fail(e)),
        Command::BenchExport(args) => server::bench_export::run(&db, &clock, args)
            .await
            .unwrap_or_else(|e| fail(e)),
        Command::BenchBulk(args) => server::bench_bulk::run(&db, &clock, args)
            .await
            .unwrap_or_else(|e| fail(e)),
        Command::BenchPurge(args) => server::bench_purge::run(&db, &clock, args)
            .await
            .unwrap_or_else(|e| fail(e)),
        Command::Purge => {
            let r = app::domain::trash::purge::purge_expired(&db, state.trash_window())
                .await
                .unwrap_or_else(|e| fail(e));
            if r.skipped {
                println!("Another server is purging the trash right now; nothing done.");
            } else {
                println!(
                    "Purged {} accounts and {} posts from {} guilds (in the trash for more than {} days).",
                    r.accounts,
                    r.posts,
                    r.guilds,
                    state.trash_retention.num_days()
                );
            }
        }
        Command::TrashSample {
            guild,
            posts,
            days_ago,
        } => {
            let at = clock.now() - chrono::Duration::days(days_ago);
            let n = app::domain::trash::sample::trash_backdated(&db, &guild, posts, at)
                .await
                .unwrap_or_else(|e| fail(e));
            println!("Moved {n} posts of “{guild}” to the trash, deleted {days_ago} days ago.");
        }
        // Handled before the database is opened.
        Command::Discord { .. } => {}
    }
}
