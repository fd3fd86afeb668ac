//! `latch copy`: moving a SQLite deployment to another database (PostgreSQL in the
//! PostgreSQL pass) keeps accounts, roles, sessions, queued mail and application tokens.

use serde_json::json;

use crate::helpers::{TestApp, TestDatabase, new_client, spawn_with_config, test_config};
use crate::process::latch_command;

async fn sqlite_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.database_url = format!("sqlite://{}", dir.path().join("source.db").display());
    // Reset mails carry an HTML part, which the copy must keep.
    config.mail.templates.insert(
        "password_reset".into(),
        latch::config::TemplateConfig {
            html: Some("<p>Reset: <a href=\"{link}\">{link}</a></p>".into()),
            ..Default::default()
        },
    );
    spawn_with_config(config, dir).await
}

fn copy(source: &TestApp, target: &str) -> std::process::Output {
    latch_command(source.dir.path())
        .args([
            "copy",
            "--database",
            &source.config.database_url,
            "--to",
            target,
        ])
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_copied_deployment_keeps_its_accounts_roles_sessions_mail_and_apps() {
    let source = sqlite_app().await;
    source
        .create_account("admin", "admin-pw", &["administrator"])
        .await;
    source.create_account("bob", "bob-pw", &[]).await;
    let client = new_client();
    source.logged_in(&client, "bob", "bob-pw").await;
    let reset = new_client()
        .post(source.url("/user/password?_format=json"))
        .body(json!({"name": "bob"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let app_token = source
        .core
        .add_app("mobile", &latch::core::audit::ClientContext::command_line())
        .await
        .unwrap()
        .token;

    let target_dir = tempfile::tempdir().unwrap();
    let target = TestDatabase::create(target_dir.path());
    let output = copy(&source, &target.url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Copied 2 accounts, 1 sessions, 1 queued messages and 1 applications"),
        "{stdout}"
    );

    // The same secret on the new database: the old session cookie still works there.
    let mut config = source.config.clone();
    config.database_url = target.url.clone();
    let moved = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    let status = client
        .get(moved.url("/user/login_status?_format=json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "1", "the session moved with the data");
    let admin = moved.logged_in(&new_client(), "admin", "admin-pw").await;
    assert_eq!(
        admin["current_user"]["roles"],
        json!(["authenticated", "administrator"])
    );
    let outbox = moved.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert!(
        outbox[0]
            .html_body
            .as_deref()
            .is_some_and(|h| h.contains("/user/reset/"))
    );

    // The application's token works against the new database.
    let response = new_client()
        .get(moved.url("/api/sessions"))
        .header("Authorization", format!("Token token={app_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("not logged in"),
        "the token was refused: {text}"
    );
    assert_eq!(
        moved
            .core
            .add_app("web", &latch::core::audit::ClientContext::command_line())
            .await
            .unwrap()
            .app
            .id,
        2
    );

    // New rows continue after the copied ids.
    let response = moved
        .register_simple("carol", "carol@example.com", "carol-pw")
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["uid"][0]["value"], 3);
}

#[tokio::test]
async fn copying_into_a_database_that_has_accounts_is_refused_and_changes_nothing() {
    let source = sqlite_app().await;
    source.create_account("bob", "bob-pw", &[]).await;
    let target_dir = tempfile::tempdir().unwrap();
    let target = TestDatabase::create(target_dir.path());
    assert!(copy(&source, &target.url).status.success());

    source.create_account("carol", "carol-pw", &[]).await;
    let again = copy(&source, &target.url);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds accounts"), "{stderr}");
    let mut config = source.config.clone();
    config.database_url = target.url.clone();
    let moved = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    assert_eq!(moved.account_count().await, 1);
}
