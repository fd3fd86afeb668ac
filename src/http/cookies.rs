//! The session cookie: its name (Drupal's scheme unless configured) and attributes. A session
//! may arrive under any name an enabled dialect issues (Django's `sessionid`, say), so that
//! every dialect sees the same login.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::Request;
use axum::http::header::{COOKIE, HOST, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use cookie::Cookie;
use sha2::{Digest, Sha256};

use crate::config::{CookieConfig, SameSite};

pub struct SessionCookies {
    config: CookieConfig,
    /// The name when it does not depend on the request: configured, or derived from
    /// `cookie.domain`.
    fixed_name: Option<String>,
    /// `cookie.secure` as resolved against `public_url`.
    secure: bool,
    /// The names the session is read under, in this order: those the enabled dialects issue.
    read_as: Vec<CookieName>,
    /// The last `Host` header a name was derived for, and that name: nearly every request to
    /// a server names the same host, and deriving costs a SHA-256 on every session check.
    /// One slot, so that requests naming made-up hosts cannot grow it.
    last_derived: RwLock<Option<(String, String)>>,
}

/// A name a dialect issues or reads the session cookie under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieName {
    /// The server's own: `cookie.name`, or as Drupal names it.
    Standard,
    /// A name of the dialect's, such as Django's `sessionid`.
    Named(String),
}

impl SessionCookies {
    /// The cookie with `config`'s attributes, read under `read_as` (duplicates are dropped).
    pub fn new(config: CookieConfig, secure: bool, read_as: Vec<CookieName>) -> Self {
        let fixed_name = if !config.name.is_empty() {
            Some(config.name.clone())
        } else if !config.domain.is_empty() {
            Some(drupal_name(&config.domain, secure))
        } else {
            None
        };
        let mut unique = Vec::with_capacity(read_as.len());
        for name in read_as {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        Self {
            config,
            fixed_name,
            secure,
            read_as: unique,
            last_derived: RwLock::new(None),
        }
    }

    /// `SESS` (`SSESS` when secure) and 32 hex digits of SHA-256 over the cookie domain, or
    /// else the request's host without its port, as Drupal names its session cookie.
    pub fn name(&self, headers: &HeaderMap) -> String {
        if let Some(name) = &self.fixed_name {
            return name.clone();
        }
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        // A poisoned slot holds a whole pair or none: either is safe to use.
        if let Some((seen, name)) = &*self.last_derived.read().unwrap_or_else(|e| e.into_inner())
            && seen == host
        {
            return name.clone();
        }
        let path = self.config.path.trim_end_matches('/');
        let basis = format!("{}{path}", strip_port(host).to_ascii_lowercase());
        let name = drupal_name(&basis, self.secure);
        *self.last_derived.write().unwrap_or_else(|e| e.into_inner()) =
            Some((host.to_string(), name.clone()));
        name
    }

    /// The session id the request carries, if any, under the first name it has a cookie of.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        self.candidates(headers)
            .into_iter()
            .next()
            .map(|(_, id)| id)
    }

    /// Every session id the request carries, with the name of its cookie, in the order of
    /// the names read. A browser can hold several, some from ended sessions.
    pub fn candidates(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = Vec::with_capacity(self.read_as.len());
        for name in &self.read_as {
            let name = match name {
                CookieName::Standard => self.name(headers),
                CookieName::Named(name) => name.clone(),
            };
            if found.iter().any(|(seen, _)| *seen == name) {
                continue;
            }
            if let Some(id) = read_cookie(headers, &name) {
                found.push((name, id));
            }
        }
        found
    }

    /// `Set-Cookie` value that stores `session_id` until `expires_at`.
    pub fn issue(&self, headers: &HeaderMap, session_id: &str, max_age: i64) -> String {
        self.issue_as(&self.name(headers), session_id, max_age)
    }

    /// [`Self::issue`] under another cookie name.
    pub fn issue_as(&self, name: &str, session_id: &str, max_age: i64) -> String {
        let mut cookie = self.base(name, session_id.to_string());
        cookie.set_max_age(cookie::time::Duration::seconds(max_age));
        cookie.set_expires(
            cookie::time::OffsetDateTime::now_utc() + cookie::time::Duration::seconds(max_age),
        );
        cookie.encoded().to_string()
    }

    /// A cookie with the session cookie's attributes that scripts may read, such as the
    /// `XSRF-TOKEN` a browser app copies into a header.
    pub fn readable(&self, name: &str, value: &str, max_age: i64) -> String {
        let mut cookie = self.base(name, value.to_string());
        cookie.set_http_only(false);
        cookie.set_max_age(cookie::time::Duration::seconds(max_age));
        cookie.set_expires(
            cookie::time::OffsetDateTime::now_utc() + cookie::time::Duration::seconds(max_age),
        );
        cookie.encoded().to_string()
    }

    /// `Set-Cookie` value that makes the client forget the session cookie.
    pub fn expire(&self, headers: &HeaderMap) -> String {
        self.expire_as(&self.name(headers))
    }

    /// [`Self::expire`] under another cookie name.
    pub fn expire_as(&self, name: &str) -> String {
        let mut cookie = self.base(name, String::new());
        cookie.make_removal();
        cookie.encoded().to_string()
    }

    fn base(&self, name: &str, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::new(name.to_string(), value);
        cookie.set_path(self.config.path.clone());
        cookie.set_http_only(self.config.http_only);
        cookie.set_secure(self.secure);
        cookie.set_same_site(match self.config.same_site {
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::None => cookie::SameSite::None,
        });
        if !self.config.domain.is_empty() {
            cookie.set_domain(self.config.domain.clone());
        }
        cookie
    }
}

/// Drupal's session cookie name for `basis` (the cookie domain, or the host and path).
pub fn drupal_name(basis: &str, secure: bool) -> String {
    let digest = Sha256::digest(basis.as_bytes());
    let mut name = String::from(if secure { "SSESS" } else { "SESS" });
    for byte in &digest[..16] {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// Removals of session cookies that named no live session, collected while the request is
/// served and sent with its response (see [`expire_stale_cookies`]).
#[derive(Clone, Default)]
pub struct StaleCookies(Arc<Mutex<Vec<(String, String)>>>);

impl StaleCookies {
    /// Asks the response to remove cookie `name` with the `Set-Cookie` value `removal`.
    pub fn push(&self, name: String, removal: String) {
        if let Ok(mut stale) = self.0.lock() {
            stale.push((name, removal));
        }
    }
}

/// Middleware: a cookie of an ended session would otherwise keep shadowing a live one under
/// the other name (or be sent forever), so the response removes it, unless the handler set
/// that cookie itself.
pub async fn expire_stale_cookies(mut request: Request, next: Next) -> Response {
    let stale = StaleCookies::default();
    request.extensions_mut().insert(stale.clone());
    let mut response = next.run(request).await;
    let Ok(mut stale) = stale.0.lock() else {
        return response;
    };
    for (name, removal) in stale.drain(..) {
        let prefix = format!("{name}=");
        let already_set = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(prefix.as_bytes()));
        if !already_set && let Ok(value) = HeaderValue::from_str(&removal) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The value of the first cookie called `name` in the request.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie_pairs(headers)
        .find(|(pair_name, _)| *pair_name == name)
        .map(|(_, value)| value.to_string())
}

/// Each `name=value` pair of the request's `Cookie` headers, trimmed as the `cookie` crate
/// parses them (quotes kept), without parsing or copying the ones nobody asked for. Pairs
/// without `=` or without a name are skipped.
fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            let name = name.trim();
            (!name.is_empty()).then(|| (name, value.trim()))
        })
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [::1]:8080
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_as_the_cookie_crate_parses_them() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "broken; =nameless; a = 1 ;b=\"q\"".parse().unwrap());
        h.append(COOKIE, "c=x=y; a=2".parse().unwrap());
        assert_eq!(read_cookie(&h, "a").as_deref(), Some("1"));
        assert_eq!(read_cookie(&h, "b").as_deref(), Some("\"q\""));
        assert_eq!(read_cookie(&h, "c").as_deref(), Some("x=y"));
        assert_eq!(read_cookie(&h, "broken"), None);
        assert_eq!(read_cookie(&h, ""), None);
        for pair in ["a = 1 ", "b=\"q\"", "c=x=y"] {
            let parsed = Cookie::parse(pair.trim()).unwrap();
            let mut one = HeaderMap::new();
            one.insert(COOKIE, pair.parse().unwrap());
            assert_eq!(
                read_cookie(&one, parsed.name()).as_deref(),
                Some(parsed.value())
            );
        }
    }

    fn headers(host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        h
    }

    /// Read as the Drupal and Django dialects issue it.
    fn django_too() -> SessionCookies {
        let names = vec![CookieName::Standard, CookieName::Named("sessionid".into())];
        SessionCookies::new(CookieConfig::default(), false, names)
    }

    #[test]
    fn the_name_follows_drupal_and_ignores_the_port() {
        let cookies =
            SessionCookies::new(CookieConfig::default(), false, vec![CookieName::Standard]);
        let name = cookies.name(&headers("example.com:8080"));
        assert_eq!(name, cookies.name(&headers("example.com")));
        assert!(name.starts_with("SESS") && name.len() == 36, "{name}");
        // sha256("example.com") begins a379a6f6…
        assert_eq!(&name[4..12], "a379a6f6");
    }

    #[test]
    fn each_host_keeps_its_own_name_while_hosts_alternate() {
        let cookies =
            SessionCookies::new(CookieConfig::default(), false, vec![CookieName::Standard]);
        let first = cookies.name(&headers("example.com"));
        let second = cookies.name(&headers("example.org"));
        assert_ne!(first, second);
        assert_eq!(cookies.name(&headers("example.com")), first);
        assert_eq!(cookies.name(&headers("EXAMPLE.com:443")), first);
        assert_eq!(cookies.name(&headers("example.org")), second);
    }

    #[test]
    fn a_configured_name_wins() {
        let config = CookieConfig {
            name: "sid".into(),
            ..CookieConfig::default()
        };
        assert_eq!(
            SessionCookies::new(config, false, vec![CookieName::Standard]).name(&headers("x")),
            "sid"
        );
    }

    #[test]
    fn the_session_id_is_read_among_other_cookies() {
        let cookies =
            SessionCookies::new(CookieConfig::default(), false, vec![CookieName::Standard]);
        let mut h = headers("example.com");
        let name = cookies.name(&h);
        h.insert(COOKIE, format!("a=1; {name}=abc; b=2").parse().unwrap());
        assert_eq!(cookies.read(&h).as_deref(), Some("abc"));
    }

    #[test]
    fn another_dialects_name_is_read_when_the_standard_cookie_is_absent() {
        let cookies = django_too();
        let mut h = headers("example.com");
        h.insert(COOKIE, "sessionid=xyz".parse().unwrap());
        assert_eq!(cookies.read(&h).as_deref(), Some("xyz"));
        let name = cookies.name(&h);
        h.insert(
            COOKIE,
            format!("sessionid=xyz; {name}=abc").parse().unwrap(),
        );
        assert_eq!(cookies.read(&h).as_deref(), Some("abc"));
    }

    #[test]
    fn issued_cookies_carry_the_configured_attributes() {
        let cookies =
            SessionCookies::new(CookieConfig::default(), false, vec![CookieName::Standard]);
        let set = cookies.issue(&headers("example.com"), "abc", 100);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
            "{set}"
        );
        assert!(set.contains("Max-Age=100"), "{set}");
        assert!(!set.contains("Secure"), "{set}");
        assert!(
            cookies
                .expire(&headers("example.com"))
                .contains("Max-Age=0")
        );
    }

    mod properties {
        use super::*;
        use axum::http::HeaderValue;
        use axum::http::header::COOKIE;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_cookie_header_reads_without_panicking_and_no_session_id_holds_a_semicolon(
                raw in prop::collection::vec(any::<u8>(), 0..300),
                seeded in any::<String>(),
            ) {
                let cookies = django_too();
                for value in [raw, format!("sessionid={seeded}; SESSx=%{seeded}").into_bytes()] {
                    let Ok(value) = HeaderValue::from_bytes(&value) else { continue };
                    let mut h = headers("example.com");
                    h.insert(COOKIE, value);
                    if let Some(id) = cookies.read(&h) {
                        prop_assert!(!id.contains(';'));
                    }
                    let _ = read_cookie(&h, "csrftoken");
                }
            }
        }
    }
}
