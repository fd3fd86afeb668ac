//! Protections every response and request share, whatever the dialect: security headers,
//! CORS for browser apps on listed origins, and which proxies' `X-Forwarded-For` is believed.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::header::{
    HeaderName, REFERRER_POLICY, RETRY_AFTER, STRICT_TRANSPORT_SECURITY, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::{HttpConfig, Network, canonical_ip as canonical};

/// The security headers every answer carries.
pub fn security_headers(
    config: &HttpConfig,
    public_url: &str,
) -> (
    SetResponseHeaderLayer<Option<HeaderValue>>,
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
) {
    // latch speaks plain HTTP itself; an https public URL means a TLS proxy in front.
    let hsts = (public_url.starts_with("https://") && !config.hsts_max_age.is_zero()).then(|| {
        let value = format!("max-age={}", config.hsts_max_age.as_secs());
        HeaderValue::from_str(&value).expect("digits are a valid header value")
    });
    (
        SetResponseHeaderLayer::if_not_present(STRICT_TRANSPORT_SECURITY, hsts),
        // latch's pages are login forms: nobody may frame them to steal clicks.
        SetResponseHeaderLayer::if_not_present(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        // Reset links carry their secret in the path: never pass it on to another site. Not
        // `no-referrer`: with it browsers send `Origin: null` on the pages' own form posts,
        // which the Django dialect's origin check must then refuse.
        SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    )
}

/// CORS for browser apps on the listed origins; none when no origin is listed.
pub fn cors(config: &HttpConfig) -> Option<CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    let origins = config
        .cors_origins
        .iter()
        // Config::load has refused anything but origins, whose text is a valid header value.
        .filter_map(|o| HeaderValue::from_str(&o.to_string()).ok());
    // Only listed origins get any Access-Control-Allow-* answer, so only they may send
    // credentials; headers and methods are mirrored because `*` is void with credentials.
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods(AllowMethods::mirror_request())
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([
                RETRY_AFTER,
                HeaderName::from_static("x-csrf-token"),
                HeaderName::from_static("x-session-token"),
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The proxies whose `X-Forwarded-For` is believed; none by default, so a client cannot
/// choose the address flood control counts it under.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    pub fn new(networks: &[Network]) -> Self {
        Self(networks.to_vec())
    }

    pub(super) fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not itself a trusted proxy. Entries further left
    /// were written by the client and prove nothing.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // A garbled entry ends the chain: the proxies before it cannot be vouched for.
                None => break,
            }
        }
        Some(client)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        let networks: Vec<Network> = list.iter().map(|s| Network::parse(s).unwrap()).collect();
        TrustedProxies::new(&networks)
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let headers = forwarded("203.0.113.9");
        assert_eq!(
            proxies(&[]).client_ip(ip("10.0.0.1"), &headers),
            ip("10.0.0.1")
        );
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client_ip(ip("192.0.2.1"), &headers),
            ip("192.0.2.1")
        );
        assert_eq!(
            trusted.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_and_spoofed_ones_further_left_are_not() {
        let trusted = proxies(&["10.0.0.0/8", "2001:db8::/32"]);
        let headers = forwarded("1.2.3.4, 203.0.113.9, 10.1.1.1");
        assert_eq!(
            trusted.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
        let headers = forwarded("203.0.113.9:5555, [2001:db8::1]");
        assert_eq!(
            trusted.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.9")
        );
        let headers = forwarded("nonsense");
        assert_eq!(trusted.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
        assert_eq!(
            trusted.client_ip(ip("::ffff:10.0.0.1"), &forwarded("198.51.100.7")),
            ip("198.51.100.7")
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_forwarded_for_yields_an_address_from_a_trusted_peer_and_is_ignored_from_others(
                header in any::<String>(),
                network in any::<String>(),
            ) {
                let _ = Network::parse(&network);
                let trusted = proxies(&["127.0.0.0/8"]);
                let Ok(value) = header.parse() else { return Ok(()) };
                let mut headers = HeaderMap::new();
                headers.insert("x-forwarded-for", value);
                let peer = ip("127.0.0.1");
                let client = trusted.client_ip(peer, &headers);
                prop_assert!(client.is_some());
                prop_assert_eq!(proxies(&[]).client_ip(peer, &headers), peer);
            }
        }
    }
}
