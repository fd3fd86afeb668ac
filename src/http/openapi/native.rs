//! The native `/latch/` API's schemas.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::shared;

/// The native API's error.
#[derive(ToSchema)]
#[schema(as = latch::Error)]
pub struct NativeError {
    /// What went wrong and what to do next.
    message: String,
}

/// `GET /latch/whoami`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::WhoAmI)]
pub struct WhoAmI {
    id: i64,
    uuid: String,
    name: String,
    mail: Option<String>,
    /// Every role, `authenticated` included.
    roles: Vec<String>,
    /// The token unsafe native calls by cookie expect in `X-CSRF-Token` (the same as Drupal's
    /// `GET /session/token`).
    csrf_token: String,
    session: WhoAmISession,
}

#[derive(ToSchema)]
#[schema(as = latch::Session)]
pub struct WhoAmISession {
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    expires_at: i64,
    /// The dialect that opened it (`drupal`, `django`, …).
    dialect: Option<String>,
}

/// `POST /latch/token`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::TokenIssued)]
pub struct TokenIssued {
    /// A JWT signed with EdDSA; `GET /.well-known/jwks.json` has the key.
    token: String,
    #[schema(example = "Bearer")]
    token_type: String,
    /// Seconds until it expires.
    expires_in: u64,
}

/// `GET /.well-known/jwks.json`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::Jwks)]
pub struct Jwks {
    /// The public keys (JWK, `OKP`/`Ed25519`) that verify the tokens.
    keys: Vec<Value>,
}

/// What a proxy asks `GET /latch/verify`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// A role the account must have; repeat it to accept any of several.
    role: Option<Vec<String>>,
    /// `1` sends a browser without a session to the login page instead of a 401.
    #[param(pattern = "^(0|1|true|false)$")]
    redirect: Option<String>,
}

#[derive(OpenApi)]
#[openapi(paths(
    crate::http::native::verify::verify,
    crate::http::native::whoami::whoami,
    crate::http::native::token::issue,
    crate::http::native::token::jwks,
))]
struct Native;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Native::openapi();
    shared::name_operations(&mut doc, "latch");
    shared::add_layer_answers(&mut doc, "latch.Error", false);
    doc
}
