//! The link to the next page of a keyset-paged list (see campus_core::paging): a plain link, so
//! it works with JavaScript off, and a client-side navigation with it on.

use leptos::prelude::*;

/// The `after` query parameter: a positive row id, or none for the first page. Anything else (a
/// hand-edited link) starts from the beginning rather than failing.
pub fn after_param(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|id| *id > 0)
}

/// The page's `after` query parameter, read reactively: the key for a paged list's resource.
pub fn use_after() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || query.with(|q| after_param(q.get("after").as_deref()))
}

/// "More …" after a list, when there is more.
#[component]
pub fn NextPage(
    next: Option<i64>,
    href: impl Fn(i64) -> String + 'static,
    text: &'static str,
) -> impl IntoView {
    next.map(|n| {
        view! {
            <p class="ons-u-mt-m"><a href=href(n) rel="next">{text}</a></p>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::after_param;

    #[test]
    fn a_bad_continuation_starts_from_the_beginning() {
        assert_eq!(after_param(Some("42")), Some(42));
        for bad in ["", "0", "-3", "x", "9999999999999999999999", "1; DROP"] {
            assert_eq!(after_param(Some(bad)), None, "{bad}");
        }
        assert_eq!(after_param(None), None);
    }
}
