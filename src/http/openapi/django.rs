//! The Django dialect's schemas. Its handlers are described under the default prefixes,
//! `/auth/` and `/dj-rest-auth/`, and moved under `django.login_prefix` and
//! `django.rest_auth_prefix` at start.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::{OpenApi, ToSchema};

use super::shared;
use crate::config::Config;

/// DRF's error that concerns no field.
#[derive(ToSchema)]
#[schema(as = django::Detail)]
pub struct DjangoDetail {
    detail: String,
}

/// DRF's field errors: each field's messages (`non_field_errors` for the whole request).
#[derive(ToSchema)]
#[schema(as = django::FieldErrors)]
pub struct DjangoFieldErrors(BTreeMap<String, Vec<String>>);

/// An error: a `detail`, or messages by field.
#[derive(ToSchema)]
#[schema(as = django::Error)]
#[serde(untagged)]
pub enum DjangoError {
    Detail(DjangoDetail),
    Fields(DjangoFieldErrors),
}

/// The login view's form (or JSON). The CSRF token goes in `csrfmiddlewaretoken` or the
/// `X-CSRFToken` header, matching the `csrftoken` cookie.
#[derive(ToSchema)]
#[schema(as = django::LoginForm)]
pub struct DjangoLoginForm {
    username: String,
    password: String,
    /// Where to go after logging in (a path on this site, or an allowed app).
    next: Option<String>,
    csrfmiddlewaretoken: Option<String>,
    /// For an account with a second factor: its authenticator code or a recovery code.
    code: Option<String>,
}

/// The login view's JSON answer.
#[derive(ToSchema)]
#[schema(as = django::LoggedIn)]
pub struct DjangoLoggedIn {
    id: i64,
    username: String,
    email: String,
}

/// dj-rest-auth's `LoginSerializer`: `username` or `email`, and `password`.
#[derive(ToSchema)]
#[schema(as = django::Login)]
pub struct DjangoLogin {
    username: Option<String>,
    email: Option<String>,
    password: String,
    /// For an account with a second factor: its authenticator code or a recovery code.
    code: Option<String>,
}

/// dj-rest-auth's user details.
#[derive(ToSchema)]
#[schema(as = django::User)]
pub struct DjangoCurrentUser {
    pk: i64,
    username: String,
    email: String,
    first_name: String,
    last_name: String,
}

/// A change to the user: `username` (required by `PUT`); `email` is read-only and ignored;
/// first and last names are not stored, so a value for them is refused.
#[derive(ToSchema)]
#[schema(as = django::UserChanges)]
pub struct DjangoUserChanges {
    username: Option<String>,
    email: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = django::Registration)]
pub struct DjangoRegistration {
    username: String,
    email: Option<String>,
    password1: String,
    password2: String,
}

#[derive(ToSchema)]
#[schema(as = django::PasswordChange)]
pub struct DjangoPasswordChange {
    old_password: String,
    new_password1: String,
    new_password2: String,
}

#[derive(ToSchema)]
#[schema(as = django::PasswordReset)]
pub struct DjangoPasswordReset {
    email: String,
}

#[derive(ToSchema)]
#[schema(as = django::PasswordResetConfirm)]
pub struct DjangoPasswordResetConfirm {
    uid: String,
    token: String,
    new_password1: String,
    new_password2: String,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::django::login::page,
        crate::http::django::login::login,
        crate::http::django::login::logout,
        crate::http::django::rest::login,
        crate::http::django::rest::logout,
        crate::http::django::rest_user::user,
        crate::http::django::rest_user::replace_user,
        crate::http::django::rest_user::update_user,
        crate::http::django::rest::register,
        crate::http::django::rest_password::change,
        crate::http::django::rest_password::reset,
        crate::http::django::rest_password::confirm,
        crate::http::django::rest_password::reset_page,
    ),
    components(schemas(DjangoError, DjangoDetail))
)]
struct Django;

pub fn document(config: &Config) -> utoipa::openapi::OpenApi {
    let mut doc = Django::openapi();
    shared::move_paths(
        &mut doc,
        &[
            ("/auth/", &config.django.login_prefix),
            ("/dj-rest-auth/", &config.django.rest_auth_prefix),
        ],
    );
    shared::name_operations(&mut doc, "django");
    shared::add_layer_answers(&mut doc, "django.Detail", true);
    doc
}
