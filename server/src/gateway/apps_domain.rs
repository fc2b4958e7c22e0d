//! Where resources are served: each on a host of its own, `cp-<id>.<APPS_DOMAIN>`, so a page
//! one person's code serves is another origin than the portal and than every other resource.

use campus_core::requests::kind::resource_name;
use url::Url;

/// Where an app host redeems a code. Resources cannot serve this path.
pub const AUTH_PATH: &str = "/_campus/auth";

/// The domain app hosts live under, with the scheme they are reached by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppsDomain {
    https: bool,
    /// Lower case, with a port when not the scheme's default: `apps.campus.example`,
    /// `localhost:3000`.
    domain: String,
}

/// What a request's `Host` says it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostIs {
    /// The portal (anything not under the apps domain).
    Portal,
    /// The host of resource `id`.
    App(i64),
    /// Under the apps domain, but not any resource's host.
    NoSuchApp,
}

impl AppsDomain {
    /// `domain` as configured (`APPS_DOMAIN`), or, when unset, `localhost` with the portal's port
    /// for a portal on loopback: browsers send `*.localhost` to loopback with no DNS. Elsewhere
    /// there is no safe guess, so it must be set.
    pub fn new(public_url: &str, domain: Option<&str>) -> Result<AppsDomain, String> {
        let url = Url::parse(public_url).map_err(|e| format!("PUBLIC_URL is not a URL: {e}"))?;
        let https = url.scheme() == "https";
        let domain = match domain.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                let d = d.to_ascii_lowercase();
                let valid = d.split(':').next().is_some_and(|h| {
                    !h.is_empty()
                        && !h.starts_with('.')
                        && !h.ends_with('.')
                        && h.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                }) && d.split(':').nth(1).is_none_or(|p| p.parse::<u16>().is_ok())
                    && d.matches(':').count() <= 1;
                if !valid {
                    return Err(format!(
                        "APPS_DOMAIN {d:?} is not a host name with an optional port, such as apps.campus.example"
                    ));
                }
                d
            }
            None => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if !loopback {
                    return Err(
                        "APPS_DOMAIN must be set when PUBLIC_URL is not on loopback: a wildcard \
                         domain for workspaces and web services, ideally not under the portal's \
                         own registrable domain (see docs/deployment.md)"
                            .to_owned(),
                    );
                }
                match url.port() {
                    Some(p) => format!("localhost:{p}"),
                    None => "localhost".to_owned(),
                }
            }
        };
        Ok(AppsDomain { https, domain })
    }

    /// The origin resource `id` is served from, e.g. `http://cp-7.localhost:3000`.
    pub fn origin(&self, id: i64) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}.{}", resource_name(id), self.domain)
    }

    pub fn https(&self) -> bool {
        self.https
    }

    /// Reads a request's `Host`. Only the canonical name counts (`cp-7`, never `cp-07`), so
    /// one resource has one origin.
    pub fn host_is(&self, host: &str) -> HostIs {
        // Every request asks, the portal's own included: compare in place rather than lower-case
        // a copy.
        let default_port = if self.https { ":443" } else { ":80" };
        let host = strip_suffix_ignoring_case(host, default_port).unwrap_or(host);
        let Some(label) =
            strip_suffix_ignoring_case(host, &self.domain).and_then(|h| h.strip_suffix('.'))
        else {
            return HostIs::Portal;
        };
        let Some(digits) = strip_prefix_ignoring_case(label, "cp-") else {
            return HostIs::NoSuchApp;
        };
        // Only the one spelling of each id (`cp-07` is not `cp-7`), as `resource_name` writes it.
        let canonical = !digits.is_empty()
            && digits.len() <= 18
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        match digits.parse() {
            Ok(id) if canonical => HostIs::App(id),
            _ => HostIs::NoSuchApp,
        }
    }
}

fn strip_suffix_ignoring_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

fn strip_prefix_ignoring_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let cut = prefix.len();
    (s.is_char_boundary(cut) && s[..cut].eq_ignore_ascii_case(prefix)).then(|| &s[cut..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> AppsDomain {
        AppsDomain::new("http://127.0.0.1:3000", None).unwrap()
    }

    #[test]
    fn a_portal_on_loopback_puts_its_apps_under_localhost_on_its_port() {
        assert_eq!(local().origin(7), "http://cp-7.localhost:3000");
        let plain = AppsDomain::new("http://localhost", None).unwrap();
        assert_eq!(plain.origin(7), "http://cp-7.localhost");
    }

    #[test]
    fn elsewhere_the_apps_domain_must_be_chosen() {
        let e = AppsDomain::new("https://portal.campus.example", None).unwrap_err();
        assert!(e.contains("APPS_DOMAIN must be set"), "{e}");
        let set = AppsDomain::new(
            "https://portal.campus.example",
            Some("Apps.Campus-Content.example"),
        )
        .unwrap();
        assert_eq!(set.origin(12), "https://cp-12.apps.campus-content.example");
    }

    #[test]
    fn an_apps_domain_that_is_not_a_host_is_refused() {
        for bad in [
            "https://apps.example",
            "apps.example/x",
            ".apps.example",
            "a:b:c",
            "apps:99999",
        ] {
            assert!(
                AppsDomain::new("http://127.0.0.1:3000", Some(bad)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hosts_are_read_as_the_portal_an_app_or_no_app() {
        let d = local();
        assert_eq!(d.host_is("cp-7.localhost:3000"), HostIs::App(7));
        assert_eq!(d.host_is("CP-7.LocalHost:3000"), HostIs::App(7));
        assert_eq!(d.host_is("127.0.0.1:3000"), HostIs::Portal);
        assert_eq!(d.host_is("localhost:3000"), HostIs::Portal);
        // Another port is another origin: not ours to serve as an app.
        assert_eq!(d.host_is("cp-7.localhost:3001"), HostIs::Portal);
        for no_app in [
            "cp-07.localhost:3000",
            "x.localhost:3000",
            "a.cp-7.localhost:3000",
            ".localhost:3000",
        ] {
            assert_eq!(d.host_is(no_app), HostIs::NoSuchApp, "{no_app}");
        }
        let prod = AppsDomain::new("https://portal.example", Some("apps.example")).unwrap();
        assert_eq!(prod.host_is("cp-3.apps.example"), HostIs::App(3));
        assert_eq!(prod.host_is("cp-3.apps.example:443"), HostIs::App(3));
        assert_eq!(prod.host_is("cp-3.evilapps.example"), HostIs::Portal);
    }
}
