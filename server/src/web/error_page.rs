//! A complete HTML page for errors answered outside Leptos (refused posts, sign-in failures that
//! cannot go back to a form, bodies too large). It carries the same look and says what to do next.

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn html(title: &str, body: &str) -> axum::response::Html<String> {
    html_from("", title, body)
}

/// The same page answered on another host (an app host), whose own paths belong to the
/// resource: its links and styles point at the portal, `portal` being its `PUBLIC_URL`.
pub fn html_from(portal: &str, title: &str, body: &str) -> axum::response::Html<String> {
    let (title, body, p) = (escape(title), escape(body), escape(portal));
    axum::response::Html(format!(
        r##"<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Campus Portal</title><link rel="stylesheet" href="{p}/css/main.css"><link rel="stylesheet" href="{p}/app.css"></head>
<body><a class="ons-skip-to-content" href="#main-content">Skip to content</a>
<header class="ons-header ons-header--internal" role="banner"><div class="ons-header__main"><div class="ons-container">
<a class="ons-header__title-link" href="{p}/"><span class="ons-header__title">Campus Portal</span></a></div></div></header>
<div class="ons-page__container ons-container"><main id="main-content" class="ons-page__main ons-u-mt-l ons-u-mb-3xl">
<h1 class="ons-u-fs-2xl">{title}</h1><p>{body}</p><p><a href="{p}/">Go to the home page</a></p></main></div></body></html>"##
    ))
}
