//! URL query strings: the filters live in the URL so a view can be
//! bookmarked, shared and reloaded. Parsing is done by the router (browser)
//! or axum (server); this module only builds them.

use std::collections::BTreeMap;

/// The raw `key=value` pairs of a list URL, first value per key.
pub type Params = BTreeMap<String, String>;

/// Percent-encodes one query component (RFC 3986 unreserved characters stay).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Undoes `%XX` escapes (and nothing else: `+` stays). Malformed escapes
/// stay as written; bytes that are not UTF-8 become U+FFFD.
pub fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `?a=1&b=2`, or the empty string when there are no pairs.
pub fn to_query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let body = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(&v)))
        .collect::<Vec<_>>()
        .join("&");
    if body.is_empty() {
        body
    } else {
        format!("?{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_undoes_encoding_and_leaves_malformed_escapes_alone() {
        let text = "a b&c=d/é\t%";
        assert_eq!(decode_component(&encode_component(text)), text);
        assert_eq!(decode_component("%2f%2F%zz%4"), "//%zz%4");
    }

    #[test]
    fn encodes_reserved_and_non_ascii_characters() {
        assert_eq!(encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn empty_pairs_make_an_empty_query() {
        assert_eq!(to_query_string(Vec::new()), "");
        assert_eq!(
            to_query_string(vec![("q", "x y".to_string()), ("page", "2".into())]),
            "?q=x%20y&page=2"
        );
    }
}
