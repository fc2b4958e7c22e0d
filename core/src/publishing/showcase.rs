//! A project's public page: what the lead writes, the checks it must pass, and the copy that
//! publishing makes. The draft may be incomplete; only a complete one can be published.

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

pub const MAX_TITLE: usize = 120;
pub const MAX_SUMMARY: usize = 400;
pub const MAX_BODY: usize = 40_000;
pub const MAX_LINES: usize = 20;
pub const MAX_LINE: usize = 200;
pub const MAX_TAGS: usize = 8;
pub const MAX_TAG: usize = 30;
pub const FIRST_YEAR: i64 = 2015;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub text: String,
    pub url: String,
}

/// What the lead writes. Lists are kept in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub title: String,
    pub summary: String,
    pub team: Vec<String>,
    pub outputs: Vec<String>,
    pub links: Vec<Link>,
    pub tags: Vec<String>,
    pub year: Option<i64>,
    pub body: String,
}

/// The form's fields as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Form {
    pub title: String,
    pub summary: String,
    pub team: String,
    pub outputs: String,
    pub links: String,
    pub tags: String,
    pub year: String,
    pub body: String,
}

impl Content {
    /// The form showing this content, one list item per line.
    pub fn to_form(&self) -> Form {
        Form {
            title: self.title.clone(),
            summary: self.summary.clone(),
            team: self.team.join("\n"),
            outputs: self.outputs.join("\n"),
            links: self
                .links
                .iter()
                .map(|l| format!("{} | {}", l.text, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
            tags: self.tags.join(", "),
            year: self.year.map(|y| y.to_string()).unwrap_or_default(),
            body: self.body.clone(),
        }
    }

    /// What still stops this draft being published, by field.
    pub fn gaps(&self) -> FieldErrors {
        let mut e = FieldErrors::new();
        if self.title.is_empty() {
            e.add("title", "Enter a title");
        }
        if self.summary.is_empty() {
            e.add("summary", "Enter a summary");
        }
        if self.team.is_empty() {
            e.add("team", "Name at least one member of the team");
        }
        if self.tags.is_empty() {
            e.add("tags", "Enter at least one tag");
        }
        if self.year.is_none() {
            e.add("year", "Enter the year the project started");
        }
        if self.body.trim().is_empty() {
            e.add("body", "Describe the project");
        }
        e
    }
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn check_lines(e: &mut FieldErrors, field: &str, label: &str, items: &[String]) {
    if items.len() > MAX_LINES {
        e.add(field, format!("{label}: at most {MAX_LINES} lines"));
    } else if let Some(l) = items.iter().find(|l| l.chars().count() > MAX_LINE) {
        e.add(
            field,
            format!(
                "{label}: each line must be {MAX_LINE} characters or fewer ({} has {})",
                short(l),
                l.chars().count()
            ),
        );
    }
}

fn short(s: &str) -> String {
    let cut: String = s.chars().take(30).collect();
    if cut.len() < s.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// A link line: `text | https://address`, or just an address.
fn link(line: &str) -> Result<Link, String> {
    let (text, url) = match line.rsplit_once('|') {
        Some((t, u)) => (t.trim(), u.trim()),
        None => (line.trim(), line.trim()),
    };
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
        || url.len() < 10
    {
        return Err(format!(
            "Links: {} is not a web address; write each link as \"text | https://address\"",
            short(url)
        ));
    }
    Ok(Link {
        text: if text.is_empty() {
            url.to_owned()
        } else {
            text.to_owned()
        },
        url: url.to_owned(),
    })
}

/// A tag as it is kept: lower case, letters, digits, spaces and hyphens.
pub fn tag(raw: &str) -> Result<String, String> {
    let t = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if t.is_empty() {
        return Err("Tags cannot be empty".into());
    }
    if t.chars().count() > MAX_TAG {
        return Err(format!(
            "Tag {} is longer than {MAX_TAG} characters",
            short(&t)
        ));
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(format!(
            "Tag {} may only have letters, digits, spaces and hyphens",
            short(&t)
        ));
    }
    Ok(t)
}

/// Parses the form for saving as a draft: every value must be well-formed, but nothing is
/// required yet. `this_year` bounds the year.
pub fn parse(form: &Form, this_year: i64) -> Result<Content, FieldErrors> {
    let mut e = FieldErrors::new();
    let title = form.title.trim().to_owned();
    if title.chars().count() > MAX_TITLE {
        e.add(
            "title",
            format!("Title must be {MAX_TITLE} characters or fewer"),
        );
    }
    let summary = form
        .summary
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if summary.chars().count() > MAX_SUMMARY {
        e.add(
            "summary",
            format!("Summary must be {MAX_SUMMARY} characters or fewer"),
        );
    }
    let team = lines(&form.team);
    check_lines(&mut e, "team", "Team", &team);
    let outputs = lines(&form.outputs);
    check_lines(&mut e, "outputs", "Outputs", &outputs);
    let link_lines = lines(&form.links);
    check_lines(&mut e, "links", "Links", &link_lines);
    let mut links = Vec::new();
    for l in &link_lines {
        match link(l) {
            Ok(l) => links.push(l),
            Err(m) => {
                e.add("links", m);
                break;
            }
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for raw in form.tags.split(',').filter(|t| !t.trim().is_empty()) {
        match tag(raw) {
            Ok(t) if !tags.contains(&t) => tags.push(t),
            Ok(_) => {}
            Err(m) => {
                e.add("tags", m);
                break;
            }
        }
    }
    if tags.len() > MAX_TAGS {
        e.add("tags", format!("Use at most {MAX_TAGS} tags"));
    }
    let year = match form.year.trim() {
        "" => None,
        y => match y.parse::<i64>() {
            Ok(y) if (FIRST_YEAR..=this_year + 1).contains(&y) => Some(y),
            _ => {
                e.add(
                    "year",
                    format!("Year must be a year from {FIRST_YEAR} to {}", this_year + 1),
                );
                None
            }
        },
    };
    if form.body.chars().count() > MAX_BODY {
        e.add(
            "body",
            format!("The description must be {MAX_BODY} characters or fewer"),
        );
    }
    if e.is_empty() {
        Ok(Content {
            title,
            summary,
            team,
            outputs,
            links,
            tags,
            year,
            body: form.body.replace("\r\n", "\n"),
        })
    } else {
        Err(e)
    }
}

/// The copy visitors see: the content with its body rendered once, when it was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub content: Content,
    pub html: String,
}

impl Published {
    pub fn of(content: Content) -> Published {
        let html = super::markdown::render(&content.body);
        Published { content, html }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form {
            title: " Urban forest ".into(),
            summary: "Trees   from\nstreet images.".into(),
            team: "Ana Lee\n\n  Sam Roy ".into(),
            outputs: "Report 2019".into(),
            links: "Code | https://github.com/datasciencecampus/x\nhttps://example.org/blog".into(),
            tags: "Computer vision, environment, computer VISION".into(),
            year: "2019".into(),
            body: "# Aim\r\nCount trees.".into(),
        }
    }

    #[test]
    fn a_full_form_parses_tidied_and_round_trips() {
        let c = parse(&form(), 2026).unwrap();
        assert_eq!(c.title, "Urban forest");
        assert_eq!(c.summary, "Trees from street images.");
        assert_eq!(c.team, ["Ana Lee", "Sam Roy"]);
        assert_eq!(c.tags, ["computer vision", "environment"]);
        assert_eq!(c.links[1].text, "https://example.org/blog");
        assert_eq!(c.year, Some(2019));
        assert_eq!(c.body, "# Aim\nCount trees.");
        assert!(c.gaps().is_empty());
        assert_eq!(parse(&c.to_form(), 2026).unwrap(), c);
    }

    #[test]
    fn a_draft_may_be_incomplete_but_not_malformed() {
        let empty = parse(&Form::default(), 2026).unwrap();
        let gaps = empty.gaps();
        for f in ["title", "summary", "team", "tags", "year", "body"] {
            assert!(gaps.get(f).is_some(), "{f} should be required to publish");
        }
        let bad = Form {
            title: "x".repeat(MAX_TITLE + 1),
            links: "Docs | javascript:alert(1)".into(),
            tags: "ok, <script>".into(),
            year: "1999".into(),
            team: "a\n".repeat(MAX_LINES + 1),
            ..form()
        };
        let e = parse(&bad, 2026).unwrap_err();
        assert!(e.get("title").unwrap().contains("120"));
        assert!(e.get("links").unwrap().contains("not a web address"));
        assert!(e.get("tags").unwrap().contains("letters, digits"));
        assert!(e.get("year").unwrap().contains("2015 to 2027"));
        assert!(e.get("team").unwrap().contains("at most 20"));
    }

    #[test]
    fn publishing_renders_the_body_safely() {
        let c = Content {
            body: "Hi <script>x()</script>".into(),
            ..Content::default()
        };
        let p = Published::of(c);
        assert!(!p.html.contains("<script"));
        assert!(p.html.contains("&lt;script&gt;"));
    }
}
