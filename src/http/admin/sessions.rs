//! The sessions page: every live session (or one account's), most recently used first, each
//! with a button that ends it.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::context;

use super::AdminState;
use super::guard::{Admin, AdminForm, done, get, query};
use super::user::{SessionView, refused};

/// `GET /latch/admin/sessions?account=NAME`
pub(super) async fn list(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let account = get(&fields, "account");
    let sessions = match state.app.core.live_sessions(account).await {
        Ok(sessions) => sessions,
        Err(error) => return refused(&state, &error),
    };
    let notice = match get(&fields, "done") {
        Some("ended") => Some("The session has ended."),
        Some("gone") => Some("That session had already ended."),
        _ => None,
    };
    let context = context! {
        sessions => sessions.iter().map(SessionView::from).collect::<Vec<_>>(),
        account => account.unwrap_or_default(),
        notice => notice,
    };
    state.pages.render(
        StatusCode::OK,
        "sessions.html",
        admin.context("sessions", "Live sessions", context),
    )
}

/// `POST /latch/admin/sessions/end` with `session`, the session's public id.
pub(super) async fn end(State(state): State<AdminState>, form: AdminForm) -> Response {
    let Some(id) = form.field("session") else {
        return state
            .pages
            .refusal(StatusCode::BAD_REQUEST, "Name the session to end.");
    };
    let core = &state.app.core;
    match core.end_session(id, None, &form.admin.client).await {
        Ok(true) => done("/latch/admin/sessions", "ended"),
        Ok(false) => done("/latch/admin/sessions", "gone"),
        Err(error) => refused(&state, &error),
    }
}
