//! The Laravel dialect's schemas: Fortify's and Breeze's bodies and Laravel's error shapes.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::{OpenApi, ToSchema};

use super::shared;
use crate::config::Config;

/// `{"message"}`: Laravel's shape for errors that concern no field (419, 401, 403, 429), and
/// Fortify's success messages (Breeze says `status` instead).
#[derive(ToSchema)]
#[schema(as = laravel::Message)]
pub struct LaravelMessage {
    message: String,
}

/// A validation failure (422): the first message (with how many more there are) and every
/// field's messages.
#[derive(ToSchema)]
#[schema(as = laravel::Validation)]
pub struct LaravelValidation {
    message: String,
    errors: BTreeMap<String, Vec<String>>,
}

#[derive(ToSchema)]
#[schema(as = laravel::Login)]
pub struct LaravelLogin {
    email: String,
    password: String,
    /// Accepted and ignored: a session lasts `session.lifetime`.
    remember: Option<bool>,
    /// For an account with a second factor, the current code or a recovery code, with the
    /// password (Breeze; Fortify also takes it in `two-factor-challenge`).
    code: Option<String>,
    /// The CSRF token, for form posts that cannot send `X-XSRF-TOKEN`.
    _token: Option<String>,
}

/// Fortify's login answer: whether the second factor is due next.
#[derive(ToSchema)]
#[schema(as = laravel::TwoFactor)]
pub struct LaravelTwoFactor {
    two_factor: bool,
}

#[derive(ToSchema)]
#[schema(as = laravel::TwoFactorChallenge)]
pub struct LaravelTwoFactorChallenge {
    code: Option<String>,
    recovery_code: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = laravel::Registration)]
pub struct LaravelRegistration {
    /// The account's name, unique in latch.
    name: String,
    email: String,
    password: String,
    password_confirmation: String,
}

#[derive(ToSchema)]
#[schema(as = laravel::ForgotPassword)]
pub struct LaravelForgotPassword {
    email: String,
}

#[derive(ToSchema)]
#[schema(as = laravel::ResetPassword)]
pub struct LaravelResetPassword {
    /// The token of the mailed link.
    token: String,
    email: String,
    password: String,
    password_confirmation: String,
}

/// Laravel's default `User` model without its hidden fields; times are ISO 8601 in UTC.
#[derive(ToSchema)]
#[schema(as = laravel::User)]
pub struct LaravelUser {
    id: i64,
    name: String,
    email: Option<String>,
    email_verified_at: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(ToSchema)]
#[schema(as = laravel::TokenRequest)]
pub struct LaravelTokenRequest {
    email: String,
    password: String,
    /// The token's name, as the user's token list shows it.
    device_name: String,
    /// For an account with a second factor.
    code: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::laravel::xsrf::csrf_cookie,
        crate::http::laravel::auth::login,
        crate::http::laravel::auth::two_factor_challenge,
        crate::http::laravel::auth::logout,
        crate::http::laravel::auth::register,
        crate::http::laravel::password::forgot,
        crate::http::laravel::password::reset_link,
        crate::http::laravel::password::reset,
        crate::http::laravel::user::user,
        crate::http::laravel::user::token,
    ),
    components(schemas(LaravelMessage))
)]
struct Laravel;

pub fn document(config: &Config) -> utoipa::openapi::OpenApi {
    let laravel = &config.laravel;
    let mut doc = Laravel::openapi();
    shared::move_paths(
        &mut doc,
        &[
            ("/sanctum/csrf-cookie", &laravel.csrf_cookie_path),
            ("/sanctum/token", &laravel.token_path),
            ("/api/user", &laravel.user_path),
            ("/", &laravel.prefix),
        ],
    );
    add_web_answers(&mut doc);
    shared::name_operations(&mut doc, "laravel");
    shared::add_layer_answers(&mut doc, "laravel.Message", true);
    doc
}

/// What every `POST` may answer besides its own outcomes: an unreadable body, and Laravel's
/// 419 when the CSRF token is missing or wrong (the token route checks it only for requests
/// from a stateful front end).
fn add_web_answers(doc: &mut utoipa::openapi::OpenApi) {
    let answers = [
        (
            "400",
            "A body that is not JSON (or not an object), or not the form its type says",
        ),
        ("415", "A body that is neither JSON nor a form"),
        (
            "419",
            "CSRF token missing or wrong: fetch `/sanctum/csrf-cookie` and send `X-XSRF-TOKEN`",
        ),
    ];
    for item in doc.paths.paths.values_mut() {
        let Some(post) = item.post.as_mut() else {
            continue;
        };
        for (status, description) in answers {
            post.responses
                .responses
                .entry(status.into())
                .or_insert_with(|| {
                    utoipa::openapi::RefOr::T(shared::json_answer(description, "laravel.Message"))
                });
        }
    }
}
