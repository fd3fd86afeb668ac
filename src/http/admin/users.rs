//! The users page (search by name or mail with `?q=`, a page at a time) and the pending
//! approvals page.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::context;

use super::AdminState;
use super::guard::{Admin, get, query};
use super::page::{AccountView, failure};
use crate::core::accounts::AccountState;
use crate::store::AccountSearch;

/// Accounts per page.
const PAGE_SIZE: i64 = 50;

/// `GET /latch/admin/users?q=&state=&page=`
pub(super) async fn list(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let text = get(&fields, "q").map(str::to_string);
    let account_state = match get(&fields, "state") {
        None => None,
        Some(s) => match AccountState::parse(s) {
            Some(s) => Some(s),
            None => {
                return state.pages.refusal(
                    StatusCode::BAD_REQUEST,
                    "The state must be active, blocked or pending.",
                );
            }
        },
    };
    let page = match get(&fields, "page").map(str::parse::<i64>) {
        None => 1,
        Some(Ok(n)) if (1..=1_000_000).contains(&n) => n,
        Some(_) => {
            return state.pages.refusal(
                StatusCode::BAD_REQUEST,
                "The page must be a whole number from 1.",
            );
        }
    };
    let search = AccountSearch {
        text: text.clone(),
        state: account_state,
        offset: (page - 1) * PAGE_SIZE,
        // One more than shown tells whether there is a next page.
        limit: PAGE_SIZE + 1,
    };
    let mut accounts = match state.app.core.find_accounts(&search).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(&state.pages, &error),
    };
    let more = accounts.len() as i64 > PAGE_SIZE;
    accounts.truncate(PAGE_SIZE as usize);
    let rows: Vec<AccountView> = accounts
        .iter()
        .map(|found| AccountView::new(&found.account, found.second_factor))
        .collect();
    let link = |to: i64| {
        let mut pairs = vec![("page", to.to_string())];
        if let Some(q) = &text {
            pairs.insert(0, ("q", q.clone()));
        }
        if let Some(s) = account_state {
            pairs.insert(0, ("state", s.as_str().to_string()));
        }
        format!(
            "/latch/admin/users?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let context = context! {
        accounts => rows,
        q => text.clone().unwrap_or_default(),
        state_filter => account_state.map(AccountState::as_str).unwrap_or_default(),
        page => page,
        previous => (page > 1).then(|| link(page - 1)),
        next => more.then(|| link(page + 1)),
    };
    state.pages.render(
        StatusCode::OK,
        "users.html",
        admin.context("users", "Users", context),
    )
}

/// `GET /latch/admin/pending`: accounts awaiting approval, oldest first.
pub(super) async fn pending(State(state): State<AdminState>, admin: Admin, uri: Uri) -> Response {
    let fields = match query(&state, &uri) {
        Ok(fields) => fields,
        Err(page) => return *page,
    };
    let search = AccountSearch {
        state: Some(AccountState::Pending),
        limit: 500,
        ..AccountSearch::default()
    };
    let accounts = match state.app.core.find_accounts(&search).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(&state.pages, &error),
    };
    let rows: Vec<AccountView> = accounts
        .iter()
        .map(|found| AccountView::new(&found.account, found.second_factor))
        .collect();
    let notice = match get(&fields, "done") {
        Some("approved") => Some("The account was approved; its holder has been told."),
        _ => None,
    };
    let context = context! { accounts => rows, pending => true, notice => notice };
    state.pages.render(
        StatusCode::OK,
        "users.html",
        admin.context("pending", "Pending approvals", context),
    )
}
