//! The OpenAPI 3.1 description of every route, served at `GET /openapi.json`, and Swagger UI
//! at `/docs`, from files built into the binary (no page or script comes from another host).
//!
//! The description is generated from the handlers: each carries a `#[utoipa::path]` naming
//! its method, path, parameters, body and answers, whose schemas live here, one module per
//! dialect. Each module collects its dialect's handlers in a `#[derive(OpenApi)]` and, when the
//! description is first asked for, moves them under the configured paths; [`document`] merges
//! the enabled dialects and adds what every operation shares (the answers of the middleware,
//! the session schemes).

// The dialects' handlers name their schemas here, hence visible to `http`.
pub(super) mod allauth;
pub(super) mod django;
pub(super) mod drupal;
pub(super) mod laravel;
pub(super) mod native;
pub(super) mod platformos;
pub(super) mod services;
mod shared;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;

/// Where the description is served, and where the documentation page finds it.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// The description of the routes `config` enables.
pub fn document(config: &Config, session_cookie: &str) -> OpenApi {
    let mut doc = shared::base(config, session_cookie);
    let parts = [
        Some(native::document()),
        Some(drupal::document()),
        config.services.enabled.then(|| services::document(config)),
        config.django.enabled.then(|| django::document(config)),
        config.platformos.enabled.then(platformos::document),
        config.laravel.enabled.then(|| laravel::document(config)),
        config.allauth.enabled.then(|| allauth::document(config)),
    ];
    for part in parts.into_iter().flatten() {
        doc.merge(part);
    }
    doc
}

/// `GET /openapi.json` and the Swagger UI pages under `/docs`.
pub fn router(config: &Config, session_cookie: &str) -> Router {
    // Made at the first request, not at start: building it allocates some megabytes in many
    // small pieces, which the allocator keeps after they are freed, so a server that never
    // serves its description would carry them idle.
    let description = Arc::new(Description {
        config: config.clone(),
        session_cookie: session_cookie.to_owned(),
        json: OnceLock::new(),
    });
    let swagger_config = utoipa_swagger_ui::Config::new([DOCUMENT_PATH])
        // The default shows a badge fetched from swagger.io: nothing may leave the host.
        .validator_url("none")
        .try_it_out_enabled(true)
        .with_credentials(true);
    Router::new()
        .route(
            DOCUMENT_PATH,
            get(move || async move { ([(CONTENT_TYPE, "application/json")], description.json()) }),
        )
        .merge(
            Router::from(SwaggerUi::new("/docs").config(swagger_config))
                .layer(SetResponseHeaderLayer::overriding(
                    CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(DOCS_POLICY),
                ))
                // The page and its 1.5 MB of script change only with the binary and carry no
                // session data, unlike every other answer (`no-store`).
                .layer(SetResponseHeaderLayer::overriding(
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                )),
        )
}

/// What `GET /openapi.json` answers, made once when first asked for.
struct Description {
    config: Config,
    session_cookie: String,
    json: OnceLock<Bytes>,
}

impl Description {
    fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| {
                let doc = document(&self.config, &self.session_cookie);
                Bytes::from(
                    serde_json::to_vec(&doc)
                        .expect("the description serialises: it is built of strings and maps"),
                )
            })
            .clone()
    }
}

/// Swagger UI's page loads its script and style from here and calls only this server; its
/// style and icons are partly inline.
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' \
     'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enabled_dialect_is_described_under_its_configured_paths() {
        let mut config = Config::default();
        config.services.endpoint = "api/d7".into();
        config.django.rest_auth_prefix = "/api/auth/".into();
        let doc = document(&config, "SESSabc");
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for expected in [
            "/latch/whoami",
            "/user/login",
            "/api/d7/user/login",
            "/api/auth/login/",
            "/api/sessions",
        ] {
            assert!(
                paths.iter().any(|p| *p == expected),
                "{expected} in {paths:?}"
            );
        }
        assert!(!paths.iter().any(|p| p.starts_with("/rest/user")));
    }

    #[test]
    fn a_disabled_dialect_is_left_out() {
        let mut config = Config::default();
        config.platformos.enabled = false;
        let doc = document(&config, "SESSabc");
        assert!(!doc.paths.paths.contains_key("/api/sessions"));
        assert!(doc.paths.paths.contains_key("/user/login"));
    }
}
