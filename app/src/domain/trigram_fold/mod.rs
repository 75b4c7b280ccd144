//! A `GLOB` that finds exactly the captions SQLite's caption index finds.
//!
//! The index (migration `…_caption_search`, FTS5's trigram tokenizer)
//! matches a substring after folding case with SQLite's own Unicode tables:
//! `Привет` finds `ПРИВЕТ`, `k` finds the KELVIN SIGN, `s` the LONG S. `LIKE`
//! folds ASCII letters only. So a text is turned into a `GLOB` (which folds
//! nothing) with, for each character, the class of every character the
//! index folds together with it: `dance` is `*[Dd][Aa][Nn][Cc][Ee]*`. The
//! classes come from [`folds::FOLDS`], SQLite's own folding, which a test
//! checks against the bundled SQLite code point by code point.
//!
//! Why not ask the index: a search's sample tests a few thousand rows it
//! reads anyway (`list_sql::Reach::Rows`). Asked of the index, SQLite first
//! builds the list of every match in the table, 107,229 ids for "dance" at a
//! million posts (about 20 ms, more than half the list's time); the `GLOB`
//! on the rows takes a few milliseconds (BENCHMARKS.md). Counts, walks and
//! exports, which would read every row, keep the index.

mod folds;

use std::collections::HashMap;
use std::sync::OnceLock;

/// Every character the caption index folds to another, with what it folds
/// it to, in code point order.
pub fn folds() -> &'static [(char, char)] {
    folds::FOLDS
}

/// What the caption index reads `c` as.
pub fn fold(c: char) -> char {
    match folds::FOLDS.binary_search_by_key(&c, |(from, _)| *from) {
        Ok(i) => folds::FOLDS[i].1,
        Err(_) => c,
    }
}

/// The characters the caption index reads as `c`, `c` among them, in code
/// point order.
fn read_as(c: char) -> Vec<char> {
    static CLASSES: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    let classes = CLASSES.get_or_init(|| {
        let mut classes: HashMap<char, Vec<char>> = HashMap::new();
        for &(from, to) in folds::FOLDS {
            // A character something folds to folds to itself (the table is
            // checked for that), so it belongs to its own class.
            classes.entry(to).or_insert_with(|| vec![to]).push(from);
        }
        for class in classes.values_mut() {
            class.sort_unstable();
        }
        classes
    });
    classes.get(&fold(c)).cloned().unwrap_or_else(|| vec![c])
}

/// The `GLOB` pattern that matches a caption containing `text` as the
/// caption index folds both; `None` for a text with a NUL, which SQLite's
/// `GLOB` would read as the pattern's end.
pub fn glob_contains(text: &str) -> Option<String> {
    if text.contains('\0') {
        return None;
    }
    let mut glob = String::from("*");
    for c in text.chars() {
        match read_as(c).as_slice() {
            // The three characters `GLOB` reads as its own syntax.
            [one @ ('*' | '?' | '[')] => glob.extend(['[', *one, ']']),
            [one] => glob.push(*one),
            many => {
                glob.push('[');
                glob.extend(many);
                glob.push(']');
            }
        }
    }
    glob.push('*');
    Some(glob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_character_becomes_the_class_the_index_folds_it_with() {
        assert_eq!(
            glob_contains("Dance 50%").unwrap(),
            "*[Dd][Aa][Nn][Cc][Ee] 50%*"
        );
        assert_eq!(glob_contains("ks").unwrap(), "*[Kk\u{212A}][Ss\u{17F}]*");
        assert_eq!(glob_contains("Жи").unwrap(), "*[Жж][Ии]*");
        assert_eq!(glob_contains("🦩 東").unwrap(), "*🦩 東*");
    }

    #[test]
    fn glob_syntax_in_the_text_is_matched_literally() {
        assert_eq!(
            glob_contains("a*b?[c]").unwrap(),
            "*[Aa][*][Bb][?][[][Cc]]*"
        );
        assert_eq!(glob_contains("a\0b"), None);
    }

    #[test]
    fn the_table_is_in_code_point_order_and_folds_once() {
        assert!(folds().windows(2).all(|w| w[0].0 < w[1].0));
        assert!(folds().iter().all(|&(_, to)| fold(to) == to));
    }
}
