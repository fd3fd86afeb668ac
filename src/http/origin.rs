//! Screening browser requests by where they come from, for every dialect: refusing cross-site
//! ones by `Sec-Fetch-Site` and `Origin`, and matching an origin against the configured ones.
//! Browsers always send one of those headers on unsafe requests; curl and apps send neither and
//! pass. This stops CSRF against cookie sessions and login CSRF alike, on top of the dialects'
//! own token checks.

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method};

use crate::config::{Origin, OriginPattern};

/// Why the request must be refused, or `None` if it may proceed.
pub fn cross_site_refusal(
    method: &Method,
    headers: &HeaderMap,
    trusted: &[Origin],
) -> Option<String> {
    if is_safe(method) {
        return None;
    }
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("same-origin") | Some("none")) {
        return None;
    }
    let parsed = origin.and_then(|o| Origin::parse(o).ok());
    let trusted_origin = parsed.as_ref().is_some_and(|o| trusted.contains(o));
    let same_host = parsed
        .as_ref()
        .is_some_and(|o| served_here(o, o.scheme(), headers));
    match origin {
        Some(_) if trusted_origin => None,
        Some(_) if fetch_site.is_none() && same_host => None,
        Some(origin) => Some(format!(
            "Cross-site request refused: the browser says it comes from {origin}, which is not \
             this server's origin. A browser app on another origin must be listed in \
             http.trusted_origins; clients outside a browser send no Origin header."
        )),
        None if fetch_site.is_some() => Some(
            "Cross-site request refused: the browser marked it as cross-site and sent no Origin. \
             Send it from this server's origin or a trusted one (http.trusted_origins)."
                .to_string(),
        ),
        None => None,
    }
}

/// The methods that change nothing, which no screening or CSRF check applies to.
pub fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether `origin` is `scheme://` and the host and port the request was sent to.
pub fn served_here(origin: &Origin, scheme: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    Origin::from_parts(scheme, host).is_ok_and(|own| own == *origin)
}

/// Whether `pattern` admits `origin`: the same origin, or for `scheme://*.domain` the same
/// scheme and port and a host that is the domain or under it.
pub fn pattern_admits(pattern: &OriginPattern, origin: &Origin) -> bool {
    match pattern {
        OriginPattern::Exact(exact) => exact == origin,
        OriginPattern::Subdomains { scheme, .. } => {
            scheme == origin.scheme() && pattern_admits_host(pattern, origin)
        }
    }
}

/// [`pattern_admits`] by host and port alone, as Django's Referer check compares them.
pub fn pattern_admits_host(pattern: &OriginPattern, origin: &Origin) -> bool {
    match pattern {
        OriginPattern::Exact(exact) => {
            exact.host() == origin.host() && exact.port() == origin.port()
        }
        OriginPattern::Subdomains { domain, port, .. } => {
            let host = origin.host();
            *port == origin.port()
                && (host == domain
                    || host
                        .strip_suffix(domain.as_str())
                        .is_some_and(|sub| sub.ends_with('.')))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn clients_without_browser_headers_pass() {
        assert_eq!(
            cross_site_refusal(&Method::POST, &headers(&[("host", "a.test")]), &[]),
            None
        );
    }

    #[test]
    fn same_origin_requests_pass() {
        let h = headers(&[("host", "a.test:8080"), ("origin", "http://a.test:8080")]);
        assert_eq!(cross_site_refusal(&Method::POST, &h, &[]), None);
        let h = headers(&[
            ("host", "a.test"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://a.test"),
        ]);
        assert_eq!(cross_site_refusal(&Method::POST, &h, &[]), None);
    }

    #[test]
    fn cross_site_requests_are_refused_unless_trusted() {
        let h = headers(&[("host", "a.test"), ("origin", "https://evil.test")]);
        assert!(
            cross_site_refusal(&Method::POST, &h, &[])
                .unwrap()
                .contains("evil.test")
        );
        assert_eq!(
            cross_site_refusal(&Method::POST, &h, &["https://evil.test".parse().unwrap()]),
            None
        );
        let h = headers(&[("host", "a.test"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site_refusal(&Method::DELETE, &h, &[]).is_some());
        let h = headers(&[
            ("host", "a.test"),
            ("sec-fetch-site", "same-site"),
            ("origin", "http://a.test"),
        ]);
        assert!(cross_site_refusal(&Method::POST, &h, &[]).is_some());
    }

    #[test]
    fn safe_methods_are_never_refused() {
        let h = headers(&[("host", "a.test"), ("origin", "https://evil.test")]);
        assert_eq!(cross_site_refusal(&Method::GET, &h, &[]), None);
    }

    #[test]
    fn wildcard_patterns_admit_the_domain_and_its_subdomains_only() {
        let pattern: OriginPattern = "https://*.corp.test".parse().unwrap();
        let admits = |o: &str| pattern_admits(&pattern, &o.parse().unwrap());
        assert!(admits("https://a.corp.test"));
        assert!(admits("https://a.b.corp.test"));
        assert!(admits("https://corp.test"));
        assert!(!admits("http://a.corp.test"));
        assert!(!admits("https://evilcorp.test"));
        assert!(!admits("https://a.corp.test:8443"));
    }

    #[test]
    fn app_schemes_are_trusted_when_listed() {
        let h = headers(&[("host", "a.test"), ("origin", "capacitor://localhost")]);
        assert!(cross_site_refusal(&Method::POST, &h, &[]).is_some());
        let trusted = ["capacitor://localhost".parse().unwrap()];
        assert_eq!(cross_site_refusal(&Method::POST, &h, &trusted), None);
    }
}
