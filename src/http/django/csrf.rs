//! Django's `CsrfViewMiddleware` checks, in its order: Origin, then (HTTPS without Origin)
//! Referer, then the `csrftoken` cookie, then the submitted token. Each failure carries
//! Django's exact reason and advice in plain words for the HTML page.

use axum::http::HeaderMap;
use axum::http::header::{ORIGIN, REFERER};

use super::token::{self, Malformed};
use crate::config::{Origin, OriginPattern};
use crate::http::csrf::{TokenSource, submitted};
use crate::http::origin::{pattern_admits, pattern_admits_host, served_here};

/// Where the submitted token came from, as Django names it in reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Field,
    Header,
}

impl Source {
    fn wording(self) -> &'static str {
        match self {
            Source::Field => "POST",
            Source::Header => "the 'X-Csrftoken' HTTP header",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfFailure {
    BadOrigin(String),
    NoReferer,
    MalformedReferer,
    InsecureReferer,
    BadReferer(String),
    CookieMalformed(Malformed),
    NoCookie,
    TokenMissing,
    TokenMalformed(Source, Malformed),
    TokenIncorrect(Source),
}

impl CsrfFailure {
    /// Django's reason, word for word.
    pub fn reason(&self) -> String {
        let malformed = |m: &Malformed| match m {
            Malformed::Length => "has incorrect length",
            Malformed::Characters => "has invalid characters",
        };
        match self {
            CsrfFailure::BadOrigin(origin) => {
                format!("Origin checking failed - {origin} does not match any trusted origins.")
            }
            CsrfFailure::NoReferer => "Referer checking failed - no Referer.".into(),
            CsrfFailure::MalformedReferer => {
                "Referer checking failed - Referer is malformed.".into()
            }
            CsrfFailure::InsecureReferer => {
                "Referer checking failed - Referer is insecure while host is secure.".into()
            }
            CsrfFailure::BadReferer(referer) => {
                format!("Referer checking failed - {referer} does not match any trusted origins.")
            }
            CsrfFailure::CookieMalformed(m) => format!("CSRF cookie {}.", malformed(m)),
            CsrfFailure::NoCookie => "CSRF cookie not set.".into(),
            CsrfFailure::TokenMissing => "CSRF token missing.".into(),
            CsrfFailure::TokenMalformed(source, m) => {
                format!("CSRF token from {} {}.", source.wording(), malformed(m))
            }
            CsrfFailure::TokenIncorrect(source) => {
                format!("CSRF token from {} incorrect.", source.wording())
            }
        }
    }

    /// What was wrong and how to send it right, for people reading the HTML page.
    pub fn advice(&self, cookie: &str) -> String {
        match self {
            CsrfFailure::BadOrigin(_) | CsrfFailure::BadReferer(_) => format!(
                "The browser says this form was sent from another site. Send it from a page \
                 of this server, or ask the operator to add that site to \
                 django.trusted_origins. (This was about the page the request came from, not \
                 about the {cookie} cookie.)"
            ),
            CsrfFailure::NoReferer | CsrfFailure::MalformedReferer => {
                "This secure site needs to know which page sent the form, and the browser did \
                 not say (no usable Referer header). Allow your browser to send the Referer \
                 header for same-site requests, or send an Origin header."
                    .into()
            }
            CsrfFailure::InsecureReferer => {
                "The form was sent from a page loaded over plain HTTP to this HTTPS site. Open \
                 the page over HTTPS and send the form again."
                    .into()
            }
            CsrfFailure::CookieMalformed(_) => format!(
                "The {cookie} cookie your browser sent is damaged; a new one has been set. \
                 Reload the form and send it again."
            ),
            CsrfFailure::NoCookie => format!(
                "Your browser did not send the {cookie} cookie. Open the form page first (it \
                 sets the cookie), make sure cookies are allowed for this site, and send the \
                 form again. API clients: GET the login page, then send its {cookie} cookie \
                 back with the request."
            ),
            CsrfFailure::TokenMissing => format!(
                "The request carried no CSRF token. Send the value of the {cookie} cookie in \
                 the X-CSRFToken header, or in a form field named csrfmiddlewaretoken."
            ),
            CsrfFailure::TokenMalformed(..) | CsrfFailure::TokenIncorrect(_) => format!(
                "The CSRF token sent does not match the {cookie} cookie; it may come from an \
                 old page (tokens change at every login). Reload the form and send it again, \
                 or send the current {cookie} cookie value in the X-CSRFToken header."
            ),
        }
    }

    /// Whether the response must replace the client's broken cookie.
    pub fn resets_cookie(&self) -> bool {
        matches!(self, CsrfFailure::CookieMalformed(_))
    }
}

/// What the checks need to know about the request besides its headers.
pub struct CsrfRequest<'a> {
    pub headers: &'a HeaderMap,
    /// `request.is_secure()`.
    pub secure: bool,
    pub trusted_origins: &'a [OriginPattern],
    /// The `csrftoken` cookie's value, if sent.
    pub cookie: Option<&'a str>,
    /// The `csrfmiddlewaretoken` form field of a POST form body.
    pub field: Option<&'a str>,
}

/// Runs Django's checks for an unsafe request; returns the cookie's secret on success.
pub fn check(request: &CsrfRequest<'_>) -> Result<String, CsrfFailure> {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    if header(ORIGIN.as_str()).is_some() {
        check_origin(request)?;
    } else if request.secure {
        check_referer(header(REFERER.as_str()), request)?;
    }
    let secret = match request.cookie {
        None => return Err(CsrfFailure::NoCookie),
        Some(cookie) => {
            token::check_format(cookie).map_err(CsrfFailure::CookieMalformed)?;
            token::secret_of(cookie)
        }
    };
    // Django reads a non-empty form field first, then the header (an empty one counts).
    let (source, submitted) = submitted(
        request.headers,
        &[
            (
                Source::Field,
                TokenSource::Given(request.field.filter(|f| !f.is_empty())),
            ),
            (Source::Header, TokenSource::Header("x-csrftoken")),
        ],
    )
    .ok_or(CsrfFailure::TokenMissing)?;
    token::check_format(&submitted).map_err(|m| CsrfFailure::TokenMalformed(source, m))?;
    if !token::matches(&submitted, &secret) {
        return Err(CsrfFailure::TokenIncorrect(source));
    }
    Ok(secret)
}

/// Only the Origin step of [`check`]: a browser request must come from this server's origin or
/// a trusted one. A request without `Origin` (curl, apps) passes.
pub fn check_origin(request: &CsrfRequest<'_>) -> Result<(), CsrfFailure> {
    let Some(origin) = request.headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    // `Origin: null` and other non-origins match nothing.
    let verified = Origin::parse(&origin).is_ok_and(|parsed| {
        let scheme = if request.secure { "https" } else { "http" };
        served_here(&parsed, scheme, request.headers)
            || request
                .trusted_origins
                .iter()
                .any(|pattern| pattern_admits(pattern, &parsed))
    });
    if verified {
        Ok(())
    } else {
        Err(CsrfFailure::BadOrigin(origin))
    }
}

/// The Referer must be an HTTPS page of this server's host or a trusted origin's.
fn check_referer(referer: Option<String>, request: &CsrfRequest<'_>) -> Result<(), CsrfFailure> {
    let referer = referer.ok_or(CsrfFailure::NoReferer)?;
    let (scheme, netloc) = split_url(&referer).ok_or(CsrfFailure::MalformedReferer)?;
    if scheme.is_empty() || netloc.is_empty() {
        return Err(CsrfFailure::MalformedReferer);
    }
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(CsrfFailure::InsecureReferer);
    }
    let trusted = Origin::from_parts("https", netloc).is_ok_and(|page| {
        served_here(&page, "https", request.headers)
            || request
                .trusted_origins
                .iter()
                .any(|pattern| pattern_admits_host(pattern, &page))
    });
    if trusted {
        Ok(())
    } else {
        Err(CsrfFailure::BadReferer(referer))
    }
}

/// Scheme and netloc (`host[:port]`) of an absolute URL, as `urlsplit` finds them.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::HOST;

    fn run(
        pairs: &[(&'static str, &str)],
        secure: bool,
        cookie: Option<&str>,
    ) -> Result<String, CsrfFailure> {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "a.test".parse().unwrap());
        for (k, v) in pairs {
            headers.insert(*k, v.parse().unwrap());
        }
        let trusted = vec![
            "https://app.test".parse().unwrap(),
            "https://*.corp.test".parse().unwrap(),
        ];
        check(&CsrfRequest {
            headers: &headers,
            secure,
            trusted_origins: &trusted,
            cookie,
            field: None,
        })
    }

    #[test]
    fn origins_are_matched_exactly_or_by_wildcard() {
        let secret = token::new_secret();
        let ok = |origin: &'static str| {
            run(
                &[("origin", origin), ("x-csrftoken", &secret)],
                true,
                Some(&secret),
            )
            .is_ok()
        };
        assert!(ok("https://a.test"));
        assert!(ok("https://app.test"));
        assert!(ok("https://x.corp.test"));
        assert!(!ok("http://x.corp.test"));
        assert!(!ok("http://a.test"));
        assert!(!ok("null"));
    }

    #[test]
    fn referers_are_checked_on_https_only() {
        let s = token::new_secret();
        let with = |referer: &'static str| {
            run(&[("referer", referer), ("x-csrftoken", &s)], true, Some(&s))
        };
        assert!(with("https://a.test/form").is_ok());
        assert!(with("https://sub.corp.test/").is_ok());
        assert_eq!(with("http://a.test/"), Err(CsrfFailure::InsecureReferer));
        assert_eq!(with("nonsense"), Err(CsrfFailure::MalformedReferer));
        assert_eq!(with("https:///x"), Err(CsrfFailure::MalformedReferer));
        assert_eq!(
            with("https://evil.test/x"),
            Err(CsrfFailure::BadReferer("https://evil.test/x".into()))
        );
        assert_eq!(
            run(&[("x-csrftoken", &s)], true, Some(&s)),
            Err(CsrfFailure::NoReferer)
        );
        assert!(run(&[("x-csrftoken", &s)], false, Some(&s)).is_ok());
    }
}
