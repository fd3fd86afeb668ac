//! The platformOS dialect's schemas. Its answers are `application/vnd.api+json`.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use super::shared;

/// ActiveModel's errors: messages by field, `base` for the request as a whole.
#[derive(ToSchema)]
#[schema(as = platformos::Error)]
pub struct PosError {
    errors: BTreeMap<String, Vec<String>>,
}

/// The envelope every body comes in: a configured form's name and its fields. A cookie
/// session may carry its CSRF token here as `authenticity_token`.
#[derive(ToSchema)]
#[schema(as = platformos::FormBody)]
pub struct PosFormBody {
    /// A form for this request's action (`latch`'s built-in ones, or `platformos.forms`).
    form_name: Option<String>,
    /// The form's fields: `email` (or `name`) and `password` to log in, and `code` for an
    /// account with a second factor; `email`, `name`,
    /// `password` to register; `name`, `email`, `password`, `current_password` to change.
    #[schema(value_type = Object)]
    form: Option<Value>,
    authenticity_token: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = platformos::User)]
pub struct PosUser {
    id: i64,
    email: Option<String>,
    name: String,
    roles: Vec<String>,
}

/// `GET /api/sessions`'s answer.
#[derive(ToSchema)]
#[schema(as = platformos::Session)]
pub struct PosSession {
    user: PosUser,
    /// For `X-CSRF-Token` (or `authenticity_token`) with a cookie session.
    csrf_token: String,
    /// Unix seconds.
    expires_at: i64,
}

/// An empty object: the session is in the cookie and the headers.
#[derive(ToSchema)]
#[schema(as = platformos::Created)]
pub struct PosCreated {}

/// A registered account.
#[derive(ToSchema)]
#[schema(as = platformos::UserId)]
pub struct PosUserId {
    id: i64,
    /// Always empty on success.
    errors: BTreeMap<String, Vec<String>>,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::platformos::sessions::create,
        crate::http::platformos::sessions::show,
        crate::http::platformos::sessions::destroy,
        crate::http::platformos::users::create,
        crate::http::platformos::users::update,
    ),
    components(schemas(PosError))
)]
struct Platformos;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Platformos::openapi();
    shared::name_operations(&mut doc, "platformos");
    shared::add_layer_answers(&mut doc, "platformos.Error", true);
    doc
}
