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
    /// `GET /session/token`); null for a personal access token.
    csrf_token: Option<String>,
    /// Null for a personal access token.
    session: Option<WhoAmISession>,
    /// The personal access token presented, if that is the credential.
    token: Option<AccessToken>,
}

/// A personal access token as listed: never the token itself.
#[derive(ToSchema)]
#[schema(as = latch::AccessToken)]
pub struct AccessToken {
    id: String,
    name: String,
    /// The token's first characters, to tell tokens apart.
    #[schema(example = "latch_pat_AbCd")]
    hint: String,
    /// `verify` and/or `account`.
    scopes: Vec<String>,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds; null if never used.
    last_used_at: Option<i64>,
    /// Unix seconds.
    expires_at: Option<i64>,
    keep_on_password_change: bool,
}

/// `POST /latch/tokens`'s answer: the token, shown this once.
#[derive(ToSchema)]
#[schema(as = latch::NewAccessToken)]
pub struct NewAccessToken {
    #[schema(inline)]
    #[serde(flatten)]
    listed: AccessToken,
    /// `latch_pat_` and 43 characters; send it as `Authorization: Bearer …`.
    token: String,
}

/// `POST /latch/tokens`'s body.
#[derive(ToSchema)]
#[schema(as = latch::TokenRequest)]
pub struct TokenRequest {
    #[schema(example = "deploy script", min_length = 1, max_length = 100)]
    name: String,
    /// 1 to 3650; 90 when left out.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<i64>,
    /// `verify` (identity only) and/or `account`; `["verify"]` when left out.
    scopes: Option<Vec<String>>,
    /// Whether the token outlives a change of the account's password; false when left out.
    keep_on_password_change: Option<bool>,
}

/// `GET /latch/tokens`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::AccessTokens)]
pub struct AccessTokens {
    tokens: Vec<AccessToken>,
}

/// One of the caller's live sessions.
#[derive(ToSchema)]
#[schema(as = latch::ListedSession)]
pub struct ListedSession {
    /// A public identifier (never the session id).
    id: String,
    /// Whether it is the session this request came in.
    current: bool,
    dialect: Option<String>,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    last_seen_at: i64,
    /// Unix seconds.
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
}

/// `GET /latch/sessions`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::Sessions)]
pub struct Sessions {
    sessions: Vec<ListedSession>,
}

/// What `DELETE /latch/sessions` ends.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// `true` ends every session but the caller's own.
    #[param(pattern = "^(0|1|true|false)$")]
    others: Option<String>,
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

/// `POST /latch/login`'s body: `name` or `mail`, and `password`.
#[derive(ToSchema)]
#[schema(as = latch::LoginRequest)]
pub struct LoginRequest {
    name: Option<String>,
    mail: Option<String>,
    password: String,
}

/// `POST /latch/login`'s and `POST /latch/login/mfa`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::LoginAnswer)]
pub struct LoginAnswer {
    /// True: the password was right, and the second factor is due at `POST /latch/login/mfa`.
    mfa_required: bool,
    /// With `mfa_required`: the token for `POST /latch/login/mfa`, good once, for 5 minutes.
    mfa_token: Option<String>,
    /// With `mfa_required`: `totp`, `passkey`, `recovery_code`, those the account has.
    methods: Option<Vec<String>>,
    /// Without `mfa_required`: the session id, for `X-Session-Token` (also set as a cookie).
    session_token: Option<String>,
    /// Unix seconds: when the session, or the `mfa_token`, ends.
    expires_at: i64,
    /// Without `mfa_required`: the session's token for `X-CSRF-Token` with the cookie.
    csrf_token: Option<String>,
    /// Without `mfa_required`: `id`, `uuid`, `name`.
    user: Option<Value>,
}

/// `POST /latch/login/mfa`'s body.
#[derive(ToSchema)]
#[schema(as = latch::MfaLoginRequest)]
pub struct MfaLoginRequest {
    mfa_token: String,
    /// The app's 6-digit code, or a recovery code; or send `credential`.
    #[schema(example = "123456")]
    code: Option<String>,
    /// A passkey's answer to the options of `POST /latch/login/mfa/passkey`, as JSON with
    /// binary fields base64url (`PublicKeyCredential.toJSON()`).
    credential: Option<Value>,
}

/// Options for `navigator.credentials`, binary fields base64url, with the ceremony.
#[derive(ToSchema)]
#[allow(non_snake_case)]
#[schema(as = latch::PasskeyOptions)]
pub struct PasskeyOptions {
    /// Names the ceremony when finishing it (absent for a second factor: the `mfa_token`
    /// does).
    ceremony: Option<String>,
    /// Unix seconds: when the ceremony ends.
    expires_at: i64,
    /// `PublicKeyCredentialCreationOptions` or `…RequestOptions`, as webauthn-rs gives them.
    publicKey: Value,
}

/// `POST /latch/mfa/passkeys/register/finish`'s body.
#[derive(ToSchema)]
#[schema(as = latch::PasskeyRegistration)]
pub struct PasskeyRegistration {
    ceremony: String,
    /// Up to 100 characters; `Passkey N` if empty.
    name: Option<String>,
    /// What `navigator.credentials.create` returned, as JSON with binary fields base64url.
    credential: Value,
}

/// `POST /latch/mfa/passkeys/register/finish`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::PasskeyRegistered)]
pub struct PasskeyRegistered {
    id: i64,
    name: String,
    created_at: i64,
    /// Ten single-use codes, shown this once, when this is the account's first second factor.
    recovery_codes: Option<Vec<String>>,
}

/// `POST /latch/login/passkey/finish`'s body.
#[derive(ToSchema)]
#[schema(as = latch::PasskeyLogin)]
pub struct PasskeyLogin {
    ceremony: String,
    /// What `navigator.credentials.get` returned, as JSON with binary fields base64url.
    credential: Value,
}

/// `POST /latch/login/mfa/passkey`'s body.
#[derive(ToSchema)]
#[schema(as = latch::MfaPasskeyRequest)]
pub struct MfaPasskeyRequest {
    mfa_token: String,
}

/// `POST /latch/mfa/totp/confirm`'s body.
#[derive(ToSchema)]
#[schema(as = latch::MfaCode)]
pub struct MfaCode {
    #[schema(example = "123456")]
    code: String,
}

/// `DELETE /latch/mfa/totp`'s body: a current code (or recovery code), or the password.
#[derive(ToSchema)]
#[schema(as = latch::MfaProof)]
pub struct MfaProof {
    code: Option<String>,
    password: Option<String>,
}

/// `POST /latch/mfa/totp`'s answer, shown this once.
#[derive(ToSchema)]
#[schema(as = latch::TotpEnrolment)]
pub struct TotpEnrolment {
    /// Base32, for typing into an authenticator app.
    secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    qr_svg: String,
}

/// `POST /latch/mfa/totp/confirm`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::RecoveryCodes)]
pub struct RecoveryCodes {
    /// Ten single-use codes, shown this once.
    recovery_codes: Vec<String>,
}

/// `GET /latch/mfa`'s answer.
#[derive(ToSchema)]
#[schema(as = latch::MfaStatus)]
pub struct MfaStatus {
    enrolled: bool,
    /// How a login can be finished: `totp`, `passkey`, `recovery_code`; empty without a
    /// second factor.
    methods: Vec<String>,
    /// `confirmed_at` (Unix seconds or null) and `pending` (an enrolment awaits its code).
    totp: Value,
    /// Each passkey's `id`, `name`, `created_at` and `last_used_at` (Unix seconds or null).
    passkeys: Vec<Value>,
    recovery_codes_left: i64,
}

#[derive(OpenApi)]
#[openapi(paths(
    crate::http::native::verify::verify,
    crate::http::native::whoami::whoami,
    crate::http::native::token::issue,
    crate::http::native::token::jwks,
    crate::http::native::self_service::list_sessions,
    crate::http::native::self_service::end_sessions,
    crate::http::native::self_service::end_session,
    crate::http::native::tokens::list_tokens,
    crate::http::native::tokens::create_token,
    crate::http::native::tokens::revoke_token,
    crate::http::native::login::login,
    crate::http::native::login::login_mfa,
    crate::http::native::mfa::status,
    crate::http::native::mfa::start_totp,
    crate::http::native::mfa::confirm_totp,
    crate::http::native::mfa::remove_totp,
    crate::http::native::passkeys::start_registration,
    crate::http::native::passkeys::finish_registration,
    crate::http::native::passkeys::remove,
    crate::http::native::passkeys::start_login,
    crate::http::native::passkeys::finish_login,
    crate::http::native::passkeys::start_second_factor,
))]
struct Native;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Native::openapi();
    shared::name_operations(&mut doc, "latch");
    shared::add_layer_answers(&mut doc, "latch.Error", false);
    doc
}
