//! The Drupal 7 Services dialect's schemas. Its handlers are described under the default
//! endpoint, `/rest`, and moved under `services.endpoint` at start.

// These types only describe the wire format; the handlers build their JSON themselves, so
// none is ever constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::{ContentBuilder, RefOr};
use utoipa::{OpenApi, ToSchema};

use super::shared;
use crate::config::Config;

/// An error as the Services module reports it: the message in the status line, and in the body
/// the message in a one-element list, or the error's data (`form_errors`).
#[derive(ToSchema)]
#[schema(as = services::Error)]
#[serde(untagged)]
pub enum ServicesError {
    Message(Vec<String>),
    FormErrors {
        form_errors: BTreeMap<String, String>,
    },
}

/// `true`, as the JSON formatter wraps a scalar: `[true]`.
#[derive(ToSchema)]
#[schema(as = services::True)]
pub struct ServicesTrue(Vec<bool>);

/// The arguments of `user/login`: `username`/`password` under API 1.0 (the default),
/// `name`/`pass` under 1.1 (`services.api_version` or the `services_user_login_version` header).
#[derive(ToSchema)]
#[schema(as = services::Credentials)]
pub struct ServicesCredentials {
    username: Option<String>,
    password: Option<String>,
    name: Option<String>,
    pass: Option<String>,
    /// For an account with a second factor: its authenticator code or a recovery code.
    code: Option<String>,
}

/// A Drupal 7 user object: numbers as strings, roles keyed by role id.
#[derive(ToSchema)]
#[schema(as = services::User)]
pub struct ServicesUser {
    uid: String,
    name: String,
    mail: String,
    created: String,
    changed: String,
    access: String,
    login: String,
    /// `"1"` active, `"0"` blocked.
    status: String,
    timezone: Option<String>,
    language: String,
    /// For administrators only.
    init: Option<String>,
    roles: BTreeMap<String, String>,
}

/// The user object in `user/login`'s answer: as elsewhere, but `login`, set by the login, is
/// a number.
#[derive(ToSchema)]
#[schema(as = services::LoggedInUser)]
pub struct ServicesLoggedInUser {
    uid: String,
    name: String,
    mail: String,
    created: String,
    changed: String,
    access: String,
    /// The login's time, in seconds since 1970.
    login: i64,
    /// `"1"` active, `"0"` blocked.
    status: String,
    timezone: Option<String>,
    language: String,
    /// For administrators only.
    init: Option<String>,
    roles: BTreeMap<String, String>,
}

/// The anonymous user, for callers without a session.
#[derive(ToSchema)]
#[schema(as = services::AnonymousUser)]
pub struct ServicesAnonymous {
    uid: i64,
    hostname: String,
    roles: BTreeMap<String, String>,
}

/// `user/login`'s answer; the session cookie comes in `Set-Cookie` too.
#[derive(ToSchema)]
#[schema(as = services::LoggedIn)]
pub struct ServicesLoggedIn {
    /// The session id, which the cookie named `session_name` carries.
    sessid: String,
    session_name: String,
    /// For `X-CSRF-Token` on unsafe requests with this session.
    token: String,
    user: ServicesLoggedInUser,
}

/// `system/connect`'s answer.
#[derive(ToSchema)]
#[schema(as = services::Connected)]
pub struct ServicesConnected {
    /// The session id, or for anonymous callers a random one that names nothing.
    sessid: String,
    session_name: String,
    #[schema(value_type = Object)]
    user: Value,
}

/// `user/token`'s answer.
#[derive(ToSchema)]
#[schema(as = services::Token)]
pub struct ServicesToken {
    token: String,
}

/// A new account's fields, at the top level or under `account`. `status`, `roles` and
/// `notify` are for administrators.
#[derive(ToSchema)]
#[schema(as = services::Account)]
pub struct ServicesAccount {
    name: Option<String>,
    mail: Option<String>,
    /// A string, or the confirm widget's `{"pass1": …, "pass2": …}`.
    #[schema(value_type = Option<String>)]
    pass: Option<Value>,
    status: Option<String>,
    notify: Option<bool>,
    #[schema(value_type = Option<Object>)]
    roles: Option<Value>,
}

/// A registered account.
#[derive(ToSchema)]
#[schema(as = services::Registered)]
pub struct ServicesRegistered {
    uid: String,
    uri: String,
}

/// `user/request_new_password`'s argument: a name or an address.
#[derive(ToSchema)]
#[schema(as = services::NameOrMail)]
pub struct ServicesNameOrMail {
    name: String,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::http::services::auth::session_token,
        crate::http::services::auth::login,
        crate::http::services::auth::logout,
        crate::http::services::auth::token,
        crate::http::services::auth::connect,
        crate::http::services::users::register,
        crate::http::services::users::request_new_password,
        crate::http::services::users::retrieve,
    ),
    components(schemas(ServicesError))
)]
struct Services;

pub fn document(config: &Config) -> utoipa::openapi::OpenApi {
    let mut doc = Services::openapi();
    // The module's resource table also takes `POST …/user` for a registration.
    if let Some(item) = doc.paths.paths.get("/rest/user/register") {
        let mut alias = item.clone();
        if let Some(post) = &mut alias.post {
            post.operation_id = Some("register_user".into());
        }
        doc.paths.paths.insert("/rest/user".into(), alias);
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        // Every action under the endpoint reads its POST body, whichever arguments it takes.
        if let Some(post) = &mut item.post {
            post.responses
                .responses
                .entry("400".into())
                .or_insert_with(|| {
                    RefOr::T(shared::json_answer(
                        "A body that could not be parsed as JSON, a form or XML",
                        "services.Error",
                    ))
                });
        }
        if path.starts_with("/rest/") {
            answers_in_xml_too(item);
        }
    }
    shared::move_paths(
        &mut doc,
        &[("/rest/", &format!("/{}/", config.services.endpoint))],
    );
    shared::name_operations(&mut doc, "services");
    shared::add_layer_answers(&mut doc, "services.Error", true);
    doc
}

/// A `.xml` suffix or `Accept: application/xml` gets every answer as XML under `<result>`:
/// the same data, in the Services module's XML formatter's shape.
fn answers_in_xml_too(item: &mut utoipa::openapi::PathItem) {
    let operations = [&mut item.get, &mut item.post].into_iter().flatten();
    for operation in operations {
        for response in operation.responses.responses.values_mut() {
            if let RefOr::T(response) = response
                && response.content.contains_key("application/json")
            {
                let xml = ContentBuilder::new().schema(Some(String::schema())).build();
                response
                    .content
                    .insert("application/xml".into(), RefOr::T(xml));
            }
        }
    }
}
