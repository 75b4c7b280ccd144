//! Number and date formatting for the UI (no locale data in the wasm).

use chrono::{DateTime, Utc};

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1234567` → `1.2M`, for counters on cards (the exact value goes in a title).
pub fn compact(n: i64) -> String {
    let f = n as f64;
    match n.unsigned_abs() {
        0..=9_999 => thousands(n),
        10_000..=999_999 => trim(format!("{:.1}", f / 1_000.0)) + "K",
        1_000_000..=999_999_999 => trim(format!("{:.1}", f / 1_000_000.0)) + "M",
        _ => trim(format!("{:.1}", f / 1_000_000_000.0)) + "B",
    }
}

fn trim(s: String) -> String {
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// `Feb 7, 2026`
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y").to_string()
}

/// `2026-02-07 14:03 UTC`, for titles and tooltips.
pub fn datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `1 account` / `1,234 accounts`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1536` → `1.5 KB`, for file sizes (decimal units, like browsers show).
pub fn bytes(n: i64) -> String {
    let f = n as f64;
    match n {
        ..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} KB", f / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", f / 1e6),
        _ => format!("{:.2} GB", f / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(compact(9_999), "9,999");
        assert_eq!(compact(12_345), "12.3K");
        assert_eq!(compact(2_000_000), "2M");
        assert_eq!(count(1, "account", "accounts"), "1 account");
        assert_eq!(count(1200, "account", "accounts"), "1,200 accounts");
    }
}
