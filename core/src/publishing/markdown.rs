//! Markdown written by people (project pages, course materials) made safe to show. It is rendered
//! on the server and sanitised: raw HTML in the source comes out as text, script and event
//! handlers cannot survive, links keep to http, https and mailto, and images to https or this
//! site. Headings move down one level, because the page's own title is its only `h1`.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::borrow::Cow;

/// Sanitised HTML for `markdown`.
pub fn render(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        // Raw HTML is shown as the text it is; the sanitiser below is the second wall.
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitise(&html)
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Whether an image may be loaded from `src`: over https, or from this site.
fn image_allowed(src: &str) -> bool {
    let s = src.trim().to_ascii_lowercase();
    s.starts_with("https://") || (s.starts_with('/') && !s.starts_with("//"))
}

fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !image_allowed(value) {
                None
            } else {
                Some(Cow::Borrowed(value))
            }
        })
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_markdown_renders_with_headings_one_level_down() {
        let html = render("# Aim\n\nWe *measure* [access](https://example.org/a).\n\n- one\n- two");
        assert!(html.contains("<h2>Aim</h2>"), "{html}");
        assert!(html.contains("<em>measure</em>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.org/a" rel="noopener noreferrer nofollow">access</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<li>two</li>"), "{html}");
    }

    #[test]
    fn script_raw_html_and_event_handlers_come_out_inert() {
        for src in [
            "<script>alert(1)</script>",
            "hello <img src=x onerror=alert(1)>",
            "<a href=\"#\" onclick=\"steal()\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
        ] {
            let html = render(src);
            // With no element left, no handler attribute can exist: what remains is text.
            for bad in ["<script", "<img", "<a ", "<iframe", "<svg"] {
                assert!(!html.contains(bad), "{src} → {html}");
            }
        }
        // Raw HTML is kept as visible text, escaped.
        assert!(render("<b>bold</b>").contains("&lt;b&gt;bold&lt;/b&gt;"));
    }

    #[test]
    fn links_and_images_keep_to_the_allowed_schemes() {
        let html = render(
            "[x](javascript:alert(1)) [y](data:text/html,hi) [z](vbscript:x) [m](mailto:a@b.org)",
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("vbscript:"), "{html}");
        assert!(html.contains(r#"href="mailto:a@b.org""#), "{html}");
        let html = render("![a](https://img.example/a.png) ![b](http://img.example/b.png) ![c](/training/x/files/c.png) ![d](data:image/png;base64,AAAA)");
        assert!(
            html.contains(r#"src="https://img.example/a.png""#),
            "{html}"
        );
        assert!(!html.contains("http://img.example"), "{html}");
        assert!(html.contains(r#"src="/training/x/files/c.png""#), "{html}");
        assert!(!html.contains("data:image"), "{html}");
    }
}
