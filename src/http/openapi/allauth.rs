//! The allauth headless dialect's schemas: allauth's envelope, its bodies, and the two
//! clients' copies of every route.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{OpenApi, ToSchema};

use super::shared;
use crate::config::Config;

/// One entry of `errors`.
#[derive(ToSchema)]
#[schema(as = allauth::Error)]
pub struct AllauthError {
    message: String,
    code: String,
    /// The input field, absent for errors of the whole input.
    param: Option<String>,
}

/// A refusal: `{"status", "errors"}`.
#[derive(ToSchema)]
#[schema(as = allauth::Errors)]
pub struct AllauthErrors {
    status: u16,
    errors: Vec<AllauthError>,
}

/// `{"status"}` alone: allauth's 200 without data, 403 and 409.
#[derive(ToSchema)]
#[schema(as = allauth::Status)]
pub struct AllauthStatus {
    status: u16,
}

#[derive(ToSchema)]
#[schema(as = allauth::User)]
pub struct AllauthUser {
    id: i64,
    display: String,
    email: Option<String>,
    has_usable_password: bool,
    username: String,
}

/// How the session authenticated.
#[derive(ToSchema)]
#[schema(as = allauth::Method)]
pub struct AllauthMethod {
    /// `password` or `mfa`.
    method: String,
    /// Seconds since the epoch.
    at: f64,
    email: Option<String>,
    username: Option<String>,
    /// With `mfa`: `totp` or `recovery_codes`.
    #[schema(rename = "type")]
    kind: Option<String>,
    /// With `mfa`: the authenticator, which is the account's (one of each kind).
    id: Option<i64>,
}

#[derive(ToSchema)]
#[schema(as = allauth::AuthenticatedData)]
pub struct AllauthAuthenticatedData {
    user: AllauthUser,
    methods: Vec<AllauthMethod>,
}

#[derive(ToSchema)]
#[schema(as = allauth::Meta)]
pub struct AllauthMeta {
    /// `null` where allauth answers without a user at hand: an app's stale session token
    /// (410), a second factor with no login waiting.
    is_authenticated: Option<bool>,
    /// App client: the token to send in `X-Session-Token` from now on.
    session_token: Option<String>,
}

/// 200: logged in.
#[derive(ToSchema)]
#[schema(as = allauth::Authenticated)]
pub struct AllauthAuthenticated {
    status: u16,
    data: AllauthAuthenticatedData,
    meta: AllauthMeta,
}

/// A flow the client can take (`login`, `signup`), or is in (`is_pending`:
/// `mfa_authenticate` with the `types` of code it takes, `verify_email`).
#[derive(ToSchema)]
#[schema(as = allauth::Flow)]
pub struct AllauthFlow {
    id: String,
    is_pending: Option<bool>,
    types: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[schema(as = allauth::FlowList)]
pub struct AllauthFlowList {
    flows: Vec<AllauthFlow>,
}

/// 401 (or 410 for an app's stale token): not logged in, and what the client can do.
#[derive(ToSchema)]
#[schema(as = allauth::Flows)]
pub struct AllauthFlows {
    status: u16,
    data: AllauthFlowList,
    meta: AllauthMeta,
}

#[derive(ToSchema)]
#[schema(as = allauth::AccountConfig)]
pub struct AllauthAccountConfig {
    login_methods: Vec<String>,
    is_open_for_signup: bool,
    email_verification_by_code_enabled: bool,
    login_by_code_enabled: bool,
    password_reset_by_code_enabled: bool,
    authentication_method: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::MfaConfig)]
pub struct AllauthMfaConfig {
    supported_types: Vec<String>,
    passkey_login_enabled: bool,
}

#[derive(ToSchema)]
#[schema(as = allauth::ConfigData)]
pub struct AllauthConfigData {
    account: AllauthAccountConfig,
    mfa: AllauthMfaConfig,
}

#[derive(ToSchema)]
#[schema(as = allauth::ConfigResponse)]
pub struct AllauthConfigResponse {
    status: u16,
    data: AllauthConfigData,
}

/// `username` or `email` (exactly one), and `password`.
#[derive(ToSchema)]
#[schema(as = allauth::Login)]
pub struct AllauthLogin {
    username: Option<String>,
    email: Option<String>,
    password: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::Signup)]
pub struct AllauthSignup {
    email: String,
    username: String,
    password: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::Code)]
pub struct AllauthCode {
    /// The authenticator's current code, or a recovery code.
    code: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::Email)]
pub struct AllauthEmail {
    email: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::MarkPrimary)]
pub struct AllauthMarkPrimary {
    email: String,
    primary: bool,
}

#[derive(ToSchema)]
#[schema(as = allauth::ResetPassword)]
pub struct AllauthResetPassword {
    /// The mailed key.
    key: String,
    password: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::ChangePassword)]
pub struct AllauthChangePassword {
    /// Not needed by an account that has no password yet.
    current_password: Option<String>,
    new_password: String,
}

#[derive(ToSchema)]
#[schema(as = allauth::UserOnly)]
pub struct AllauthUserOnly {
    user: AllauthUser,
}

#[derive(ToSchema)]
#[schema(as = allauth::UserData)]
pub struct AllauthUserData {
    status: u16,
    data: AllauthUserOnly,
}

#[derive(ToSchema)]
#[schema(as = allauth::EmailAddress)]
pub struct AllauthEmailAddress {
    email: String,
    primary: bool,
    verified: bool,
}

#[derive(ToSchema)]
#[schema(as = allauth::EmailAddresses)]
pub struct AllauthEmailAddresses {
    status: u16,
    data: Vec<AllauthEmailAddress>,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::allauth::auth::config,
        crate::http::allauth::auth::login,
        crate::http::allauth::signup::signup,
        crate::http::allauth::auth::session,
        crate::http::allauth::auth::logout,
        crate::http::allauth::auth::two_factor,
        crate::http::allauth::password::request,
        crate::http::allauth::password::reset_link,
        crate::http::allauth::password::reset_info,
        crate::http::allauth::password::reset,
        crate::http::allauth::password::change,
        crate::http::allauth::account::list,
        crate::http::allauth::account::add,
        crate::http::allauth::account::mark_primary,
        crate::http::allauth::account::remove,
    ),
    components(schemas(AllauthErrors, AllauthFlows, AllauthStatus))
)]
struct Allauth;

/// The routes as served: each `{client}` route once per client, with the answers that depend
/// on the client (the browser's CSRF 403, the app's 410 for a stale token).
pub fn document(config: &Config) -> Document {
    let prefix = &config.allauth.prefix;
    let mut doc = Allauth::openapi();
    let described = std::mem::take(&mut doc.paths.paths);
    for (path, item) in described {
        let Some(rest) = path.strip_prefix("/_allauth/{client}/") else {
            let moved = path.replacen("/_allauth", prefix, 1);
            doc.paths.paths.insert(moved, item);
            continue;
        };
        for client in ["browser", "app"] {
            let mut copy = item.clone();
            for operation in shared::operations(&mut copy) {
                if let Some(parameters) = operation.parameters.as_mut() {
                    parameters.retain(|p| !matches!(p, RefOr::T(p) if p.name == "client"));
                }
                add_client_answers(operation, client, is_unsafe(&item, operation));
                if let Some(id) = &operation.operation_id {
                    operation.operation_id = Some(format!("{client}_{id}"));
                }
            }
            doc.paths
                .paths
                .insert(format!("{prefix}/{client}/{rest}"), copy);
        }
    }
    shared::name_operations(&mut doc, "allauth");
    shared::add_layer_answers(&mut doc, "allauth.Errors", true);
    doc
}

/// Whether `operation` is not the item's `GET`.
fn is_unsafe(item: &PathItem, operation: &Operation) -> bool {
    item.get
        .as_ref()
        .is_none_or(|get| get.operation_id != operation.operation_id)
}

fn add_client_answers(operation: &mut Operation, client: &str, unsafe_method: bool) {
    let mut add = |status: &str, description: &str, schema: &str| {
        operation
            .responses
            .responses
            .entry(status.into())
            .or_insert_with(|| RefOr::T(shared::json_answer(description, schema)));
    };
    if operation.request_body.is_some() {
        add("400", "A body that is not a JSON object", "allauth.Errors");
    }
    match client {
        "browser" if unsafe_method => add(
            "403",
            "A CSRF failure: send the `csrftoken` cookie's value in `X-CSRFToken`",
            "allauth.Errors",
        ),
        "app" => add(
            "410",
            "The `X-Session-Token` names no session: drop it and log in again",
            "allauth.Flows",
        ),
        _ => {}
    }
}
