//! The header policy for proxied traffic. A resource's server is written by whoever owns it, so
//! its responses pass an allow-list, and what the browser sent the portal (its cookie, its
//! `Authorization`, forwarding headers it made up) never reaches the resource.

use axum::http::header::{self, HeaderMap, HeaderName};

/// Response headers a resource may send. Anything else is dropped: `Clear-Site-Data` (could wipe
/// the portal's storage), `Service-Worker-Allowed` (could widen a worker's scope over the portal),
/// `WWW-Authenticate` (a password prompt in the portal's name), `Strict-Transport-Security`,
/// `Alt-Svc`, `Link` and whatever else a browser gives meaning to on the host it came from.
const ALLOWED: &[&str] = &[
    "accept-ranges",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "access-control-max-age",
    "age",
    "allow",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-range",
    "content-security-policy",
    "content-type",
    "cross-origin-embedder-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "date",
    "etag",
    "expires",
    "last-modified",
    "location",
    "pragma",
    "referrer-policy",
    "retry-after",
    "set-cookie",
    "vary",
];

/// Kept on a `101 Switching Protocols`, whose handshake needs them.
const UPGRADE: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// Request headers that say who the client is or how it came: only the portal sets these.
const FORWARDING: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-real-ip",
];

/// A cookie name without the `__Host-`/`__Secure-` prefix, which browsers match in any case.
fn base_name(name: &str) -> &str {
    for prefix in ["__host-", "__secure-"] {
        if name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return &name[prefix.len()..];
        }
    }
    name
}

/// Whether a cookie name is one of `ours` (the portal's session, the app host's pass), with or
/// without a prefix.
fn is_ours(name: &str, ours: &[&str]) -> bool {
    ours.iter()
        .any(|o| base_name(name).eq_ignore_ascii_case(base_name(o)))
}

/// Whether a resource may set this cookie: never one of the portal's names (with or without a
/// prefix), and only for the host it was served from (no `Domain`, which would reach siblings
/// and parents).
fn cookie_allowed(set_cookie: &str, ours: &[&str]) -> bool {
    let mut parts = set_cookie.split(';');
    let name = parts
        .next()
        .and_then(|pair| pair.split_once('=').map(|(n, _)| n).or(Some(pair)))
        .unwrap_or("")
        .trim();
    if name.is_empty() || is_ours(name, ours) {
        return false;
    }
    !parts.any(|attr| {
        attr.split('=')
            .next()
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("domain"))
    })
}

/// Filters a resource's response headers in place. `x-` headers an application defines for its
/// own clients pass, as browsers give them no meaning.
pub fn from_backend(headers: &mut HeaderMap, ours: &[&str], upgrade: bool) {
    let cookies: Vec<_> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter(|v| v.to_str().is_ok_and(|c| cookie_allowed(c, ours)))
        .cloned()
        .collect();
    let dropped: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            let n = name.as_str();
            let allowed = ALLOWED.contains(&n)
                || (upgrade && UPGRADE.contains(&n))
                || (n.starts_with("x-") && n != "x-forwarded-for");
            !allowed
        })
        .cloned()
        .collect();
    for name in dropped {
        headers.remove(name);
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        headers.append(header::SET_COOKIE, c);
    }
}

/// Strips from a request what the browser sent for the portal: its cookies (`ours`: the session,
/// the app host's pass), its `Authorization` (a portal API token) and any forwarding headers,
/// which the proxy sets itself.
pub fn to_backend(headers: &mut HeaderMap, ours: &[&str]) {
    headers.remove(header::AUTHORIZATION);
    for h in FORWARDING {
        headers.remove(*h);
    }
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| {
            let name = c.split('=').next().unwrap_or("").trim();
            !c.is_empty() && !is_ours(name, ours)
        })
        .map(str::to_owned)
        .collect();
    headers.remove(header::COOKIE);
    if !kept.is_empty() {
        if let Ok(v) = header::HeaderValue::from_str(&kept.join("; ")) {
            headers.insert(header::COOKIE, v);
        }
    }
}

/// A browser fetching a service worker's script says so (`Service-Worker: script`). Resources
/// register none: a worker outlives the page and intercepts every request in its scope.
pub fn fetches_service_worker(headers: &HeaderMap) -> bool {
    headers.contains_key("service-worker")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn cookies(h: &HeaderMap) -> Vec<&str> {
        h.get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn a_resource_cannot_set_or_clear_the_portals_cookie() {
        let mut h = map(&[
            ("set-cookie", "campus_session=stolen; Path=/"),
            ("set-cookie", "__Host-campus_session=x; Path=/; Secure"),
            ("set-cookie", "__SECURE-Campus_Session=x"),
            ("set-cookie", "campus_session=; Max-Age=0"),
            ("set-cookie", "_xsrf=abc; Path=/w/cp-1/"),
            ("set-cookie", "tracker=1; Domain=campus.example"),
            ("set-cookie", "other=1; path=/; DOMAIN=.example"),
        ]);
        from_backend(&mut h, &["campus_session", "campus_pass"], false);
        assert_eq!(cookies(&h), ["_xsrf=abc; Path=/w/cp-1/"]);
        let mut h = map(&[("set-cookie", "campus_session=x")]);
        from_backend(&mut h, &["__Host-campus_session"], false);
        assert!(cookies(&h).is_empty());
        let mut h = map(&[("set-cookie", "__Host-campus_pass=forged; Path=/; Secure")]);
        from_backend(&mut h, &["campus_session", "campus_pass"], false);
        assert!(cookies(&h).is_empty(), "nor the app host's pass");
    }

    #[test]
    fn headers_a_browser_acts_on_for_the_whole_host_are_dropped() {
        let mut h = map(&[
            ("content-type", "text/html"),
            ("clear-site-data", "\"*\""),
            ("service-worker-allowed", "/"),
            ("www-authenticate", "Basic realm=\"Campus Portal\""),
            ("strict-transport-security", "max-age=0"),
            ("alt-svc", "h3=\":443\""),
            ("link", "</sw.js>; rel=serviceworker"),
            ("x-total-count", "12"),
            ("x-forwarded-for", "10.0.0.1"),
            ("upgrade", "websocket"),
        ]);
        from_backend(&mut h, &["campus_session"], false);
        let mut kept: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        kept.sort();
        assert_eq!(kept, ["content-type", "x-total-count"]);
    }

    #[test]
    fn a_websocket_handshake_keeps_what_it_needs() {
        let mut h = map(&[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", "abc"),
            ("clear-site-data", "\"cookies\""),
        ]);
        from_backend(&mut h, &["campus_session"], true);
        assert_eq!(h.len(), 3);
        assert!(!h.contains_key("clear-site-data"));
    }

    #[test]
    fn the_portals_credentials_and_made_up_forwarding_never_reach_a_backend() {
        let mut h = map(&[
            ("cookie", "campus_session=secret; _xsrf=abc; campus_pass=p"),
            ("cookie", "other=1"),
            ("authorization", "Bearer cp_portal_token"),
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-host", "evil.example"),
            ("forwarded", "for=1.2.3.4"),
            ("x-real-ip", "1.2.3.4"),
            ("accept", "text/html"),
        ]);
        to_backend(&mut h, &["campus_session", "campus_pass"]);
        assert_eq!(h.get(header::COOKIE).unwrap(), "_xsrf=abc; other=1");
        let mut left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(left, ["accept", "cookie"]);
        let mut only = map(&[("cookie", "campus_session=secret")]);
        to_backend(&mut only, &["campus_session"]);
        assert!(only.get(header::COOKIE).is_none());
    }

    #[test]
    fn a_service_worker_fetch_is_recognised() {
        assert!(fetches_service_worker(&map(&[(
            "service-worker",
            "script"
        )])));
        assert!(!fetches_service_worker(&map(&[("accept", "*/*")])));
    }
}
