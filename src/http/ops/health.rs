//! `/healthz`: the process answers. `/readyz`: it can serve: the database answers, its schema
//! is this program's, and the mail worker runs; otherwise 503, naming each failing part (the
//! cause goes to the log, not to the caller).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::OpsState;

/// A probe answers in time even when the database does not.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

const OK: &str = "ok";

pub async fn healthz() -> Response {
    Json(json!({"status": OK})).into_response()
}

pub async fn readyz(State(state): State<OpsState>) -> Response {
    let store = state.app.core.store();
    let mut checks = Map::new();
    let database = match tokio::time::timeout(CHECK_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => OK.to_string(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            "unreachable".to_string()
        }
        Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
    };
    let migrations = if database == OK {
        match tokio::time::timeout(CHECK_TIMEOUT, store.pending_migrations()).await {
            Ok(Ok(0)) => OK.to_string(),
            Ok(Ok(n)) => format!("{n} migrations not applied (run latch migrate)"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "not ready: cannot read the applied migrations");
                "cannot be read".to_string()
            }
            Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        }
    } else {
        "unknown: the database does not answer".to_string()
    };
    let mail_worker = match &state.app.mail_worker {
        Some(worker) if worker.get() => OK,
        _ => "not running",
    };
    checks.insert("database".into(), database.into());
    checks.insert("migrations".into(), migrations.into());
    checks.insert("mail_worker".into(), mail_worker.into());
    let failing: Vec<&str> = checks
        .iter()
        .filter(|(_, state)| state.as_str() != Some(OK))
        .map(|(part, _)| part.as_str())
        .collect();
    if failing.is_empty() {
        return Json(json!({"status": "ready", "checks": checks})).into_response();
    }
    let message = format!("not ready: {}", failing.join(", "));
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "not ready", "message": message, "checks": Value::Object(checks)})),
    )
        .into_response()
}
