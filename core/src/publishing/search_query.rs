//! What a search box's text becomes: words only. Operators, quotes, brackets and other
//! punctuation are separators, so no input can reach the database as query syntax; every word
//! matches as a prefix and all of them must match. Also the highlighting of matches in results.

use serde::{Deserialize, Serialize};

/// Most words kept from one query.
pub const MAX_WORDS: usize = 8;
/// Longest word kept, in characters.
pub const MAX_WORD: usize = 40;
/// Characters of the input looked at.
pub const MAX_INPUT: usize = 400;

/// Words too common to search for: the English stop words PostgreSQL's `english` configuration
/// leaves out of every document (Snowball's list). Both databases drop them from queries, so a
/// query finds the same documents on either, and SQLite does not walk "the" through every row.
const COMMON_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// The words of a query, lower case, in the order typed, without repeats, and the common words
/// it left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    words: Vec<String>,
    common: Vec<String>,
}

impl Terms {
    pub fn parse(raw: &str) -> Terms {
        let mut words: Vec<String> = Vec::new();
        let mut common: Vec<String> = Vec::new();
        let input: String = raw.chars().take(MAX_INPUT).collect();
        for w in input.split(|c: char| !c.is_alphanumeric()) {
            let w: String = w
                .chars()
                .flat_map(char::to_lowercase)
                .take(MAX_WORD)
                .collect();
            if w.is_empty() || words.contains(&w) || common.contains(&w) {
                continue;
            }
            if COMMON_WORDS.binary_search(&w.as_str()).is_ok() {
                common.push(w);
            } else {
                words.push(w);
                if words.len() == MAX_WORDS {
                    break;
                }
            }
        }
        Terms { words, common }
    }

    /// No word left to search for.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The words left out as too common, in the order typed.
    pub fn common(&self) -> &[String] {
        &self.common
    }

    /// An SQLite FTS5 query: each word quoted, all required. Whole words (stemmed by the
    /// index's tokenizer), not prefixes: a prefix makes FTS5 merge every word that starts with
    /// it, which grows with the index.
    pub fn fts5(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A PostgreSQL `to_tsquery` text: each word, all required.
    pub fn tsquery(&self) -> String {
        self.words.join(" & ")
    }
}

/// Where the next page of results starts: after the result with this score and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub score: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.score, self.id)
    }

    /// `None` for anything this did not make; a bad cursor just starts from the top.
    pub fn decode(raw: &str) -> Option<Cursor> {
        let (s, i) = raw.split_once('_')?;
        Some(Cursor {
            score: s.parse().ok()?,
            id: i.parse().ok()?,
        })
    }
}

/// Pieces of `text` with those that match a word marked `true`. A word of the text matches when
/// it starts with one of the query's words, ignoring case.
pub fn highlight(text: &str, terms: &Terms) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |s: &str, hit: bool| match out.last_mut() {
        Some((prev, h)) if *h == hit => prev.push_str(s),
        _ => out.push((s.to_owned(), hit)),
    };
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(char::is_alphanumeric).unwrap_or(rest.len());
        push(&rest[..start], false);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if !word.is_empty() {
            let lower = word.to_lowercase();
            let hit = terms.words().iter().any(|w| lower.starts_with(w.as_str()));
            push(word, hit);
        }
        rest = &rest[end..];
    }
    out
}

/// About `max` characters of `text` around its first match (the start when nothing matches),
/// with an ellipsis where it was cut.
pub fn excerpt(text: &str, terms: &Terms, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_owned();
    }
    let lower: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
    let first = terms
        .words()
        .iter()
        .filter_map(|w| {
            let w: Vec<char> = w.chars().collect();
            lower.windows(w.len()).position(|win| win == w.as_slice())
        })
        .min()
        .filter(|_| lower.len() == chars.len())
        .unwrap_or(0);
    let start = first.saturating_sub(max / 3);
    let end = (start + max).min(chars.len());
    let start = end.saturating_sub(max).min(start);
    let mut s: String = chars[start..end].iter().collect();
    if start > 0 {
        s = format!("…{}", s.trim_start());
    }
    if end < chars.len() {
        s = format!("{}…", s.trim_end());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_quotes_and_punctuation_are_only_separators() {
        let t = Terms::parse(r#"urban "forest" OR trees* -(NEAR) AND urban'; DROP TABLE x;--"#);
        assert_eq!(
            t.words(),
            ["urban", "forest", "trees", "near", "drop", "table", "x"]
        );
        assert_eq!(t.common(), ["or", "and"]);
        assert_eq!(
            t.fts5(),
            r#""urban" "forest" "trees" "near" "drop" "table" "x""#
        );
        assert!(Terms::parse("\"\" ()* ^ : & | !").is_empty());
        assert_eq!(Terms::parse("garden:* & !x").tsquery(), "garden & x");
    }

    #[test]
    fn common_words_are_left_out_and_reported() {
        let t = Terms::parse("The Gardens of THE city");
        assert_eq!(t.words(), ["gardens", "city"]);
        assert_eq!(t.common(), ["the", "of"]);
        assert_eq!(t.tsquery(), "gardens & city");
        let only = Terms::parse("to be or not to be");
        assert!(only.is_empty());
        assert_eq!(only.common(), ["to", "be", "or", "not"]);
        assert!(
            COMMON_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
    }

    #[test]
    fn other_scripts_are_words_and_long_input_is_bounded() {
        assert_eq!(
            Terms::parse("Привет, 世界 Café").words(),
            ["привет", "世界", "café"]
        );
        let long = "a".repeat(10_000);
        let t = Terms::parse(&long);
        assert_eq!(t.words()[0].chars().count(), MAX_WORD);
        let many = (0..50)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(Terms::parse(&many).words().len(), MAX_WORDS);
    }

    #[test]
    fn cursors_round_trip_and_junk_is_ignored() {
        let c = Cursor {
            score: -1234,
            id: 7,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("x_1"), None);
        assert_eq!(Cursor::decode("' OR 1=1"), None);
    }

    #[test]
    fn matches_are_marked_by_word_prefix() {
        let t = Terms::parse("garden");
        let h = highlight("Household gardens, and Gardening.", &t);
        let hits: Vec<&str> = h
            .iter()
            .filter(|(_, m)| *m)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(hits, ["gardens", "Gardening"]);
        assert_eq!(
            h.iter().map(|(s, _)| s.as_str()).collect::<String>(),
            "Household gardens, and Gardening."
        );
    }

    #[test]
    fn excerpts_centre_on_the_first_match() {
        let text = format!("{} needle {}", "x ".repeat(200), "y ".repeat(200));
        let e = excerpt(&text, &Terms::parse("needle"), 60);
        assert!(e.contains("needle"), "{e}");
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert_eq!(excerpt("short", &Terms::parse("x"), 60), "short");
    }
}
