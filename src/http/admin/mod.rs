//! The admin console under `/latch/admin/`: server-rendered pages for accounts with the
//! `administrator` role. Users, pending approvals, live sessions, the outbox, the audit trail
//! and applications, each action through the same core calls as the command line, recorded
//! with the acting administrator. No JavaScript; every form carries the session's CSRF token
//! and is screened by origin; a strict `Content-Security-Policy` on every answer.

mod apps;
mod audit;
mod guard;
mod outbox;
mod page;
mod sessions;
mod user;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use crate::config::Config;

/// Where the console lives.
const BASE: &str = "/latch/admin";

/// No script at all, styles only from this server, forms only to it, never in a frame.
const POLICY: &str = "default-src 'none'; style-src 'self'; form-action 'self'; \
     frame-ancestors 'none'";

const STYLESHEET: &str = include_str!("../../../templates/admin/admin.css");

/// The console's state: the shared state, the login page anonymous visitors are sent to and
/// the page templates.
#[derive(Clone)]
struct AdminState {
    app: AppState,
    /// The Django dialect's HTML login page, the only one latch serves; `None` without it.
    login_page: Option<Arc<str>>,
    pages: Arc<page::Pages>,
}

pub fn router(app: &AppState, config: &Config) -> Router {
    // A path on this server: the browser came here, whatever name it used.
    let login_page = config
        .django
        .enabled
        .then(|| format!("{}login/", config.django.login_prefix).into());
    let state = AdminState {
        app: app.clone(),
        login_page,
        pages: Arc::new(page::Pages::new(&config.site_name)),
    };
    Router::new()
        .route(BASE, get(|| async { Redirect::to("/latch/admin/users") }))
        .route(
            "/latch/admin/",
            get(|| async { Redirect::to("/latch/admin/users") }),
        )
        .route("/latch/admin/admin.css", get(stylesheet))
        .route("/latch/admin/users", get(users::list))
        .route("/latch/admin/pending", get(users::pending))
        .route("/latch/admin/users/{id}", get(user::show))
        .route("/latch/admin/users/{id}/state", post(user::set_state))
        .route("/latch/admin/users/{id}/roles", post(user::set_roles))
        .route("/latch/admin/users/{id}/sessions", post(user::end_sessions))
        .route("/latch/admin/users/{id}/reset", post(user::send_reset))
        .route(
            "/latch/admin/users/{id}/second-factor",
            post(user::remove_second_factor),
        )
        .route("/latch/admin/sessions", get(sessions::list))
        .route("/latch/admin/sessions/end", post(sessions::end))
        .route("/latch/admin/outbox", get(outbox::list))
        .route("/latch/admin/outbox/{id}/retry", post(outbox::retry))
        .route("/latch/admin/audit", get(audit::list))
        .route("/latch/admin/apps", get(apps::list).post(apps::add))
        .route("/latch/admin/apps/revoke", post(apps::revoke))
        .route(
            "/latch/admin/{*rest}",
            get(page::not_found).post(page::not_found),
        )
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        ))
}

/// The console's one stylesheet, from the binary.
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "max-age=300"),
        ],
        STYLESHEET,
    )
}
