//! A user's page, `/latch/admin/users/{id}`: the account, its live sessions and its audit
//! trail, and the actions on it: block, unblock, approve, roles, end all sessions, mail a
//! password-reset link.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::AdminState;
use super::guard::{Admin, AdminForm, done, get, query};
use super::page::{AccountView, EventView, failure, when};
use crate::core::Error;
use crate::core::accounts::{Account, AccountState};
use crate::core::mfa::MfaStatus;
use crate::core::session_list::Ending;
use crate::store::{AuditFilter, SessionSummary};

/// A live session as the pages list it.
#[derive(Serialize)]
pub(super) struct SessionView {
    pub id: String,
    pub account: String,
    pub account_id: i64,
    pub dialect: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub created: String,
    pub last_seen: String,
}

impl From<&SessionSummary> for SessionView {
    fn from(s: &SessionSummary) -> Self {
        Self {
            id: s.public_id.clone(),
            account: s.account_name.clone(),
            account_id: s.account_id,
            dialect: s.dialect.clone(),
            client_ip: s.client_ip.clone(),
            user_agent: s.user_agent.clone(),
            created: when(s.created_at),
            last_seen: when(s.last_seen_at),
        }
    }
}

/// A refusal of the core as a page: an unknown account is 404, an invalid value 400, the
/// rest the server's failure.
/// The second factors an account has, as the user page names them: `TOTP, 2 passkeys`.
fn factors(status: &MfaStatus) -> String {
    let mut named = Vec::new();
    if status.totp_since.is_some() {
        named.push("TOTP".to_string());
    }
    match status.passkeys {
        0 => {}
        1 => named.push("1 passkey".into()),
        n => named.push(format!("{n} passkeys")),
    }
    named.join(", ")
}

pub(super) fn refused(state: &AdminState, error: &Error) -> Response {
    match error {
        Error::NoSuchAccount => state
            .pages
            .refusal(StatusCode::NOT_FOUND, "There is no such account."),
        Error::Invalid(_) => state.pages.refusal(
            StatusCode::BAD_REQUEST,
            "A role name is lower-case letters, digits and _ (at most 32), and neither \
             authenticated nor anonymous.",
        ),
        other => failure(&state.pages, other),
    }
}

/// The account `{id}` names, or the page that says there is none.
async fn account(state: &AdminState, admin: &Admin, id: &str) -> Result<Account, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(refused(state, &Error::NoSuchAccount));
    };
    state
        .app
        .core
        .account_for(&admin.session.account, id)
        .await
        .map_err(|e| refused(state, &e))
}

/// `GET /latch/admin/users/{id}`
pub(super) async fn show(
    State(state): State<AdminState>,
    admin: Admin,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let account = match account(&state, &admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let core = &state.app.core;
    let sessions = match core.sessions_of(&account).await {
        Ok(sessions) => sessions,
        Err(error) => return failure(&state.pages, &error),
    };
    let second_factor = match core.mfa_status(&account).await {
        Ok(status) => status,
        Err(error) => return failure(&state.pages, &error),
    };
    let filter = AuditFilter {
        account: Some(account.name.clone()),
        limit: 50,
        ..AuditFilter::default()
    };
    let events = match core.audit_events(&filter).await {
        Ok(events) => events,
        Err(error) => return failure(&state.pages, &error),
    };
    let notice = match get(&fields, "done") {
        Some("blocked") => Some("The account is blocked; its sessions have ended."),
        Some("unblocked") => Some("The account is active again."),
        Some("approved") => Some("The account was approved; its holder has been told."),
        Some("roles") => Some("The roles were saved."),
        Some("ended") => Some("Every session of the account has ended."),
        Some("reset") => Some("A password-reset link is on its way to the account's address."),
        Some("mfa-removed") => Some(
            "The second factor was removed: the account logs in with its password alone until \
             its holder enrols again.",
        ),
        Some("no-reset") => {
            Some("No link was sent: the account is not active or has no mail address.")
        }
        _ => None,
    };
    let extra_roles: Vec<&String> = account.roles.iter().collect();
    let context = context! {
        account => AccountView::new(&account, second_factor.enrolled()),
        factors => factors(&second_factor),
        recovery_codes_left => second_factor.recovery_codes_left,
        extra_roles => extra_roles,
        sessions => sessions.iter().map(SessionView::from).collect::<Vec<_>>(),
        events => events.iter().map(EventView::from).collect::<Vec<_>>(),
        notice => notice,
    };
    let title = format!("User {}", account.name);
    state.pages.render(
        StatusCode::OK,
        "user.html",
        admin.context("users", &title, context),
    )
}

/// `POST /latch/admin/users/{id}/state` with `action` block, unblock or approve.
pub(super) async fn set_state(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let account = match account(&state, &form.admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let (target, notice) = match form.field("action") {
        Some("block") => (AccountState::Blocked, "blocked"),
        Some("unblock") => (AccountState::Active, "unblocked"),
        Some("approve") if account.state == AccountState::Pending => {
            (AccountState::Active, "approved")
        }
        Some("approve") => {
            return state.pages.refusal(
                StatusCode::CONFLICT,
                &format!(
                    "{} is not awaiting approval (it is {}).",
                    account.name,
                    account.state.as_str()
                ),
            );
        }
        _ => {
            return state.pages.refusal(
                StatusCode::BAD_REQUEST,
                "The action must be block, unblock or approve.",
            );
        }
    };
    let core = &state.app.core;
    if let Err(error) = core
        .set_account_state_by(&account.name, target, &form.admin.client)
        .await
    {
        return refused(&state, &error);
    }
    if form.field("from") == Some("pending") {
        return done("/latch/admin/pending", notice);
    }
    done(&format!("/latch/admin/users/{}", account.id), notice)
}

/// `POST /latch/admin/users/{id}/roles` with `roles`, separated by spaces or commas.
pub(super) async fn set_roles(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let account = match account(&state, &form.admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let roles: Vec<String> = form
        .field("roles")
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|r| !r.is_empty() && *r != crate::domain::accounts::AUTHENTICATED)
        .map(str::to_string)
        .collect();
    let outcome = state
        .app
        .core
        .set_roles(&account.name, &roles, &form.admin.client)
        .await;
    back_to_user(&state, &account, outcome, |_| "roles")
}

/// `POST /latch/admin/users/{id}/sessions`: ends every session of the account.
pub(super) async fn end_sessions(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let account = match account(&state, &form.admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let outcome = state
        .app
        .core
        .end_sessions(&account, Ending::All, &form.admin.client)
        .await;
    back_to_user(&state, &account, outcome, |_| "ended")
}

/// `POST /latch/admin/users/{id}/reset`: mails the account a password-reset link.
pub(super) async fn send_reset(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let account = match account(&state, &form.admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let outcome = state
        .app
        .core
        .send_password_reset(&account.name, &form.admin.client)
        .await;
    back_to_user(&state, &account, outcome, |sent| {
        if sent { "reset" } else { "no-reset" }
    })
}

/// `POST /latch/admin/users/{id}/second-factor`: removes the account's second factor (for a
/// holder who lost both the authenticator and the recovery codes), as `latch user mfa-reset`.
pub(super) async fn remove_second_factor(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Response {
    let account = match account(&state, &form.admin, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let outcome = state.app.core.reset_mfa(&account, &form.admin.client).await;
    back_to_user(&state, &account, outcome, |_| "mfa-removed")
}

/// After an action on `account`: back to its page with the notice `outcome` calls for, or the
/// page saying why the action was refused.
fn back_to_user<T>(
    state: &AdminState,
    account: &Account,
    outcome: Result<T, Error>,
    notice: impl FnOnce(T) -> &'static str,
) -> Response {
    match outcome {
        Ok(value) => done(&format!("/latch/admin/users/{}", account.id), notice(value)),
        Err(error) => refused(state, &error),
    }
}
