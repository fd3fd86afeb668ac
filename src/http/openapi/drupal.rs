//! The Drupal 8+ REST dialect's schemas.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::shared;

/// Drupal's error: the message as Drupal words it, and a hint naming the next step.
#[derive(ToSchema)]
#[schema(as = drupal::Error)]
pub struct DrupalError {
    message: String,
    hint: Option<String>,
    /// Given when the caller must log out first (already logged in).
    logout_token: Option<String>,
}

/// `?_format=json`: every route here serves JSON, which is also the default.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrupalFormat {
    /// Only `json`; another format is answered 406.
    #[serde(rename = "_format")]
    #[param(pattern = "^json$")]
    format: Option<String>,
}

/// `POST /user/logout`'s query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrupalLogoutQuery {
    #[serde(rename = "_format")]
    #[param(pattern = "^json$")]
    format: Option<String>,
    /// The `logout_token` of the login answer.
    token: String,
}

/// `GET /user/logout` and the confirmation page's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrupalLogoutLink {
    /// The `logout_token` of the login answer; without it a confirmation page asks.
    token: Option<String>,
    /// A path on this site to go to afterwards; anything else goes to `/`.
    destination: Option<String>,
}

/// The confirmation page's form.
#[derive(ToSchema)]
#[schema(as = drupal::LogoutForm)]
pub struct DrupalLogoutForm {
    token: String,
}

#[derive(ToSchema)]
#[schema(as = drupal::Credentials)]
pub struct DrupalCredentials {
    /// The account's name (or, where `login.mail` allows, its address).
    name: String,
    pass: String,
    /// For an account with a second factor: its authenticator code or a recovery code.
    code: Option<String>,
}

/// `/user/login`'s answer; the session cookie comes in `Set-Cookie`.
#[derive(ToSchema)]
#[schema(as = drupal::LoggedIn)]
pub struct DrupalLoggedIn {
    current_user: DrupalCurrentUser,
    /// For `X-CSRF-Token` on unsafe requests with this session.
    csrf_token: String,
    /// For `POST /user/logout?token=…`.
    logout_token: String,
}

#[derive(ToSchema)]
#[schema(as = drupal::CurrentUser)]
pub struct DrupalCurrentUser {
    /// The id, as a string (Drupal's way).
    uid: String,
    name: String,
    /// Shown to administrators only.
    roles: Option<Vec<String>>,
}

/// `POST /user/password`: the account by name or by address.
#[derive(ToSchema)]
#[schema(as = drupal::PasswordRequest)]
pub struct DrupalPasswordRequest {
    name: Option<String>,
    mail: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = drupal::StringItem)]
#[serde(deny_unknown_fields)]
pub struct StringItem {
    value: String,
}

#[derive(ToSchema)]
#[schema(as = drupal::PassItem)]
#[serde(deny_unknown_fields)]
pub struct PassItem {
    /// The new password.
    value: Option<String>,
    /// The current password, needed to change one's own mail or password.
    existing: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = drupal::BoolItem)]
#[serde(deny_unknown_fields)]
pub struct BoolItem {
    value: bool,
}

#[derive(ToSchema)]
#[schema(as = drupal::RoleItem)]
pub struct RoleItem {
    target_id: String,
}

/// A user entity as a client sends it: each field a list of items (a single item, or a bare
/// value, is read too). `status` and `roles` are for administrators.
#[derive(ToSchema)]
#[schema(as = drupal::UserFields)]
#[serde(deny_unknown_fields)]
pub struct DrupalUserFields {
    name: Option<Vec<StringItem>>,
    mail: Option<Vec<StringItem>>,
    pass: Option<Vec<PassItem>>,
    status: Option<Vec<BoolItem>>,
    roles: Option<Vec<RoleItem>>,
    /// An IANA zone name, as PHP lists them.
    timezone: Option<Vec<StringItem>>,
    /// The entity's language: always the site's, so what is sent is not stored.
    langcode: Option<Vec<StringItem>>,
    /// The language the account prefers, a code of Drupal's standard list.
    preferred_langcode: Option<Vec<StringItem>>,
}

#[derive(ToSchema)]
#[schema(as = drupal::IdItem)]
pub struct IdItem {
    value: i64,
}

#[derive(ToSchema)]
#[schema(as = drupal::TimeItem)]
pub struct TimeItem {
    /// ISO 8601 with offset.
    value: String,
    format: String,
}

#[derive(ToSchema)]
#[schema(as = drupal::RoleReference)]
pub struct RoleReference {
    target_id: String,
    target_type: String,
    target_uuid: String,
}

/// A user entity as Drupal renders it; what is shown depends on who asks (anonymous callers
/// see no mail, only administrators see status, roles and access times).
#[derive(ToSchema)]
#[schema(as = drupal::User)]
pub struct DrupalUser {
    uid: Vec<IdItem>,
    uuid: Vec<StringItem>,
    langcode: Vec<StringItem>,
    preferred_langcode: Option<Vec<StringItem>>,
    preferred_admin_langcode: Option<Vec<StringItem>>,
    name: Vec<StringItem>,
    mail: Option<Vec<StringItem>>,
    timezone: Option<Vec<StringItem>>,
    status: Option<Vec<BoolItem>>,
    created: Vec<TimeItem>,
    changed: Vec<TimeItem>,
    access: Option<Vec<TimeItem>>,
    login: Option<Vec<TimeItem>>,
    roles: Option<Vec<RoleReference>>,
    default_langcode: Vec<BoolItem>,
}

/// A one-time login link's parts, as mailed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ResetLink {
    uid: i64,
    timestamp: i64,
    hash: String,
}

/// What a one-time link would do, without using it.
#[derive(ToSchema)]
#[schema(as = drupal::ResetLinkInfo)]
pub struct DrupalResetLinkInfo {
    uid: i64,
    name: String,
    /// Unix seconds.
    expires: i64,
    /// How to log in with it.
    login: String,
    /// How to set a new password with it.
    set_password: String,
}

/// A new password for `POST /user/reset/…` (a bare string, or `{"value": …}`).
#[derive(ToSchema)]
#[schema(as = drupal::ResetPassword)]
pub struct DrupalResetPassword {
    pass: String,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::drupal::auth::session_token,
        crate::http::drupal::auth::login,
        crate::http::drupal::auth::login_status,
        crate::http::drupal::auth::logout,
        crate::http::drupal::logout_page::logout_link,
        crate::http::drupal::logout_page::confirm_page,
        crate::http::drupal::logout_page::confirm,
        crate::http::drupal::auth::password,
        crate::http::drupal::users::register,
        crate::http::drupal::users::show,
        crate::http::drupal::users::update,
        crate::http::drupal::reset::confirm,
        crate::http::drupal::reset::set_password,
        crate::http::drupal::reset::login_page,
        crate::http::drupal::reset::login,
    ),
    components(schemas(DrupalError))
)]
struct Drupal;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Drupal::openapi();
    // Drupal 8.0-8.9's path for the token, still used by older clients.
    if let Some(item) = doc.paths.paths.get("/session/token") {
        let mut old = item.clone();
        if let Some(get) = &mut old.get {
            get.operation_id = Some("session_token_8_0".into());
        }
        doc.paths.paths.insert("/rest/session/token".into(), old);
    }
    shared::name_operations(&mut doc, "drupal");
    shared::add_layer_answers(&mut doc, "drupal.Error", true);
    doc
}
