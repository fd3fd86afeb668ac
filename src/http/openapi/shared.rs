//! What the whole description shares: its header, the ways a caller presents a session or a
//! CSRF token, and the answers that any operation of a dialect may give because they come
//! from layers in front of its handlers.

use utoipa::PartialSchema;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Response,
    ResponseBuilder, ServerBuilder, Tag,
};

use crate::config::Config;

/// The description's frame: title, server, tags and the session and token schemes.
pub fn base(config: &Config, session_cookie: &str) -> OpenApi {
    let scheme = |key: ApiKey, description: &str| {
        let mut scheme = SecurityScheme::ApiKey(key);
        if let SecurityScheme::ApiKey(
            ApiKey::Cookie(value) | ApiKey::Header(value) | ApiKey::Query(value),
        ) = &mut scheme
        {
            value.description = Some(description.into());
        }
        scheme
    };
    let components = ComponentsBuilder::new()
        .security_scheme(
            "session_cookie",
            scheme(
                ApiKey::Cookie(ApiKeyValue::new(session_cookie)),
                "The session cookie set at login by the Drupal, Services and platformOS \
                 dialects (`cookie.name`, or Drupal's `SESS…` name for the host). A browser \
                 sends it by itself.",
            ),
        )
        .security_scheme(
            "django_session",
            scheme(
                ApiKey::Cookie(ApiKeyValue::new("sessionid")),
                "The Django dialect's session cookie.",
            ),
        )
        .security_scheme(
            "session_token",
            scheme(
                ApiKey::Header(ApiKeyValue::new("X-Session-Token")),
                "A session id in a header, for clients that keep no cookies: the `token` of \
                 `POST /api/sessions` (platformOS dialect), accepted by the native API.",
            ),
        )
        .security_scheme(
            "personal_access_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal access token, `Authorization: Bearer latch_pat_…`, from \
                         `POST /latch/tokens`; accepted by the native API within its scopes.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            "app_token",
            scheme(
                ApiKey::Header(ApiKeyValue::new("Authorization")),
                "An application's key for the platformOS dialect: `Token token=<key>`, from \
                 `latch app create`.",
            ),
        )
        .build();
    let tags = [
        (
            "latch",
            "latch's own API: forward-auth, the current session, JWTs, your sessions and \
             personal access tokens.",
        ),
        (
            "Drupal 8+",
            "Drupal 8+ core REST: `?_format=json`, `X-CSRF-Token`.",
        ),
        (
            "Drupal 7 Services",
            "The Services module's REST server, under its endpoint path.",
        ),
        (
            "Django",
            "Django's login view and dj-rest-auth, with `csrftoken` and `sessionid`.",
        ),
        (
            "platformOS",
            "platformOS-style sessions and users, with `{form_name, form}` bodies.",
        ),
    ]
    .into_iter()
    .map(|(name, description)| {
        let mut tag = Tag::new(name);
        tag.description = Some(description.into());
        tag
    });
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("latch")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A login and session server that speaks the Drupal 8+, Drupal 7 Services, \
                     Django (dj-rest-auth) and platformOS session dialects, plus its own \
                     `/latch/` API. Each operation lists the cookies and headers it reads and \
                     sets.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new()
            .url(config.public_url.trim_end_matches('/'))
            .build()]))
        .components(Some(components))
        .tags(Some(tags.collect::<Vec<_>>()))
        .build()
}

/// A JSON answer whose body is `schema` (a component's name).
pub fn json_answer(description: &str, schema: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
}

/// `Retry-After`, on refusals that lift by themselves.
pub fn retry_after() -> Header {
    let mut header = Header::new(u32::schema());
    header.description = Some("Seconds to wait before retrying.".into());
    header
}

/// The answers a dialect's layers may give to any of its operations, in its error shape
/// (`error_schema`): a failure inside the server, a database outage, oversized headers, and
/// for operations with a body, one over the size limit.
pub fn add_layer_answers(doc: &mut OpenApi, error_schema: &str, screens_headers: bool) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            let has_body = operation.request_body.is_some();
            let mut add = |status: &str, response: Response| {
                operation
                    .responses
                    .responses
                    .entry(status.into())
                    .or_insert(RefOr::T(response));
            };
            add(
                "500",
                json_answer(
                    "A fault inside the server; the message carries an error id that the \
                     server's log explains.",
                    error_schema,
                ),
            );
            let mut unavailable = json_answer(
                "The database is unreachable or full, or password hashing is saturated.",
                error_schema,
            );
            unavailable
                .headers
                .insert("Retry-After".into(), RefOr::T(retry_after()));
            add("503", unavailable);
            if screens_headers {
                add(
                    "431",
                    json_answer(
                        "A request header is larger than `http.header_limit`.",
                        error_schema,
                    ),
                );
            }
            if has_body {
                add(
                    "413",
                    json_answer("The body is larger than `http.body_limit`.", error_schema),
                );
            }
        }
    }
}

/// Prefixes each operation's id (the handler's name) with the dialect's, so that ids stay
/// unique across dialects (`drupal_login`, `django_login`).
pub fn name_operations(doc: &mut OpenApi, dialect: &str) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            if let Some(id) = &operation.operation_id {
                operation.operation_id = Some(format!("{dialect}_{id}"));
            }
        }
    }
}

pub(super) fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Moves every path that starts with a `from` to start with its `to` instead (the first that
/// matches): a dialect's handlers are described under its default paths, and served under the
/// configured ones.
pub fn move_paths(doc: &mut OpenApi, moves: &[(&str, &str)]) {
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, item)| {
            let moved = moves
                .iter()
                .find_map(|(from, to)| path.strip_prefix(from).map(|rest| format!("{to}{rest}")));
            (moved.unwrap_or(path), item)
        })
        .collect();
}
