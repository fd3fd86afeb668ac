//! The audit page: the newest events, filtered by account, type and time.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::context;

use super::AdminState;
use super::guard::{Admin, get, query};
use super::page::{EventView, failure};
use crate::core::AuditEvent;
use crate::store::AuditFilter;

/// Events per page.
const LIMIT: i64 = 200;

/// `YYYY-MM-DD` as the Unix time of that day's start (UTC).
fn day_start(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// `GET /latch/admin/audit?account=&type=&from=&to=` (days, `to` inclusive)
pub(super) async fn list(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let bad = |reason: &str| state.pages.refusal(StatusCode::BAD_REQUEST, reason);
    let kind = get(&fields, "type");
    if kind.is_some_and(|k| AuditEvent::parse(k).is_none()) {
        return bad("Unknown event type: choose one from the list.");
    }
    let from = get(&fields, "from");
    let to = get(&fields, "to");
    let since = match from.map(day_start) {
        Some(None) => return bad("The first day must be a date, YYYY-MM-DD."),
        other => other.flatten(),
    };
    let until = match to.map(day_start) {
        Some(None) => return bad("The last day must be a date, YYYY-MM-DD."),
        other => other.flatten().map(|t| t + 86_400),
    };
    let filter = AuditFilter {
        account: get(&fields, "account").map(str::to_string),
        kind: kind.map(str::to_string),
        since,
        until,
        limit: LIMIT,
    };
    let events = match state.app.core.audit_events(&filter).await {
        Ok(events) => events,
        Err(error) => return failure(&state.pages, &error),
    };
    let kinds: Vec<&str> = AuditEvent::ALL.iter().map(|e| e.as_str()).collect();
    let context = context! {
        events => events.iter().map(EventView::from).collect::<Vec<_>>(),
        kinds => kinds,
        account => get(&fields, "account").unwrap_or_default(),
        kind => kind.unwrap_or_default(),
        from => from.unwrap_or_default(),
        to => to.unwrap_or_default(),
        limit => LIMIT,
    };
    state.pages.render(
        StatusCode::OK,
        "audit.html",
        admin.context("audit", "Audit trail", context),
    )
}

#[cfg(test)]
mod tests {
    use super::day_start;

    #[test]
    fn days_are_read_as_utc_midnight() {
        assert_eq!(day_start("1970-01-02"), Some(86_400));
        assert_eq!(day_start("2026-02-30"), None);
        assert_eq!(day_start("yesterday"), None);
    }
}
