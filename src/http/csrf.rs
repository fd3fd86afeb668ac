//! The HTTP side of CSRF tokens, for every dialect: finding the token a request submits, and
//! checking a session's token through `core::csrf` (in constant time). A dialect only chooses
//! where its token may come from and how a refusal is worded.

use axum::http::HeaderMap;

use super::AppState;
use crate::core::{ClientContext, CurrentSession};

/// A place a dialect takes its token from.
#[derive(Debug, Clone, Copy)]
pub enum TokenSource<'a> {
    /// A request header, such as `X-CSRF-Token`.
    Header(&'static str),
    /// A value the dialect found itself: a form field or a query argument.
    Given(Option<&'a str>),
}

/// The token from the first of `sources` the request carries, with the label the dialect gave
/// that source. A header that is present counts even if empty or garbled: such a token is
/// wrong, not missing, and never lets a later source stand in for it.
pub fn submitted<K: Copy>(
    headers: &HeaderMap,
    sources: &[(K, TokenSource<'_>)],
) -> Option<(K, String)> {
    sources.iter().find_map(|(label, source)| {
        let token = match source {
            TokenSource::Header(name) => headers
                .get(*name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
            TokenSource::Given(value) => value.map(str::to_string),
        };
        token.map(|token| (*label, token))
    })
}

/// [`submitted`] for a dialect that does not say where the token came from.
pub fn submitted_token(headers: &HeaderMap, sources: &[TokenSource<'_>]) -> Option<String> {
    let labelled: Vec<((), TokenSource<'_>)> = sources.iter().map(|s| ((), *s)).collect();
    submitted(headers, &labelled).map(|((), token)| token)
}

/// What was wrong with a session's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    /// Not the session's token for any of the purposes asked.
    Invalid,
}

/// A refused token: the problem, and the dialect's reason, already in the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    pub problem: TokenProblem,
    pub reason: &'static str,
}

/// Checks that `token` is the session's token for one of `purposes`. A refusal is recorded in
/// the audit trail with the dialect's wording `reason(problem)` and handed back for the
/// dialect to render.
pub fn check_session_token(
    state: &AppState,
    session: &CurrentSession,
    client: &ClientContext,
    purposes: &[&str],
    token: Option<&str>,
    reason: impl Fn(TokenProblem) -> &'static str,
) -> Result<(), Refused> {
    let problem = match token {
        None => TokenProblem::Missing,
        Some(token) if state.core.csrf_token_valid(session, purposes, token) => return Ok(()),
        Some(_) => TokenProblem::Invalid,
    };
    let reason = reason(problem);
    state.audit_csrf_rejection(Some(session), client, reason);
    Err(Refused { problem, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static [u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, axum::http::HeaderValue::from_bytes(v).unwrap());
        }
        h
    }

    #[test]
    fn the_first_source_present_wins() {
        let sources = [
            TokenSource::Header("x-csrf-token"),
            TokenSource::Given(None),
            TokenSource::Given(Some("field")),
        ];
        assert_eq!(
            submitted_token(&headers(&[]), &sources).as_deref(),
            Some("field")
        );
        let h = headers(&[("x-csrf-token", b"header")]);
        assert_eq!(submitted_token(&h, &sources).as_deref(), Some("header"));
        assert_eq!(submitted_token(&h, &[TokenSource::Given(None)]), None);
    }

    #[test]
    fn an_empty_or_garbled_header_is_a_wrong_token_not_a_missing_one() {
        let sources = [
            ("header", TokenSource::Header("x-csrftoken")),
            ("field", TokenSource::Given(Some("field"))),
        ];
        let h = headers(&[("x-csrftoken", b"")]);
        assert_eq!(submitted(&h, &sources), Some(("header", String::new())));
        let h = headers(&[("x-csrftoken", b"\xe9t\xe9")]);
        let (label, token) = submitted(&h, &sources).unwrap();
        assert_eq!(label, "header");
        assert!(token.contains('t') && token.len() > 1, "{token}");
    }
}
