//! The whole application: every dialect's routes, each inside its [`Frame`], inside the
//! middleware every request passes.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, COOKIE, HOST, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use super::frame::Frame;
use super::{
    AppState, DIALECTS, admin, cookies, failure, hardening, native, observe, openapi, ops,
    query_path,
};
use crate::config::Config;

/// The whole application with its middleware.
pub fn app(state: AppState, config: &Config) -> Router {
    let request_timeout = config.http.request_timeout;
    let sensitive: Arc<[HeaderName]> = vec![
        COOKIE,
        SET_COOKIE,
        AUTHORIZATION,
        HeaderName::from_static("x-csrf-token"),
        HeaderName::from_static("x-session-token"),
    ]
    .into();
    let mut routes = DIALECTS.iter().fold(Router::new(), |routes, dialect| {
        routes.merge((dialect.router)(&state, config).layer(Frame::dialect(
            &state,
            dialect.name,
            dialect.screen,
        )))
    });
    let own = Frame::own(&state);
    routes = routes
        .merge(native::router(&state, config).layer(own.clone()))
        .merge(ops::router(&state, config).layer(own.clone()))
        .merge(admin::router(&state, config).layer(own.clone()))
        .merge(openapi::router(config, &public_cookie_name(&state, config)).layer(own));
    if state.bench_hello {
        // The benchmark's ceiling: no database, no session, the same middleware.
        routes = routes.route("/bench/hello", axum::routing::get(|| async { "hello" }));
    }
    // Each `Router::layer` would box the route once more and clone the boxes below it on
    // every request; the middleware every request passes is one static stack instead.
    let inner = ServiceBuilder::new()
        .layer(hardening::security_headers(
            &config.http,
            &config.public_url,
        ))
        .layer(from_fn_with_state(
            state.core.clone(),
            failure::within_store,
        ))
        .layer(from_fn(cookies::expire_stale_cookies))
        .layer(from_fn_with_state(
            query_path::QueryPaths::new(config),
            query_path::rewrite,
        ));
    let mut app = Router::new().fallback_service(inner.service(routes));
    if let Some(cors) = hardening::cors(&config.http) {
        app = app.layer(cors);
    }
    app.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveHeadersLayer::from_shared(sensitive))
            .layer(from_fn(observe::observe))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                request_timeout,
            ))
            .layer(CatchPanicLayer::new())
            .layer(SetResponseHeaderLayer::overriding(
                X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            // Every response carries session state or tokens: never let a cache keep it.
            .layer(SetResponseHeaderLayer::if_not_present(
                CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(DefaultBodyLimit::max(state.body_limit)),
    )
}

/// The standard session cookie's name for requests to the public URL's host, as the
/// description of the API names it.
fn public_cookie_name(state: &AppState, config: &Config) -> String {
    let authority = config.public_authority();
    let mut headers = HeaderMap::new();
    if let Ok(host) = HeaderValue::from_str(authority) {
        headers.insert(HOST, host);
    }
    state.cookies.name(&headers)
}
