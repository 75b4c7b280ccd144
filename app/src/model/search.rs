//! What the search box means, decided in one place for every list.
//!
//! Plain text matches captions, handles and display names anywhere in them.
//! A leading `@` is how people write a handle, so `@rio` means "accounts
//! whose handle starts with `rio`" (and, on the Posts page, their posts).
//! Handles are stored without the `@`, in lower case, as every platform
//! treats them case-insensitively; the prefix is lowered to match.

/// A parsed search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Nothing typed (or only `@`): no condition.
    Everything,
    /// `@rio`: handles starting with `rio`, served by a handle index.
    HandlePrefix(String),
    /// Anything else: a substring of the caption, handle or display name.
    Text(String),
}

impl Search {
    pub fn parse(q: &str) -> Self {
        let q = q.trim();
        match q.strip_prefix('@') {
            Some(rest) => {
                let rest = rest.trim_start_matches('@').trim();
                if rest.is_empty() {
                    Self::Everything
                } else {
                    Self::HandlePrefix(rest.to_lowercase())
                }
            }
            None if q.is_empty() => Self::Everything,
            None => Self::Text(q.to_string()),
        }
    }
}

/// The smallest string that sorts after every string starting with
/// `prefix`, in byte order (which for UTF-8 is code point order): the
/// exclusive upper end of an index range scan for the prefix. `None` when
/// no such string exists (a prefix made only of `char::MAX`).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            // Surrogates are not chars: the next char after U+D7FF is U+E000.
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_at_means_a_handle_prefix_in_lower_case() {
        assert_eq!(
            Search::parse(" @Ravi.Beats_000 "),
            Search::HandlePrefix("ravi.beats_000".into())
        );
        assert_eq!(Search::parse("@@rio"), Search::HandlePrefix("rio".into()));
    }

    #[test]
    fn text_without_at_is_a_substring_search_and_empty_is_nothing() {
        assert_eq!(Search::parse("dance"), Search::Text("dance".into()));
        assert_eq!(Search::parse("mail@x"), Search::Text("mail@x".into()));
        assert_eq!(Search::parse(""), Search::Everything);
        assert_eq!(Search::parse(" @ "), Search::Everything);
    }

    #[test]
    fn the_prefix_end_sorts_after_every_string_with_the_prefix() {
        assert_eq!(prefix_end("rio").as_deref(), Some("rip"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("b\u{10FFFF}").as_deref(), Some("c"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        for s in ["rio", "rio.beats", "rioz", "rio\u{10FFFF}", "ríos"] {
            let end = prefix_end("rio").unwrap();
            assert_eq!(s.starts_with("rio"), s >= "rio" && s < end.as_str(), "{s}");
        }
    }
}
