//! `latch copy`: moving a SQLite deployment to another database (PostgreSQL in the
//! PostgreSQL pass) keeps every table: accounts, roles, sessions, mail, application tokens,
//! flood counts, the audit trail, the secret's fingerprint, the token signing keys and second
//! factors.

use std::collections::BTreeMap;

use latch::store::AuditFilter;
use serde_json::json;

use crate::helpers::{
    TestApp, TestDatabase, new_client, spawn_app, spawn_with_config, test_config,
};
use crate::process::{free_port, latch_command};

async fn sqlite_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.database_url = format!("sqlite://{}", dir.path().join("source.db").display());
    // Mail stays queued (the SMTP port is closed), so its text is still there to be copied.
    config.mail.smtp.host = "127.0.0.1".into();
    config.mail.smtp.port = free_port();
    config.mail.smtp.tls = latch::config::SmtpTls::None;
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

/// The rows per table a copy reported.
fn copied_rows(stdout: &str) -> BTreeMap<String, usize> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let table = words.next()?.to_string();
            let rows = words.next()?.parse().ok()?;
            (words.next() == Some("rows")).then_some((table, rows))
        })
        .collect()
}

async fn audit_count(app: &TestApp) -> usize {
    let filter = AuditFilter {
        limit: 1000,
        ..Default::default()
    };
    app.core.audit_events(&filter).await.unwrap().len()
}

#[tokio::test]
async fn a_copied_deployment_keeps_every_table_and_reports_each() {
    let source = sqlite_app().await;
    source
        .create_account("admin", "admin-pw", &["administrator"])
        .await;
    source.create_account("bob", "bob-pw", &[]).await;
    let client = new_client();
    source.logged_in(&client, "bob", "bob-pw").await;
    assert_eq!(
        source.login(&new_client(), "bob", "wrong").await.status(),
        400
    );
    let reset = new_client()
        .post(source.url("/user/password?_format=json"))
        .body(json!({"name": "bob"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    // Added by an administrator in the console: the audit row names them (`actor`).
    let admin = source.core.account_named("admin").await.unwrap();
    let console = latch::core::audit::ClientContext::default().acting_as(&admin);
    let app_token = source.core.add_app("mobile", &console).await.unwrap().token;
    let bob = source.core.account_named("bob").await.unwrap();
    let personal_token = source
        .core
        .create_access_token(
            &bob,
            &latch::core::access_tokens::TokenRequest {
                name: "script".into(),
                ..Default::default()
            },
            &latch::core::audit::ClientContext::command_line(),
        )
        .await
        .unwrap()
        .secret;
    let signing_keys = source.core.published_keys().await.unwrap();
    // Bob turns on a second factor and starts a login that waits for it.
    let command_line = latch::core::audit::ClientContext::command_line();
    let enrolment = source.core.start_totp(&bob).await.unwrap();
    let secret = latch::core::totp::base32_decode(&enrolment.secret).unwrap();
    let step = latch::core::totp::step_at(latch::core::now());
    let code = latch::core::totp::code_at(&secret, step);
    let recovery_codes = source
        .core
        .confirm_totp(&bob, &code, &command_line)
        .await
        .unwrap();
    let password = secrecy::SecretString::from("bob-pw".to_string());
    let login = latch::core::LoginName::Name("bob");
    let latch::core::LoginStep::SecondFactor(pending) = source
        .core
        .begin_login(login, &password, &command_line)
        .await
        .unwrap()
    else {
        panic!("bob's login must wait for the second factor");
    };

    let target_dir = tempfile::tempdir().unwrap();
    let target = TestDatabase::create(target_dir.path());
    let output = copy(&source, &target.url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let audited = audit_count(&source).await;
    let expected: BTreeMap<String, usize> = [
        ("accounts", 2),
        ("account_roles", 1),
        ("sessions", 1),
        ("access_tokens", 1),
        ("webhook_outbox", 0),
        ("mail_outbox", 1),
        ("apps", 1),
        // The failed login's and the reset request's, each per IP and per account.
        ("flood_events", 4),
        ("audit_events", audited),
        ("secret_fingerprint", 1),
        ("signing_keys", 1),
        ("mfa_totp", 1),
        ("mfa_recovery_codes", recovery_codes.len()),
        ("mfa_pending_logins", 1),
        ("mfa_passkeys", 0),
        ("mfa_passkey_ceremonies", 0),
        ("legacy_migrations", 0),
    ]
    .into_iter()
    .map(|(table, rows)| (table.to_string(), rows))
    .collect();
    assert_eq!(copied_rows(&stdout), expected, "{stdout}");

    // The same secret on the new database: the old session cookie still works there.
    let mut config = source.config.clone();
    config.database_url = target.url.clone();
    let moved = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    assert_eq!(audit_count(&moved).await, audited, "the audit trail moved");
    let filter = AuditFilter {
        kind: Some("token_create".into()),
        limit: 10,
        ..Default::default()
    };
    let created = moved.core.audit_events(&filter).await.unwrap();
    assert!(
        created.iter().any(|e| e.actor.as_deref() == Some("admin")),
        "the acting administrator moved: {created:?}"
    );
    let moved_keys = moved.core.published_keys().await.unwrap();
    assert_eq!(
        moved_keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
        signing_keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
        "the moved deployment signs tokens with the same key"
    );
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

    // Bob's second factor and waiting login moved too.
    let finished = moved
        .core
        .finish_login(&pending.token, &recovery_codes[0], &command_line)
        .await;
    assert!(finished.is_ok(), "{finished:?}");

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
    // So does bob's personal access token.
    let response = new_client()
        .get(moved.url("/latch/whoami"))
        .header("Authorization", format!("Bearer {personal_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the personal access token moved");
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
    assert!(stderr.contains("empty database"), "{stderr}");
    let mut config = source.config.clone();
    config.database_url = target.url.clone();
    let moved = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    assert_eq!(moved.account_count().await, 1);
}

#[tokio::test]
async fn copy_carries_every_table_and_column_of_the_schema() {
    let app = spawn_app().await;
    assert_eq!(
        app.core.store().uncopied_columns().await.unwrap(),
        Vec::<String>::new(),
        "add the new table or column to the list in src/store/copy.rs"
    );
}

#[tokio::test]
async fn a_table_copy_does_not_know_stops_the_copy() {
    let source = sqlite_app().await;
    source.create_account("bob", "bob-pw", &[]).await;
    if let latch::store::Store::Sqlite(pool) = source.core.store() {
        sqlx::query("CREATE TABLE badges (account_id BIGINT, badge TEXT)")
            .execute(pool)
            .await
            .unwrap();
    }
    let target_dir = tempfile::tempdir().unwrap();
    let target = TestDatabase::create(target_dir.path());
    let output = copy(&source, &target.url);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("badges.account_id, badges.badge"),
        "{stderr}"
    );
}
