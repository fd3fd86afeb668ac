//! The applications page: the apps that call the API with their own token; adding one
//! (its token shown on the answer, once) and revoking one.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;

use super::AdminState;
use super::guard::{Admin, AdminForm, done, get, query};
use super::page::{failure, when};
use crate::core::apps::AppError;

#[derive(Serialize)]
struct AppView {
    name: String,
    token_hint: String,
    created: String,
}

/// The page with `extra` (a notice, a new token).
async fn page(state: &AdminState, admin: &Admin, status: StatusCode, extra: Value) -> Response {
    let apps = match state.app.core.list_apps().await {
        Ok(apps) => apps,
        Err(error) => return failure(&state.pages, &error),
    };
    let rows: Vec<AppView> = apps
        .iter()
        .map(|a| AppView {
            name: a.name.clone(),
            token_hint: a.token_hint.clone(),
            created: when(a.created_at),
        })
        .collect();
    let context = context! { apps => rows, ..extra };
    state.pages.render(
        status,
        "apps.html",
        admin.context("apps", "Applications", context),
    )
}

/// `GET /latch/admin/apps`
pub(super) async fn list(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let notice = match get(&fields, "done") {
        Some("revoked") => Some("The application's token no longer works."),
        _ => None,
    };
    page(
        &state,
        &admin,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

/// A refusal of the app calls, shown on the page.
fn problem(state: &AdminState, error: AppError) -> Result<String, Box<Response>> {
    match error {
        AppError::BadName | AppError::Taken(_) | AppError::Unknown(_) => Ok(error.to_string()),
        AppError::Core(error) => Err(Box::new(failure(&state.pages, &error))),
    }
}

/// `POST /latch/admin/apps` with `name`: adds the app and shows its token this once.
pub(super) async fn add(State(state): State<AdminState>, form: AdminForm) -> Response {
    let name = form.field("name").unwrap_or_default();
    let admin = &form.admin;
    match state.app.core.add_app(name, &admin.client).await {
        Ok(added) => {
            let extra = context! { added => added.app.name, token => added.token };
            page(&state, admin, StatusCode::OK, extra).await
        }
        Err(error) => match problem(&state, error) {
            Ok(text) => {
                let extra = context! { problem => text };
                page(&state, admin, StatusCode::BAD_REQUEST, extra).await
            }
            Err(page) => *page,
        },
    }
}

/// `POST /latch/admin/apps/revoke` with `name`.
pub(super) async fn revoke(State(state): State<AdminState>, form: AdminForm) -> Response {
    let name = form.field("name").unwrap_or_default();
    let admin = &form.admin;
    match state.app.core.revoke_app(name, &admin.client).await {
        Ok(()) => done("/latch/admin/apps", "revoked"),
        Err(error) => match problem(&state, error) {
            Ok(text) => {
                let extra = context! { problem => text };
                page(&state, admin, StatusCode::NOT_FOUND, extra).await
            }
            Err(page) => *page,
        },
    }
}
