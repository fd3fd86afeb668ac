//! Application tokens: every header form authenticates, a bad or revoked token is refused and
//! never falls back to the cookie, and `latch app` manages them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{new_client, spawn_app, spawn_app_with};
use crate::platformos_support::*;
use crate::process::latch_command;

/// Logs in with a cookie and returns the client; a DELETE without a CSRF token then succeeds
/// only if the application token vouches for it.
async fn logged_in_client(app: &crate::helpers::TestApp) -> reqwest::Client {
    let client = new_client();
    let response = log_in(app, &client, None, "example1@example.com", "somepassword").await;
    assert_eq!(response.status(), 201);
    client
}

#[tokio::test]
async fn every_authorization_form_authenticates_the_application() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let token = app_token(&app, "mobile").await;
    for header in [
        format!("Token token={token}"),
        format!("Token token=\"{token}\""),
        format!("Token {token}"),
        format!("Bearer {token}"),
    ] {
        let client = logged_in_client(&app).await;
        let response = client
            .delete(app.url("/api/sessions"))
            .header("Authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{header}");
    }
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_bad_token_is_refused_and_never_falls_back_to_the_cookie() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let real = app_token(&app, "mobile").await;
    let client = logged_in_client(&app).await;
    let forged = format!("{}x", &real[..real.len() - 1]);
    for header in [
        format!("Token token={forged}"),
        "Token token=".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
        format!("Bearer {}", &real[..20]),
    ] {
        let response = client
            .get(app.url("/api/sessions"))
            .header("Authorization", &header)
            .send()
            .await
            .unwrap();
        let (status, errors) = errors_of(response).await;
        assert_eq!(status, 401, "{header}");
        assert!(
            errors["base"][0]
                .as_str()
                .unwrap()
                .contains("latch app add"),
            "{errors}"
        );
    }
    // The cookie alone still works.
    assert_eq!(whoami(&app, &client).await.0, 200);
}

#[tokio::test]
async fn revoking_a_token_takes_effect_at_once() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let token = app_token(&app, "mobile").await;
    let client = new_client();
    let ok = log_in(
        &app,
        &client,
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(ok.status(), 201);
    app.core
        .revoke_app("mobile", &latch::core::audit::ClientContext::command_line())
        .await
        .unwrap();
    let refused = log_in(
        &app,
        &new_client(),
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(errors_of(refused).await.0, 401);
}

#[tokio::test]
async fn a_server_that_requires_tokens_refuses_requests_without_one() {
    let app = spawn_app_with(|c| c.platformos.require_app_token = true).await;
    app.create_account("example1", "somepassword", &[]).await;
    let without = log_in(
        &app,
        &new_client(),
        None,
        "example1@example.com",
        "somepassword",
    )
    .await;
    let (status, errors) = errors_of(without).await;
    assert_eq!(status, 401);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("Authorization: Token")
    );
    let token = app_token(&app, "mobile").await;
    let with = log_in(
        &app,
        &new_client(),
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(with.status(), 201);
}

#[tokio::test]
async fn the_app_commands_add_list_and_revoke_tokens() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let latch = |args: &[&str]| {
        let output = latch_command(app.dir.path())
            .arg("--database")
            .arg(&app.config.database_url)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        (output.status.success(), stdout, stderr)
    };
    let (ok, stdout, stderr) = latch(&["app", "add", "web shop"]);
    assert!(ok, "{stderr}");
    let token = stdout
        .lines()
        .find(|l| l.starts_with("latch_app_"))
        .expect("token line")
        .to_string();
    let (ok, _, stderr) = latch(&["app", "add", "web shop"]);
    assert!(!ok);
    assert!(stderr.contains("already exists"), "{stderr}");

    let (ok, listing, _) = latch(&["app", "list"]);
    assert!(ok);
    assert!(listing.contains("web shop"), "{listing}");
    assert!(listing.contains(&token[..14]), "{listing}");
    assert!(
        !listing.contains(&token),
        "the listing shows the whole token: {listing}"
    );
    // Only a hash is stored.
    let stored = app.strings("SELECT token_hash FROM apps").await;
    assert!(!stored.iter().any(|h| h.contains(&token[10..])));

    let response = log_in(
        &app,
        &new_client(),
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(response.status(), 201);
    let (ok, _, stderr) = latch(&["app", "revoke", "web shop"]);
    assert!(ok, "{stderr}");
    let response = log_in(
        &app,
        &new_client(),
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(errors_of(response).await.0, 401);
    let (ok, _, stderr) = latch(&["app", "revoke", "web shop"]);
    assert!(!ok);
    assert!(stderr.contains("no application"), "{stderr}");

    // Both are in the audit trail, which names the token only by its first characters.
    let (ok, trail, _) = latch(&["audit"]);
    assert!(ok);
    assert!(trail.contains("token_create"), "{trail}");
    assert!(trail.contains("token_revoke"), "{trail}");
    assert!(trail.contains("application web shop"), "{trail}");
    assert!(
        !trail.contains(&token[10..]),
        "the trail holds the token: {trail}"
    );
}

#[tokio::test]
async fn an_application_token_exempts_a_cookie_session_from_csrf_on_registration_too() {
    let app = spawn_app().await;
    app.create_account("admin", "somepassword", &["administrator"])
        .await;
    let token = app_token(&app, "back office").await;
    let client = new_client();
    let response = log_in(&app, &client, None, "admin@example.com", "somepassword").await;
    assert_eq!(response.status(), 201);
    let body =
        json!({"form_name": "user_create", "form": {"email": "new@example.com", "password": "pw"}});
    let refused = send(&app, &client, Method::POST, "/api/users", None, Some(&body)).await;
    assert_eq!(errors_of(refused).await.0, 403);
    let created = send(
        &app,
        &client,
        Method::POST,
        "/api/users",
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(created.status(), 201);
}
