//! Helpers of the admin console tests: an administrator's client, the CSRF token a page's
//! forms carry, and posting a form as a browser would.

use latch::core::accounts::AccountState;
use latch::core::{Registrar, Registration};
use latch::store::{AuditFilter, AuditRow};
use reqwest::{Client, Response};
use secrecy::SecretString;

use crate::helpers::{TestApp, new_client};

/// A client logged in as a new administrator `admin`.
pub async fn admin_client(app: &TestApp) -> Client {
    app.create_account("admin", "admin pass", &["administrator"])
        .await;
    let client = new_client();
    app.logged_in(&client, "admin", "admin pass").await;
    client
}

/// The page at `path`, with its status, asserting the console's security headers.
pub async fn page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_policy(&response);
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

pub fn assert_policy(response: &Response) {
    assert_eq!(
        response
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok()),
        Some("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        "{}",
        response.url()
    );
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// The token of the applications page, which always has a form.
pub async fn csrf(app: &TestApp, client: &Client) -> String {
    let (status, html) = page(app, client, "/latch/admin/apps").await;
    assert_eq!(status, 200, "{html}");
    csrf_of(&html)
}

/// `POST path` with the form `fields`, url-encoded as a browser sends it.
pub async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    let response = client
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_policy(&response);
    response
}

/// Where a 303 answer sends the browser.
pub fn location(response: &Response) -> String {
    assert_eq!(response.status(), 303, "{}", response.url());
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The newest audit events of `kind`.
pub async fn events(app: &TestApp, kind: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        kind: Some(kind.into()),
        limit: 100,
        ..AuditFilter::default()
    };
    app.core.audit_events(&filter).await.unwrap()
}

/// An account that registered and awaits approval.
pub async fn pending_account(app: &TestApp, name: &str) -> i64 {
    app.core
        .register(
            Registration {
                name: name.into(),
                mail: Some(format!("{name}@example.com")),
                password: Some(SecretString::from("pending pass".to_string())),
                state: Some(AccountState::Pending),
                ..Registration::default()
            },
            Registrar::Administrator { notify: false },
        )
        .await
        .unwrap()
        .id
}
