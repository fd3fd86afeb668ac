//! The outbox page: messages not yet delivered (queued, failing, dead-lettered), each dead or
//! waiting one with a button that queues it for delivery now.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::AdminState;
use super::guard::{Admin, AdminForm, done, get, query};
use super::page::{failure, when};
use crate::core::console::MailRetry;

/// A message as the page lists it: never its text, which may hold a live login link.
#[derive(Serialize)]
struct MessageView {
    id: i64,
    kind: String,
    recipient: String,
    /// `queued`, `failing` (queued after a failed attempt) or `dead`.
    state: &'static str,
    attempts: i64,
    created: String,
    next_attempt: String,
    last_error: Option<String>,
}

/// `GET /latch/admin/outbox`
pub(super) async fn list(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let messages = match state.app.core.outbox().await {
        Ok(messages) => messages,
        Err(error) => return failure(&state.pages, &error),
    };
    let rows: Vec<MessageView> = messages
        .iter()
        .filter_map(|m| {
            let shown = match m.state.as_str() {
                "dead" => "dead",
                "queued" if m.last_error.is_some() => "failing",
                "queued" => "queued",
                _ => return None,
            };
            Some(MessageView {
                id: m.id,
                kind: m.kind.clone(),
                recipient: m.recipient.clone(),
                state: shown,
                attempts: m.attempts,
                created: when(m.created_at),
                next_attempt: when(m.next_attempt_at),
                last_error: m.last_error.clone(),
            })
        })
        .collect();
    let notice = match get(&fields, "done") {
        Some("queued") => Some("The message is queued for delivery now."),
        Some("delivered") => Some("That message was delivered already; it is not sent twice."),
        _ => None,
    };
    let context = context! { messages => rows, notice => notice };
    state.pages.render(
        StatusCode::OK,
        "outbox.html",
        admin.context("outbox", "Outbox", context),
    )
}

/// `POST /latch/admin/outbox/{id}/retry`
pub(super) async fn retry(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return state
            .pages
            .refusal(StatusCode::NOT_FOUND, "There is no such message.");
    };
    match state.app.core.retry_mail(id, &form.admin.client).await {
        Ok(MailRetry::Queued) => done("/latch/admin/outbox", "queued"),
        Ok(MailRetry::Delivered) => done("/latch/admin/outbox", "delivered"),
        Ok(MailRetry::Missing) => state.pages.refusal(
            StatusCode::NOT_FOUND,
            "There is no such message in the outbox.",
        ),
        Err(error) => failure(&state.pages, &error),
    }
}
