//! Who is calling: an application, by its API token in `Authorization`, and a user, by a
//! session in the `X-Session-Token` header or the session cookie.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::PlatformosState;
use super::error::PosError;
use crate::core::CurrentSession;
use crate::core::apps::App;
use crate::core::audit::ClientContext;
use crate::http::Visitor;
use crate::http::origin::cross_site_refusal;

/// The header native apps that keep no cookies carry their session in.
pub const SESSION_HEADER: &str = "x-session-token";

/// How the request presented its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSource {
    Cookie,
    Header,
}

pub struct Caller {
    pub app: Option<App>,
    pub session: Option<Arc<CurrentSession>>,
    pub source: Option<SessionSource>,
    /// Address and user agent, for flood control and the audit trail.
    pub client: ClientContext,
}

impl Caller {
    /// Whether the request must prove with a CSRF token that a page of this site sent it:
    /// only a browser's cookie session needs to, and an application's token vouches instead.
    pub fn needs_csrf_token(&self) -> bool {
        self.app.is_none() && self.source == Some(SessionSource::Cookie)
    }
}

/// The token an `Authorization` header carries, in Rails' `Token token=…` form (quoted or
/// not, with other parameters allowed), as `Token …`, or as `Bearer …`.
pub fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty() && !rest.contains(char::is_whitespace)).then_some(rest);
    }
    if !scheme.eq_ignore_ascii_case("token") {
        return None;
    }
    let is_parameter = rest
        .split_once('=')
        .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("token"));
    if !is_parameter {
        return (!rest.is_empty() && !rest.contains(char::is_whitespace)).then_some(rest);
    }
    rest.split([',', ';', '\t'])
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("token"))
        .map(|(_, v)| {
            let v = v.trim();
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
        })
        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
}

impl FromRequestParts<PlatformosState> for Caller {
    type Rejection = PosError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PlatformosState,
    ) -> Result<Self, Self::Rejection> {
        // The cookie session and the client context, as every dialect reads them.
        let visitor = Visitor::look_up(parts, state)
            .await
            .map_err(|failure| PosError::from_core(&failure.0))?;
        let client = visitor.client;
        let app = application(&parts.headers, state).await?;
        if app.is_none() {
            if state.settings.require_app_token {
                return Err(PosError::unauthorized(
                    "This API needs an application token: send Authorization: Token \
                     token=<token>, with a token from `latch app add NAME`.",
                ));
            }
            if let Some(reason) =
                cross_site_refusal(&parts.method, &parts.headers, &state.trusted_origins)
            {
                state.audit_csrf_rejection(None, &client, &reason);
                return Err(PosError::base(StatusCode::FORBIDDEN, reason));
            }
        }
        // A session in the header replaces the cookie's.
        let (session, source) = match parts.headers.get(SESSION_HEADER) {
            Some(value) => {
                let id = value.to_str().unwrap_or_default().trim();
                let session = state
                    .core
                    .authenticate(id)
                    .await
                    .map_err(|e| PosError::from_core(&e))?;
                (session, SessionSource::Header)
            }
            None => (visitor.session, SessionSource::Cookie),
        };
        Ok(Caller {
            app,
            source: session.as_ref().map(|_| source),
            session,
            client,
        })
    }
}

/// The application the `Authorization` header authenticates. A header that is present but
/// malformed, unknown or revoked is refused, never treated as absent.
async fn application(
    headers: &HeaderMap,
    state: &PlatformosState,
) -> Result<Option<App>, PosError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let refused = || {
        PosError::unauthorized(
            "The application token is invalid or has been revoked. Send Authorization: Token \
             token=<token> with a token from `latch app add NAME`, or leave the header out.",
        )
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer_token)
        .ok_or_else(refused)?;
    match state.core.authenticate_app(token).await {
        Ok(Some(app)) => Ok(Some(app)),
        Ok(None) => Err(refused()),
        Err(e) => Err(PosError::from_core(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn every_documented_header_form_yields_the_token() {
        for header in [
            "Token token=abc",
            "Token token=\"abc\"",
            "token Token=abc, from=\"me@example.com\"",
            "Token abc",
            "Bearer abc",
            "bearer   abc ",
        ] {
            assert_eq!(bearer_token(header), Some("abc"), "{header}");
        }
    }

    mod properties {
        use super::bearer_token;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_header_parses_to_nothing_or_a_plain_token(value in any::<String>()) {
                if let Some(token) = bearer_token(&value) {
                    prop_assert!(!token.is_empty());
                    prop_assert!(!token.contains(char::is_whitespace));
                    prop_assert!(value.contains(token));
                }
            }

            #[test]
            fn a_token_survives_every_header_form(token in "[A-Za-z0-9_-]{1,60}") {
                for header in [
                    format!("Token token={token}"),
                    format!("Token token=\"{token}\", from=\"a@example.com\""),
                    format!("Token {token}"),
                    format!("Bearer {token}"),
                ] {
                    prop_assert_eq!(bearer_token(&header), Some(token.as_str()));
                }
            }
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_yield_nothing() {
        for header in [
            "Basic YWxhZGRpbjpvcGVu",
            "Token",
            "Token ",
            "Token token=",
            "Token token=\"\"",
            "Token token=a b",
            "Bearer",
            "Bearer a b",
            "abc",
            "",
        ] {
            assert_eq!(bearer_token(header), None, "{header}");
        }
    }
}
