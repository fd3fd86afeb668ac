//! Helpers for the trickle-migration tests: a latch that passes logins it cannot check on to
//! a legacy site, and what each side recorded.

use std::time::Duration;

use latch::config::LegacyDialect;
use latch::store::ImportRow;
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client, spawn_app_with};

/// latch with `[legacy]` naming `url`, speaking `dialect`.
pub async fn latch_before(url: &str, dialect: LegacyDialect) -> TestApp {
    latch_before_with(url, dialect, |_| {}).await
}

pub async fn latch_before_with(
    url: &str,
    dialect: LegacyDialect,
    adjust: impl FnOnce(&mut latch::config::Config),
) -> TestApp {
    let url = url.to_string();
    spawn_app_with(move |c| {
        c.legacy.url = url;
        c.legacy.dialect = dialect;
        c.legacy.timeout = Duration::from_secs(3);
        adjust(c);
    })
    .await
}

/// Imports `name` (mail `name@example.com`) without a password hash, as a user list would.
pub async fn import_without_hash(app: &TestApp, name: &str) {
    let row = ImportRow {
        name: name.into(),
        mail: Some(format!("{name}@example.com")),
        password_hash: None,
        roles: Vec::new(),
        state: latch::core::accounts::AccountState::Active,
        created_at: 0,
        access_at: 0,
        login_at: 0,
    };
    app.core
        .import_accounts(&[row], latch::core::Existing::Skip, false)
        .await
        .expect("import");
}

/// `POST /user/login?_format=json` on `app` with a fresh client: status and body.
pub async fn drupal_login(app: &TestApp, name: &str, pass: &str) -> (u16, Value) {
    let response = app.login(&new_client(), name, pass).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `POST /latch/login` by mail address: the status.
pub async fn native_login_by_mail(app: &TestApp, mail: &str, pass: &str) -> u16 {
    new_client()
        .post(app.url("/latch/login"))
        .json(&json!({"mail": mail, "password": pass}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// How many audit events of `kind` `app` recorded.
pub async fn events(app: &TestApp, kind: &str) -> i64 {
    let rows = app
        .core
        .store()
        .audit_events(&latch::store::AuditFilter {
            kind: Some(kind.to_string()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    rows.iter().map(|r| r.repeats.max(1)).sum()
}

/// The stored password hash of `name`, if the account exists.
pub async fn stored_hash(app: &TestApp, name: &str) -> Option<Option<String>> {
    let account = app.core.store().account_by_name(name).await.unwrap()?;
    Some(account.password_hash)
}
