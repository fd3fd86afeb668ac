//! The caller's own sessions: `GET`/`DELETE /latch/sessions`, `DELETE /latch/sessions/{id}`;
//! and [`Caller`], who may call them and the token endpoints (`super::tokens`): a session
//! (cookie or `X-Session-Token`) or a token with the `account` scope; a cookie caller sends
//! the session's CSRF token in `X-CSRF-Token` on unsafe methods.

use axum::Json;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::{NativeError, NativeState, Presented, SameOrigin, screen_cookie_caller};
use crate::core::access_tokens::{BearerCheck, Scope};
use crate::core::accounts::Account;
use crate::core::session_list::Ending;
use crate::core::{ClientContext, Error as CoreError};
use crate::http::openapi::native as api;
use crate::http::origin::is_safe;

/// Who calls: the account, and the session they call in (its id hash), if by session.
pub struct Caller {
    pub(super) account: Account,
    pub(super) session_hash: Option<String>,
    pub(super) client: ClientContext,
}

const NO_CREDENTIAL: &str = "No live session or token. Log in through any dialect and send its \
     session cookie (with X-CSRF-Token from GET /latch/whoami on POST and DELETE), the header \
     X-Session-Token, or a personal access token as Authorization: Bearer latch_pat_….";

fn unauthorized(message: impl Into<String>) -> NativeError {
    NativeError::new(StatusCode::UNAUTHORIZED, message)
}

impl FromRequestParts<NativeState> for Caller {
    type Rejection = NativeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &NativeState,
    ) -> Result<Self, Self::Rejection> {
        let presented = Presented::from_request_parts(parts, state).await?;
        let client = state.client_of(&parts.extensions, &parts.headers);
        match presented.bearer {
            Some(BearerCheck::Valid(holder)) if holder.allows(Scope::Account) => {
                return Ok(Caller {
                    account: holder.account,
                    session_hash: None,
                    client,
                });
            }
            Some(BearerCheck::Valid(_)) => {
                return Err(NativeError::new(
                    StatusCode::FORBIDDEN,
                    "This token has only the scope \"verify\", which proves who you are. Managing \
                     sessions and tokens needs a token with the scope \"account\" (POST \
                     /latch/tokens with \"scopes\": [\"account\"]).",
                ));
            }
            Some(BearerCheck::Expired { expired_at }) => {
                return Err(unauthorized(expired_message(expired_at)));
            }
            Some(BearerCheck::Unknown) => return Err(unauthorized(UNKNOWN_TOKEN)),
            None => {}
        }
        let Some(session) = presented.session else {
            return Err(unauthorized(NO_CREDENTIAL));
        };
        if presented.by_cookie && !is_safe(&parts.method) {
            screen_cookie_caller(state, parts, &session, SameOrigin::NeedsToken, CSRF_REFUSAL)?;
        }
        Ok(Caller {
            account: session.account.clone(),
            session_hash: Some(session.id_hash.clone()),
            client,
        })
    }
}

pub const UNKNOWN_TOKEN: &str = "The bearer token is not a live personal access token: it was \
     revoked, replaced by a password change, never issued, or its account is blocked. Make a \
     new one with POST /latch/tokens.";

pub fn expired_message(expired_at: i64) -> String {
    let when = crate::core::rfc3339(expired_at).unwrap_or_else(|| expired_at.to_string());
    format!(
        "This personal access token expired at {when}. Make a new one with POST /latch/tokens \
         and give it \"expires_in_days\" if it must live longer."
    )
}

const CSRF_REFUSAL: &str = "A session cookie alone does not prove the request is the user's. \
     Send the csrf_token of GET /latch/whoami (or the token from GET /session/token) in the \
     header X-CSRF-Token, or send the session in X-Session-Token instead of the cookie.";

pub(super) fn core_failure(error: CoreError) -> NativeError {
    NativeError::from_core(&error)
}

/// `GET /latch/sessions`.
#[utoipa::path(
    get, path = "/latch/sessions", tag = "latch",
    summary = "The caller's live sessions",
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 200, description = "Most recently used first", body = api::Sessions),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn list_sessions(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Json<Value>, NativeError> {
    let sessions = state
        .core
        .sessions_of(&caller.account)
        .await
        .map_err(core_failure)?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.public_id,
                "current": caller.session_hash.as_deref() == Some(s.id_hash.as_str()),
                "dialect": s.dialect,
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "expires_at": s.expires_at,
                "ip": s.client_ip,
                "user_agent": s.user_agent,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": listed })))
}

/// `DELETE /latch/sessions` (all) and `DELETE /latch/sessions?others=true` (all but the
/// caller's own).
#[utoipa::path(
    delete, path = "/latch/sessions", tag = "latch",
    summary = "End every session of the caller's, or all but the current one",
    params(api::EndSessionsQuery,
        ("X-CSRF-Token" = Option<String>, Header,
            description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`."),
    ),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 204, description = "Ended, on every server at once"),
        (status = 400, description = "`others` is not true or false", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn end_sessions(
    State(state): State<NativeState>,
    RawQuery(query): RawQuery,
    caller: Caller,
) -> Result<StatusCode, NativeError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|_| {
        NativeError::new(StatusCode::BAD_REQUEST, "The query string is not valid.")
    })?;
    let others = match pairs
        .iter()
        .find(|(k, _)| k == "others")
        .map(|(_, v)| v.as_str())
    {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(NativeError::new(
                StatusCode::BAD_REQUEST,
                format!("others: expected true or false, not {other:?}"),
            ));
        }
    };
    let ending = match (&caller.session_hash, others) {
        (Some(own), true) => Ending::AllBut(own),
        _ => Ending::All,
    };
    state
        .core
        .end_sessions(&caller.account, ending, &caller.client)
        .await
        .map_err(core_failure)?;
    Ok(StatusCode::NO_CONTENT)
}

const NO_SUCH_SESSION: &str =
    "You have no live session with this id; GET /latch/sessions lists yours.";

/// `DELETE /latch/sessions/{id}`.
#[utoipa::path(
    delete, path = "/latch/sessions/{id}", tag = "latch",
    summary = "End one of the caller's sessions",
    params(("id" = String, Path, description = "The session's `id` from `GET /latch/sessions`."),
        ("X-CSRF-Token" = Option<String>, Header,
            description = "With a session cookie: the `csrf_token` of `GET /latch/whoami`."),
    ),
    security(
        ("session_cookie" = []), ("django_session" = []), ("session_token" = []),
        ("personal_access_token" = [])
    ),
    responses(
        (status = 204, description = "Ended, on every server at once"),
        (status = 404, description = "Not one of the caller's live sessions", body = api::NativeError),
        (status = 401, description = "No live session or token, or a token that is unknown, revoked or expired", body = api::NativeError),
        (status = 403, description = "A token without the `account` scope, or a cookie without its CSRF token", body = api::NativeError),
    )
)]
pub async fn end_session(
    State(state): State<NativeState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<StatusCode, NativeError> {
    let ended = state
        .core
        .end_session(&id, Some(&caller.account), &caller.client)
        .await
        .map_err(core_failure)?;
    if ended {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NativeError::new(StatusCode::NOT_FOUND, NO_SUCH_SESSION))
    }
}
