//! Refusing cross-site browser requests by `Sec-Fetch-Site` and `Origin`. Browsers always send
//! one of them on unsafe requests; curl and apps send neither and pass. This stops CSRF against
//! cookie sessions and login CSRF alike, on top of the dialects' own token checks.

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method};

/// Why the request must be refused, or `None` if it may proceed.
pub fn cross_site_refusal(
    method: &Method,
    headers: &HeaderMap,
    trusted: &[String],
) -> Option<String> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return None;
    }
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("same-origin") | Some("none")) {
        return None;
    }
    // `trusted` holds origins without a trailing slash (AppState::new).
    let trusted_origin = |o: &str| trusted.iter().any(|t| t.eq_ignore_ascii_case(o));
    match origin {
        Some(origin) if trusted_origin(origin) => None,
        Some(origin) if fetch_site.is_none() && same_host(origin, headers) => None,
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

/// Whether the Origin's host and port are the ones the request was sent to.
fn same_host(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    let scheme_default = if origin.starts_with("https://") {
        ":443"
    } else {
        ":80"
    };
    let with_port = |h: &str| {
        if h.rsplit_once(':')
            .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            && !h.ends_with(']')
        {
            h.to_ascii_lowercase()
        } else {
            format!("{}{scheme_default}", h.to_ascii_lowercase())
        }
    };
    !authority.is_empty() && with_port(authority) == with_port(host)
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
            cross_site_refusal(&Method::POST, &h, &["https://evil.test".into()]),
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
}
