//! The one way to know which address a request came from: the connection's peer, or, when that
//! peer is a reverse proxy named in `TRUSTED_PROXIES`, the client it says it forwarded for.
//! Sign-in throttling counts by it and the gateway passes it on, so a client must not be able
//! to choose it by sending its own `X-Forwarded-For`.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's IP address, as text for logs and records ("unknown" when the server was not
/// given the connection's peer, as in a router driven without a listener).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, then the last address
/// in `X-Forwarded-For` that is not one (proxies append, so what is left of them is the client's
/// own claim and cannot be trusted).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| client_ip(c.0.ip(), &parts.headers, &state.config.trusted_proxies))
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use axum::http::{HeaderMap, HeaderValue};
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static(v));
        h
    }

    #[test]
    fn a_client_cannot_choose_its_address() {
        let h = forwarded("203.0.113.9");
        assert_eq!(client_ip(ip("198.51.100.7"), &h, &[]), ip("198.51.100.7"));
        assert_eq!(
            client_ip(ip("198.51.100.7"), &h, &[ip("10.0.0.1")]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_address_it_did_not_add() {
        let proxy = ip("10.0.0.1");
        // The client sent "1.2.3.4" itself; the proxy appended the address it saw.
        let h = forwarded("1.2.3.4, 198.51.100.7");
        assert_eq!(client_ip(proxy, &h, &[proxy]), ip("198.51.100.7"));
        let chain = forwarded("1.2.3.4, 198.51.100.7, 10.0.0.2");
        assert_eq!(
            client_ip(proxy, &chain, &[proxy, ip("10.0.0.2")]),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
