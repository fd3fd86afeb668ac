//! The caller's own sessions and personal access tokens: `GET`/`DELETE /latch/sessions`,
//! `DELETE /latch/sessions/{id}`, `GET`/`POST /latch/tokens`, `DELETE /latch/tokens/{id}`.
//! A session (cookie or `X-Session-Token`) or a token with the `account` scope may call them;
//! a cookie caller sends the session's CSRF token in `X-CSRF-Token` on unsafe methods.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{NativeError, NativeState, Presented};
use crate::core::access_tokens::{
    AccessToken, BearerCheck, Scope, TokenError, TokenRequest, scopes_of,
};
use crate::core::accounts::Account;
use crate::core::csrf::HEADER_PURPOSES;
use crate::core::session_list::Ending;
use crate::core::{ClientContext, Error as CoreError};
use crate::http::csrf::{self, TokenSource};
use crate::http::form::essence;
use crate::http::limits::json_too_deep;
use crate::http::origin::{cross_site_refusal, is_safe};

/// Who calls: the account, and the session they call in (its id hash), if by session.
pub struct Caller {
    account: Account,
    session_hash: Option<String>,
    client: ClientContext,
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
            require_csrf_token(state, parts, &session, &client)?;
        }
        Ok(Caller {
            account: session.account,
            session_hash: Some(session.id_hash),
            client,
        })
    }
}

pub const UNKNOWN_TOKEN: &str = "The bearer token is not a live personal access token: it was \
     revoked, replaced by a password change, never issued, or its account is blocked. Make a \
     new one with POST /latch/tokens.";

pub fn expired_message(expired_at: i64) -> String {
    format!(
        "This personal access token expired at {expired_at} (Unix time). Make a new one with \
         POST /latch/tokens and give it \"expires_in_days\" if it must live longer."
    )
}

/// A cookie proves nothing by itself, since a browser sends it with any site's request: an
/// unsafe request must carry the session's CSRF token (and not come from an untrusted origin).
fn require_csrf_token(
    state: &NativeState,
    parts: &Parts,
    session: &crate::core::CurrentSession,
    client: &ClientContext,
) -> Result<(), NativeError> {
    let headers = &parts.headers;
    if let Some(reason) = cross_site_refusal(&parts.method, headers, &state.trusted_origins) {
        state.audit_csrf_rejection(Some(session), client, &reason);
        return Err(NativeError::new(StatusCode::FORBIDDEN, reason));
    }
    let token = csrf::submitted_token(headers, &[TokenSource::Header("x-csrf-token")]);
    csrf::check_session_token(
        state,
        session,
        client,
        HEADER_PURPOSES,
        token.as_deref().map(str::trim),
        |_| {
            "A session cookie alone does not prove the request is the user's. Send the \
             csrf_token of GET /latch/whoami (or the token from GET /session/token) in the \
             header X-CSRF-Token, or send the session in X-Session-Token instead of the cookie."
        },
    )
    .map_err(|refused| NativeError::new(StatusCode::FORBIDDEN, refused.reason))
}

fn core_failure(error: CoreError) -> NativeError {
    NativeError::from_core(&error)
}

/// `GET /latch/sessions`.
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

/// A token as listed: never the token itself.
pub fn token_json(token: &AccessToken) -> Value {
    let scopes: Vec<&str> = scopes_of(token).iter().map(|s| s.as_str()).collect();
    json!({
        "id": token.id,
        "name": token.name,
        "hint": token.token_hint,
        "scopes": scopes,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "keep_on_password_change": token.keep_on_password_change,
    })
}

/// `GET /latch/tokens`.
pub async fn list_tokens(
    State(state): State<NativeState>,
    caller: Caller,
) -> Result<Json<Value>, NativeError> {
    let tokens = state
        .core
        .access_tokens_of(&caller.account)
        .await
        .map_err(core_failure)?;
    let listed: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(Json(json!({ "tokens": listed })))
}

const TOKEN_EXAMPLE: &str =
    r#"{"name": "deploy script", "expires_in_days": 30, "scopes": ["verify"]}"#;

fn bad_request(message: impl Into<String>) -> NativeError {
    NativeError::new(StatusCode::BAD_REQUEST, message)
}

/// The fields of `POST /latch/tokens`, each checked for its type with the field named.
fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, NativeError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| essence(&String::from_utf8_lossy(v.as_bytes())));
    if content_type.as_deref() != Some("application/json") {
        return Err(NativeError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Send the token's details as JSON (Content-Type: application/json), such as {TOKEN_EXAMPLE}."
            ),
        ));
    }
    if let Some(reason) = json_too_deep(body) {
        return Err(bad_request(reason));
    }
    let fields: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(bad_request(format!(
                "The body must be a JSON object, such as {TOKEN_EXAMPLE}."
            )));
        }
        Err(e) => {
            return Err(bad_request(format!(
                "The body is not valid JSON ({e}). Send an object such as {TOKEN_EXAMPLE}."
            )));
        }
    };
    let name = match fields.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(bad_request("name: must be a string")),
        None => return Err(bad_request(format!("name: missing; send {TOKEN_EXAMPLE}"))),
    };
    let expires_in_days = match fields.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(Value::Number(days)) => Some(
            days.as_i64()
                .ok_or_else(|| bad_request("expires_in_days: must be a whole number of days"))?,
        ),
        Some(_) => return Err(bad_request("expires_in_days: must be a number of days")),
    };
    let scopes = match fields.get("scopes") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad_request("scopes: must be a list of strings"))?,
        ),
        Some(_) => return Err(bad_request("scopes: must be a list, such as [\"verify\"]")),
    };
    let keep_on_password_change = match fields.get("keep_on_password_change") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(keep)) => *keep,
        Some(_) => {
            return Err(bad_request(
                "keep_on_password_change: must be true or false",
            ));
        }
    };
    Ok(TokenRequest {
        name,
        expires_in_days,
        scopes,
        keep_on_password_change,
    })
}

/// `POST /latch/tokens` → 201 with the token, shown this once.
pub async fn create_token(
    State(state): State<NativeState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NativeError> {
    let request = token_request(&headers, &body)?;
    let created = state
        .core
        .create_access_token(&caller.account, &request, &caller.client)
        .await
        .map_err(|e| match e {
            TokenError::Core(e) => core_failure(e),
            TokenError::TooMany => NativeError::new(StatusCode::CONFLICT, e.to_string()),
            e => NativeError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        })?;
    let mut answer = token_json(&created.token);
    answer["token"] = Value::String(created.secret);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `DELETE /latch/tokens/{id}`.
pub async fn revoke_token(
    State(state): State<NativeState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<StatusCode, NativeError> {
    let revoked = state
        .core
        .revoke_access_token(&id, Some(&caller.account), &caller.client)
        .await
        .map_err(core_failure)?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(NativeError::new(
            StatusCode::NOT_FOUND,
            "You have no token with this id; GET /latch/tokens lists yours.",
        ))
    }
}
