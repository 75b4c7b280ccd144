//! What an export holds, in words: the history's Scope column ("TikTok ·
//! Nightfall Energy · Nov 1–7, 2026") and the default file name's middle
//! part (`…-posts-aiko.beats_193-…`), both from the request itself, so a
//! file's name never claims more or less than it holds.

use crate::domain::{accounts, catalog, Db, GuildScope};
use crate::error::AppError;
use crate::model::filter::Assigned;
use crate::model::query::Params;
use crate::model::{
    AccountFilter, AccountStatus, Entity, ExportFormat, ExportScope, Platform, PostFilter,
    Selection,
};
use chrono::{Datelike, NaiveDate};

/// One filter that narrows an export.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Search(String),
    Platform(Platform),
    Brand(Assigned),
    Group(Assigned),
    Account(i64),
    Status(AccountStatus),
    Dates(Option<NaiveDate>, Option<NaiveDate>),
    MinViews(i64),
}

/// The label of an export of everything (and of a view without filters).
pub const EVERYTHING: &str = "Everything";
/// What a selection's label starts with: "Selection: 6 picked by hand".
pub const SELECTION: &str = "Selection: ";

/// The names behind the ids a filter holds, looked up by [`resolve`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub brand: Option<String>,
    pub group: Option<String>,
    /// The account's handle, without `@`.
    pub account: Option<String>,
}

/// The export in words, and the part its default file name carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub label: String,
    /// `None` for everything: the plain `{guild}-{entity}-{day}` name.
    pub file_part: Option<String>,
}

fn parts(entity: Entity, params: &Params) -> Result<Vec<Part>, AppError> {
    let text = |q: &str| (!q.is_empty()).then(|| Part::Search(q.to_string()));
    Ok(match entity {
        Entity::Posts => {
            let f = PostFilter::from_params(params)?;
            [
                text(&f.q),
                f.platform.map(Part::Platform),
                f.brand.map(Part::Brand),
                f.group.map(Part::Group),
                f.account.map(Part::Account),
                (f.from.is_some() || f.to.is_some()).then_some(Part::Dates(f.from, f.to)),
                f.min_views.map(Part::MinViews),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
        Entity::Accounts => {
            let f = AccountFilter::from_params(params)?;
            [
                text(&f.q),
                f.platform.map(Part::Platform),
                f.brand.map(Part::Brand),
                f.group.map(Part::Group),
                f.status.map(Part::Status),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
    })
}

/// The filters of a scope: a view's, or those a "select all" was made over.
fn scope_params(scope: &ExportScope) -> Option<&Params> {
    match scope {
        ExportScope::View(p) => Some(p),
        ExportScope::Selected(Selection::AllMatching { filter, .. }) => Some(filter),
        ExportScope::All | ExportScope::Selected(Selection::Ids(_)) => None,
    }
}

/// Looks up the brand, group and account names a scope's filters name.
/// A name that no longer exists stays `None` (the words then use the id).
pub async fn resolve(
    db: &Db,
    scope: &GuildScope,
    entity: Entity,
    export: &ExportScope,
) -> Result<Names, AppError> {
    let Some(params) = scope_params(export) else {
        return Ok(Names::default());
    };
    let mut names = Names::default();
    for part in parts(entity, params)? {
        match part {
            Part::Brand(Assigned::To(id)) => {
                names.brand = catalog::brands(db, scope)
                    .await?
                    .into_iter()
                    .find(|n| n.id == id)
                    .map(|n| n.name);
            }
            Part::Group(Assigned::To(id)) => {
                names.group = catalog::groups(db, scope)
                    .await?
                    .into_iter()
                    .find(|n| n.id == id)
                    .map(|n| n.name);
            }
            Part::Account(id) => names.account = accounts::handle_of(db, scope, id).await.ok(),
            _ => {}
        }
    }
    Ok(names)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month(d: NaiveDate) -> &'static str {
    MONTHS[d.month0() as usize]
}

/// "Nov 1–7, 2026", "Nov 28 – Dec 3, 2026", "Dec 28, 2026 – Jan 3, 2027",
/// "Since Nov 1, 2026", "Until Nov 7, 2026".
pub fn date_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    let day = |d: NaiveDate| format!("{} {}, {}", month(d), d.day(), d.year());
    match (from, to) {
        (Some(f), Some(t)) if f == t => day(f),
        (Some(f), Some(t)) if (f.year(), f.month()) == (t.year(), t.month()) => {
            format!("{} {}–{}, {}", month(f), f.day(), t.day(), f.year())
        }
        (Some(f), Some(t)) if f.year() == t.year() => format!(
            "{} {} – {} {}, {}",
            month(f),
            f.day(),
            month(t),
            t.day(),
            t.year()
        ),
        (Some(f), Some(t)) => format!("{} – {}", day(f), day(t)),
        (Some(f), None) => format!("Since {}", day(f)),
        (None, Some(t)) => format!("Until {}", day(t)),
        (None, None) => String::new(),
    }
}

fn words(part: &Part, names: &Names) -> String {
    let named = |name: &Option<String>, what: &str, a: Assigned| match (a, name) {
        (Assigned::Unassigned, _) => format!("No {what}"),
        (Assigned::To(_), Some(n)) => n.clone(),
        (Assigned::To(id), None) => format!("{} #{id}", capitalized(what)),
    };
    match part {
        Part::Search(q) => format!("“{q}”"),
        Part::Platform(p) => p.label().to_string(),
        Part::Brand(a) => named(&names.brand, "brand", *a),
        Part::Group(a) => named(&names.group, "group", *a),
        Part::Account(id) => match &names.account {
            Some(h) => format!("@{h}"),
            None => format!("Account #{id}"),
        },
        Part::Status(s) => s.label().to_string(),
        Part::Dates(f, t) => date_range(*f, *t),
        Part::MinViews(n) => format!("{}+ views", crate::format::thousands(*n)),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A file-name-safe piece: letters, digits, `.` and `_` stay, the rest
/// becomes `-`, at most 40 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s
        .trim_start_matches('@')
        .chars()
        .flat_map(char::to_lowercase)
    {
        if c.is_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.chars().count() >= 40 {
            break;
        }
    }
    out.trim_matches(['-', '.']).to_string()
}

/// The file-name part of one filter: the account's handle, the platform,
/// the brand's or group's name, the dates.
fn file_word(part: &Part, names: &Names) -> String {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    match part {
        Part::Platform(p) => p.as_str().to_string(),
        Part::Account(_) | Part::Brand(_) | Part::Group(_) | Part::Status(_) => {
            slug(&words(part, names))
        }
        Part::Dates(Some(f), Some(t)) => format!("{}-to-{}", day(*f), day(*t)),
        Part::Dates(Some(f), None) => format!("since-{}", day(*f)),
        Part::Dates(None, Some(t)) => format!("until-{}", day(*t)),
        Part::Dates(None, None) => "filtered".into(),
        Part::MinViews(n) => format!("min-{n}-views"),
        Part::Search(q) => format!("search-{}", slug(q)),
    }
}

/// Describes an export of `entity` with `scope`, using `names` for ids.
pub fn describe(entity: Entity, scope: &ExportScope, names: &Names) -> Result<Described, AppError> {
    let filters = match scope_params(scope) {
        Some(p) => parts(entity, p)?,
        None => Vec::new(),
    };
    let label = filters
        .iter()
        .map(|p| words(p, names))
        .collect::<Vec<_>>()
        .join(" · ");
    Ok(match scope {
        ExportScope::All => Described {
            label: EVERYTHING.into(),
            file_part: None,
        },
        ExportScope::View(_) if filters.is_empty() => Described {
            label: EVERYTHING.into(),
            file_part: None,
        },
        ExportScope::View(_) => Described {
            file_part: Some(match filters.as_slice() {
                [one] => file_word(one, names),
                _ => "filtered".into(),
            }),
            label,
        },
        ExportScope::Selected(sel) => Described {
            label: match sel {
                Selection::Ids(ids) => format!(
                    "{SELECTION}{} picked by hand",
                    crate::format::thousands(ids.len() as i64)
                ),
                Selection::AllMatching { except, .. } => {
                    let over = if filters.is_empty() {
                        format!("all {}", entity.as_str())
                    } else {
                        format!("all matching {label}")
                    };
                    match except.len() {
                        0 => format!("{SELECTION}{over}"),
                        n => format!(
                            "{SELECTION}{over}, {} unticked",
                            crate::format::thousands(n as i64)
                        ),
                    }
                }
            },
            file_part: Some("selection".into()),
        },
    })
}

/// `sonuhaempire-posts-aiko.beats_193-2026-12-01.csv`; everything keeps
/// the plain `sonuhaempire-posts-2026-12-01.csv`.
pub fn default_filename(
    guild_slug: &str,
    entity: Entity,
    described: &Described,
    day: NaiveDate,
    format: ExportFormat,
) -> String {
    crate::model::export::filename_of(
        guild_slug,
        entity,
        described.file_part.as_deref(),
        &day.format("%Y-%m-%d").to_string(),
        format,
    )
}

/// What an export request holds in words, and the file name it gets when
/// none is typed, dated `day`: the names looked up, then described.
pub async fn name(
    db: &Db,
    scope: &GuildScope,
    req: &crate::model::ExportRequest,
    day: NaiveDate,
) -> Result<(Described, String), AppError> {
    let names = resolve(db, scope, req.entity, &req.scope).await?;
    let described = describe(req.entity, &req.scope, &names)?;
    let filename = default_filename(scope.slug(), req.entity, &described, day, req.format);
    Ok((described, filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(pairs: &[(&str, &str)]) -> ExportScope {
        ExportScope::View(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn name_of(scope: &ExportScope, names: &Names) -> String {
        let d = describe(Entity::Posts, scope, names).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        default_filename("sonuhaempire", Entity::Posts, &d, day, ExportFormat::Csv)
    }

    #[test]
    fn a_default_name_says_what_the_file_holds() {
        let account = Names {
            account: Some("aiko.beats_193".into()),
            ..Names::default()
        };
        assert_eq!(
            name_of(&view(&[("account", "7")]), &account),
            "sonuhaempire-posts-aiko.beats_193-2026-12-01.csv"
        );
        assert_eq!(
            name_of(&view(&[("platform", "tiktok")]), &Names::default()),
            "sonuhaempire-posts-tiktok-2026-12-01.csv"
        );
        assert_eq!(
            name_of(
                &view(&[("platform", "tiktok"), ("min_views", "10")]),
                &Names::default()
            ),
            "sonuhaempire-posts-filtered-2026-12-01.csv"
        );
        let sel = ExportScope::Selected(Selection::Ids(vec![1, 2]));
        assert_eq!(
            name_of(&sel, &Names::default()),
            "sonuhaempire-posts-selection-2026-12-01.csv"
        );
        for everything in [ExportScope::All, view(&[("sort", "views")])] {
            assert_eq!(
                name_of(&everything, &Names::default()),
                "sonuhaempire-posts-2026-12-01.csv"
            );
        }
        let brand = Names {
            brand: Some("Nightfall Energy".into()),
            ..Names::default()
        };
        assert_eq!(
            name_of(&view(&[("brand", "3")]), &brand),
            "sonuhaempire-posts-nightfall-energy-2026-12-01.csv"
        );
    }

    #[test]
    fn the_scope_column_names_every_filter() {
        let names = Names {
            brand: Some("Nightfall Energy".into()),
            ..Names::default()
        };
        let scope = view(&[
            ("platform", "tiktok"),
            ("brand", "3"),
            ("from", "2026-11-01"),
            ("to", "2026-11-07"),
        ]);
        let d = describe(Entity::Posts, &scope, &names).unwrap();
        assert_eq!(d.label, "TikTok · Nightfall Energy · Nov 1–7, 2026");
        let picked = ExportScope::Selected(Selection::Ids(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(
            describe(Entity::Posts, &picked, &names).unwrap().label,
            "Selection: 6 picked by hand"
        );
        let all = ExportScope::Selected(Selection::AllMatching {
            filter: [("platform".to_string(), "x".to_string())].into(),
            except: vec![9],
        });
        assert_eq!(
            describe(Entity::Posts, &all, &names).unwrap().label,
            "Selection: all matching X, 1 unticked"
        );
    }

    #[test]
    fn date_ranges_read_like_a_calendar() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        assert_eq!(date_range(d(11, 28), d(12, 3)), "Nov 28 – Dec 3, 2026");
        assert_eq!(date_range(d(11, 1), None), "Since Nov 1, 2026");
        assert_eq!(date_range(None, d(11, 7)), "Until Nov 7, 2026");
        assert_eq!(
            date_range(d(12, 28), NaiveDate::from_ymd_opt(2027, 1, 3)),
            "Dec 28, 2026 – Jan 3, 2027"
        );
    }
}
