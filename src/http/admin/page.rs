//! Rendering the console's pages from the templates in `templates/admin/`, and its refusals
//! and failures as pages of their own.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::core::{Error, rfc3339};
use crate::http::ServerFailure;

/// The templates, parsed once at start.
pub(super) struct Pages {
    env: Environment<'static>,
}

macro_rules! templates {
    ($env:expr, $($name:literal),*) => {
        $(
            $env.add_template($name, include_str!(concat!("../../../templates/admin/", $name)))
                .expect(concat!("templates/admin/", $name, " parses"));
        )*
    };
}

impl Pages {
    pub(super) fn new(site_name: &str) -> Self {
        let mut env = Environment::new();
        templates!(
            env,
            "base.html",
            "error.html",
            "users.html",
            "user.html",
            "sessions.html",
            "outbox.html",
            "audit.html",
            "apps.html",
            "events.html"
        );
        env.add_global("site_name", site_name.to_string());
        Self { env }
    }

    /// The page `template` renders with `context`, answered with `status`.
    pub(super) fn render(&self, status: StatusCode, template: &str, context: Value) -> Response {
        match self
            .env
            .get_template(template)
            .and_then(|t| t.render(context))
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => failure_page(self, ServerFailure::internal(&error)),
        }
    }

    /// A page that says why the request was refused.
    pub(super) fn refusal(&self, status: StatusCode, reason: &str) -> Response {
        let title = status.canonical_reason().unwrap_or("Refused");
        self.render(
            status,
            "error.html",
            context! { title => title, reason => reason },
        )
    }
}

/// A failure of the core as a page: 503 with `Retry-After` for an outage or overload, 500
/// with an error id otherwise. Refusals a page can act on are worded by its handler.
pub(super) fn failure(pages: &Pages, error: &Error) -> Response {
    failure_page(pages, ServerFailure::from_core(error))
}

fn failure_page(pages: &Pages, failure: ServerFailure) -> Response {
    let title = failure.status.canonical_reason().unwrap_or("Error");
    let html = pages
        .env
        .get_template("error.html")
        .and_then(|t| t.render(context! { title => title, reason => failure.message }))
        .unwrap_or_else(|_| failure.message.clone());
    let mut response = (failure.status, Html(html)).into_response();
    if let Some(seconds) = failure.retry_after {
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
    }
    response
}

/// Any other path under `/latch/admin/`.
pub(super) async fn not_found(
    axum::extract::State(state): axum::extract::State<super::AdminState>,
) -> Response {
    state.pages.refusal(
        StatusCode::NOT_FOUND,
        "There is no such page in the admin console.",
    )
}

/// A Unix time as the pages show it; `never` for zero.
pub(super) fn when(unix: i64) -> String {
    if unix == 0 {
        return "never".into();
    }
    rfc3339(unix)
        .map(|t| t.replace('T', " ").replace('Z', " UTC"))
        .unwrap_or_else(|| unix.to_string())
}

/// An account as the pages list it.
#[derive(Serialize)]
pub(super) struct AccountView {
    pub id: i64,
    pub name: String,
    pub mail: Option<String>,
    pub state: &'static str,
    pub roles: Vec<String>,
    pub created: String,
    pub last_login: String,
    /// Whether the account logs in with a second factor.
    pub second_factor: bool,
}

impl AccountView {
    pub fn new(account: &crate::core::accounts::Account, second_factor: bool) -> Self {
        Self {
            id: account.id,
            name: account.name.clone(),
            mail: account.mail.clone(),
            state: account.state.as_str(),
            roles: account.all_roles().into_iter().map(String::from).collect(),
            created: when(account.created_at),
            last_login: when(account.login_at),
            second_factor,
        }
    }
}

/// An audit event as the pages list it.
#[derive(Serialize)]
pub(super) struct EventView {
    pub time: String,
    pub kind: String,
    pub account: Option<String>,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub client_ip: Option<String>,
    pub detail: Option<String>,
    pub repeats: i64,
}

impl From<&crate::store::AuditRow> for EventView {
    fn from(row: &crate::store::AuditRow) -> Self {
        Self {
            time: when(row.created_at),
            kind: row.kind.clone(),
            account: row.account_name.clone(),
            account_id: row.account_id,
            actor: row.actor.clone(),
            client_ip: row.client_ip.clone(),
            detail: row.detail.clone(),
            repeats: row.repeats,
        }
    }
}
