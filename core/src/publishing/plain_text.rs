//! Plain text for the search index and its highlighted snippets. Headings, list items, tags and
//! the other separate pieces of a page each end as a sentence, so a snippet cut from the middle
//! still reads as prose ("Text as data. Tokens. Splitting text…") rather than a run of words.

use pulldown_cmark::{Event, Parser, TagEnd};

/// Plain text of `markdown`: the words without the markup, each block ended as a sentence.
pub fn of_markdown(markdown: &str) -> String {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => current.push_str(&t),
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => blocks.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    blocks.push(current);
    sentences(blocks.iter().map(String::as_str))
}

/// `parts` as sentences: each trimmed, given a full stop unless it already ends a sentence, and
/// joined by single spaces; empty parts are left out.
pub fn sentences<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        let words = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&words);
        if !words.ends_with(['.', '!', '?', ':', ';', '…']) {
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_loses_its_markup_and_each_block_ends_a_sentence() {
        assert_eq!(
            of_markdown("# Aim\n\nWe *measure* [access](https://x.org).\n\n- one\n- two?\n\n```r\nmean(x)\n```"),
            "Aim. We measure access. one. two? mean(x)."
        );
    }

    #[test]
    fn lines_of_one_paragraph_stay_one_sentence() {
        assert_eq!(
            of_markdown("Journey times\nby bus"),
            "Journey times by bus."
        );
    }

    #[test]
    fn parts_become_sentences_and_empty_ones_vanish() {
        assert_eq!(
            sentences(["  Trends  in patents ", "", "Done!", "a: b", "python"]),
            "Trends in patents. Done! a: b. python."
        );
        assert_eq!(sentences([" ", ""]), "");
    }
}
