//! Deterministic demo and benchmark data: the same spec always produces the
//! same guild. Captions are deliberately nasty (emoji, non-Latin scripts,
//! commas, quotes, newlines, and leading `=`, `+`, `-`, `@`) because exports
//! must survive them.

use super::{Arg, Db, Sql};
use crate::error::AppError;
use crate::model::Platform;
use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug)]
pub struct SeedSpec {
    pub slug: String,
    pub name: String,
    pub brands: usize,
    pub groups: usize,
    pub accounts: usize,
    pub posts: usize,
    /// Random seed: same seed, same data.
    pub seed: u64,
    /// Posts are spread over the year before this instant.
    pub anchor: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct SeedReport {
    pub guild_id: i64,
    pub accounts: usize,
    pub posts: usize,
    pub elapsed: std::time::Duration,
}

/// SplitMix64: tiny, fast, and stable across versions (a crate's RNG could
/// change its stream in a minor release and silently change the demo data).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const BRANDS: &[&str] = &[
    "Sonuha Cosmetics",
    "Nightfall Energy",
    "Kumo Sneakers",
    "Lumen Audio",
    "Orchard & Co",
    "Vela Travel",
    "Pixelforge",
    "Moss Tea",
    "Atlas Fitness",
    "Brisa Swimwear",
];
const GROUPS: &[&str] = &[
    "Team Aurora",
    "Team Blaze",
    "Team Cobalt",
    "Team Dune",
    "Team Echo",
    "Team Flux",
    "Team Grove",
    "Team Halo",
];
const FIRST: &[&str] = &[
    "luna", "kai", "mika", "zara", "noor", "leo", "yuki", "ari", "sana", "theo", "ines", "ravi",
    "aiko", "omar", "lena", "jun", "maya", "eli", "nova", "rio",
];
const SECOND: &[&str] = &[
    "dance", "eats", "style", "travels", "fit", "beats", "glow", "games", "vlogs", "art", "daily",
    "studio",
];
const DISPLAY_EXTRA: &[&str] = &[
    "",
    "",
    "",
    " 🌙",
    " ✨",
    " | ルナ",
    " (Official)",
    " — Москва",
    " 🇧🇷",
    " · 서울",
    " \"The Real One\"",
];

/// Caption pieces. Several start with a spreadsheet formula character on
/// purpose; others carry quotes, commas, CR/LF, RTL text and ZWJ emoji.
const CAPTION_PARTS: &[&str] = &[
    "New drop is live 🔥🔥",
    "Link in bio, go go go!",
    "東京の夜景がきれい ✨ また来たい",
    "Привет, друзья! Новое видео уже на канале",
    "مرحبا بالجميع 👋 فيديو جديد",
    "नमस्ते दोस्तों, आज का वीडियो",
    "오늘의 브이로그 🎬 끝까지 봐주세요",
    "Dance challenge, part 2: \"remix\" edition",
    "He said \"no way\", I said \"watch me\" 💅🏽",
    "Family day 👨‍👩‍👧‍👦 with the crew",
    "Behind the scenes\nof today's shoot",
    "Q&A time — drop your questions below, 1, 2, 3…",
    "50% off, today only; use code SONU",
    "Line one\r\nline two, with a comma",
    "Ça va? Très bien, merci! 🇫🇷",
    "Ελληνικά και 中文 mixed together",
    "Rate this fit 1–10 👟",
    "Tab\tseparated\tthoughts",
];
const DANGEROUS_STARTS: &[&str] = &[
    "=HYPERLINK(\"https://example.com\",\"claim prize\")",
    "=1+1",
    "+1 if you agree",
    "-20% flash sale",
    "@everyone giveaway time 🎁",
    "\tindented start",
];

fn caption(rng: &mut Rng, brand: Option<&str>) -> String {
    let mut out = String::new();
    if rng.below(10) == 0 {
        let start: &&str = rng.pick(DANGEROUS_STARTS);
        out.push_str(start);
        out.push(' ');
    }
    for i in 0..1 + rng.below(3) {
        if i > 0 {
            out.push(' ');
        }
        let part: &&str = rng.pick(CAPTION_PARTS);
        out.push_str(part);
    }
    if let Some(b) = brand {
        if rng.below(4) == 0 {
            out.push_str(&format!(
                " #ad @{}",
                b.to_lowercase().replace([' ', '&'], "")
            ));
        }
    }
    out
}

/// The platform's id of a post, as a tracker would send it: the last
/// part of its address (a video or status number, a shortcode, `v=`).
fn post_id_of(url: &str) -> &str {
    url.trim_end_matches('/')
        .rsplit(['/', '='])
        .next()
        .unwrap_or(url)
}

fn post_url(rng: &mut Rng, platform: Platform, handle: &str) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut code = |n: usize| {
        (0..n)
            .map(|_| B64[rng.below(64)] as char)
            .collect::<String>()
    };
    match platform {
        Platform::Tiktok => format!(
            "https://www.tiktok.com/@{handle}/video/{}",
            7_000_000_000_000_000_000u64 + rng_id(&mut code)
        ),
        Platform::Instagram => format!("https://www.instagram.com/p/{}/", code(11)),
        Platform::Youtube => format!("https://www.youtube.com/watch?v={}", code(11)),
        Platform::X => format!(
            "https://x.com/{handle}/status/{}",
            1_800_000_000_000_000_000u64 + rng_id(&mut code)
        ),
    }
}

/// A number from 8 random base64 digits: 48 bits, one number per code,
/// so two posts of a million share an id (the posts' external id, unique
/// per platform) about once in 10,000 seeds, and never in the same seed
/// twice (the generator is deterministic).
fn rng_id(code: &mut impl FnMut(usize) -> String) -> u64 {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    code(8).bytes().fold(0u64, |acc, b| {
        let digit = B64.iter().position(|&c| c == b).unwrap_or(0) as u64;
        acc * 64 + digit
    })
}

struct SeedAccount {
    id: i64,
    platform: Platform,
    handle: String,
    group_id: Option<i64>,
    brand_id: Option<i64>,
    brand_name: Option<String>,
}

async fn insert_named(
    db: &Db,
    table: &str,
    guild_id: i64,
    names: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let sql = Sql::bound(
            format!(
                "INSERT INTO {table} (guild_id, name, created_at) VALUES ($1, $2, $3) RETURNING id"
            ),
            vec![Arg::Int(guild_id), Arg::Text(name.clone()), Arg::Time(now)],
        );
        ids.push(db.insert_returning_id(&sql).await?);
    }
    Ok(ids)
}

/// Creates a guild and fills it. Refuses if the slug is taken.
pub async fn seed_guild(db: &Db, spec: &SeedSpec) -> Result<SeedReport, AppError> {
    super::scope::validate_slug(&spec.slug)?;
    let started = std::time::Instant::now();
    let mut rng = Rng::new(spec.seed);
    let now = spec.anchor;
    let taken = AppError::invalid(format!(
        "A guild with the slug “{}” already exists.",
        spec.slug
    ));
    let guild_id = db
        .insert_unique(
            &Sql::bound(
                "INSERT INTO guilds (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                vec![
                    Arg::Text(spec.slug.clone()),
                    Arg::Text(spec.name.clone()),
                    Arg::Time(now),
                ],
            ),
            taken,
        )
        .await?;
    let brand_names = numbered_names(BRANDS, spec.brands);
    let brand_ids = insert_named(db, "brands", guild_id, &brand_names, now).await?;
    let group_ids = insert_named(
        db,
        "account_groups",
        guild_id,
        &numbered_names(GROUPS, spec.groups),
        now,
    )
    .await?;

    // Accounts one by one (a few hundred): we need their ids for the posts.
    let mut accounts = Vec::with_capacity(spec.accounts);
    for i in 0..spec.accounts {
        let platform = Platform::ALL[i % 4];
        let handle = format!("{}.{}_{:03}", rng.pick(FIRST), rng.pick(SECOND), i);
        let display = format!(
            "{}{}",
            capitalize(&handle[..handle.find('.').unwrap_or(0)]),
            rng.pick(DISPLAY_EXTRA)
        );
        // One in eight accounts is unassigned, so "no group" filters have hits.
        let group_id = (rng.below(8) != 0 && !group_ids.is_empty()).then(|| *rng.pick(&group_ids));
        let brand_idx =
            (rng.below(8) != 0 && !brand_ids.is_empty()).then(|| rng.below(brand_ids.len()));
        let created = now - Duration::days(400) + Duration::minutes(i as i64 * 37);
        let status = if rng.below(10) == 0 {
            "paused"
        } else {
            "active"
        };
        let followers = (rng.unit().powi(3) * 4_000_000.0) as i64;
        let sql = Sql::bound(
            "INSERT INTO accounts (guild_id, platform, handle, display_name, profile_url, group_id, brand_id, \
             status, followers, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            vec![
                Arg::Int(guild_id),
                Arg::Text(platform.as_str().into()),
                Arg::Text(handle.clone()),
                Arg::Text(display),
                Arg::Text(platform.profile_url(&handle)),
                Arg::OptInt(group_id),
                Arg::OptInt(brand_idx.map(|b| brand_ids[b])),
                Arg::Text(status.into()),
                Arg::Int(followers),
                Arg::Time(created),
                Arg::Time(created),
            ],
        );
        let id = db.insert_returning_id(&sql).await?;
        accounts.push(SeedAccount {
            id,
            platform,
            handle,
            group_id,
            brand_id: brand_idx.map(|b| brand_ids[b]),
            brand_name: brand_idx.map(|b| brand_names[b].clone()),
        });
    }

    // Posts in large multi-row inserts, generated a chunk at a time so memory
    // stays flat for a million rows.
    const CHUNK: usize = 20_000;
    let head =
        "INSERT INTO posts (guild_id, account_id, platform, external_id, url, caption, posted_at, \
                views, likes, comments, shares, group_id, brand_id, created_at, updated_at)";
    let mut made = 0;
    // One transaction: each page of the nine post indexes is written once
    // rather than once per chunk (measured: 105 s → see BENCHMARKS.md for
    // a million posts on SQLite).
    let mut tx = db.begin_write().await?;
    while made < spec.posts && !accounts.is_empty() {
        let n = CHUNK.min(spec.posts - made);
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            // Skewed towards the first accounts: some accounts post a lot.
            let a =
                &accounts[((rng.unit().powi(2)) * accounts.len() as f64) as usize % accounts.len()];
            let posted = now - Duration::seconds(rng.below(365 * 24 * 3600) as i64);
            let views = (rng.unit().powi(4) * 5_000_000.0) as i64;
            let likes = (views as f64 * rng.unit() * 0.12) as i64;
            let url = post_url(&mut rng, a.platform, &a.handle);
            rows.push(vec![
                Arg::Int(guild_id),
                Arg::Int(a.id),
                Arg::Text(a.platform.as_str().into()),
                Arg::Text(post_id_of(&url).into()),
                Arg::Text(url),
                Arg::Text(caption(&mut rng, a.brand_name.as_deref())),
                Arg::Time(posted),
                Arg::Int(views),
                Arg::Int(likes),
                Arg::Int((likes as f64 * rng.unit() * 0.1) as i64),
                Arg::Int((likes as f64 * rng.unit() * 0.05) as i64),
                Arg::OptInt(a.group_id),
                Arg::OptInt(a.brand_id),
                // Recorded a few minutes after posting, but never in the
                // future: bulk actions treat a later updated_at as "changed
                // by someone meanwhile".
                Arg::Time((posted + Duration::minutes(5)).min(now)),
                Arg::Time((posted + Duration::minutes(5)).min(now)),
            ]);
        }
        tx.insert_rows(head, 15, rows).await?;
        made += n;
    }
    tx.commit().await?;
    // Each insert added a tally row per account (PostgreSQL): one per key
    // reads faster (see `post_tally::fold`).
    super::post_tally::fold(db, guild_id).await?;
    db.analyze().await?;
    Ok(SeedReport {
        guild_id,
        accounts: accounts.len(),
        posts: made,
        elapsed: started.elapsed(),
    })
}

/// Names repeat when more brands/groups are asked for than the lists hold;
/// number the repeats so the unique (guild, name) constraint holds.
fn numbered_names(list: &[&str], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i / list.len() {
            0 => list[i].to_string(),
            round => format!("{} {}", list[i % list.len()], round + 1),
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_numbered_to_stay_unique() {
        assert_eq!(
            numbered_names(&["A", "B"], 5),
            ["A", "B", "A 2", "B 2", "A 3"]
        );
    }

    #[test]
    fn the_generator_is_deterministic() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        assert_eq!(
            caption(&mut r, Some("X")),
            caption(&mut Rng::new(1), Some("X"))
        );
    }

    #[test]
    fn captions_include_the_nasty_cases_exports_must_survive() {
        let mut r = Rng::new(42);
        let caps: Vec<String> = (0..2000)
            .map(|_| caption(&mut r, Some("Moss Tea")))
            .collect();
        for start in ['=', '+', '-', '@', '\t'] {
            assert!(
                caps.iter().any(|c| c.starts_with(start)),
                "no caption starts with {start:?}"
            );
        }
        for piece in [",", "\"", "\n", "\r\n", "🔥", "東京", "مرحبا"] {
            assert!(
                caps.iter().any(|c| c.contains(piece)),
                "no caption contains {piece:?}"
            );
        }
    }
}
