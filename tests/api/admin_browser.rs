//! The admin console in a real browser: headless Chromium driven through chromedriver, as
//! `django_browser` drives it. Logs in through the login page, searches, blocks a user (whose
//! session dies), approves a pending registration and retries a dead-lettered message, and
//! keeps screenshots of the main pages in `target/admin-screenshots/`.

use std::process::Command;

use base64::Engine;
use serde_json::json;

use crate::admin_support::pending_account;
use crate::django_browser::{Driver, ELEMENT};
use crate::helpers::{TestApp, new_client, skip, spawn_app};

/// Saves the page as `target/admin-screenshots/{name}.png`.
async fn screenshot(driver: &Driver, name: &str) {
    let png = driver.call("GET", "/screenshot", None).await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/admin-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
}

/// Waits for the page whose heading is `heading`.
async fn heading(driver: &Driver, heading: &str) {
    let text = driver.wait_for_text("h1", heading).await;
    assert_eq!(text, heading);
}

async fn notice(driver: &Driver, needle: &str) {
    let text = driver.wait_for_text(".notice", needle).await;
    assert!(text.contains(needle), "{text}");
}

/// Presses Tab; the text of the element that has the focus then.
async fn tab(driver: &Driver) -> String {
    let tab = "\u{E004}";
    let keys = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": tab}, {"type": "keyUp", "value": tab}
    ]}]});
    driver.call("POST", "/actions", Some(keys)).await;
    let active = driver.call("GET", "/element/active", None).await;
    let id = active[ELEMENT].as_str().unwrap();
    let text = driver
        .call("GET", &format!("/element/{id}/text"), None)
        .await;
    text.as_str().unwrap_or_default().to_string()
}

async fn seed(app: &TestApp) -> (i64, i64) {
    app.create_account("admin", "admin pass", &["administrator"])
        .await;
    for name in ["alice", "bob", "carol", "dave"] {
        app.create_account(name, "user pass", &[]).await;
    }
    app.create_account("editor", "user pass", &["editor"]).await;
    let newbie = pending_account(app, "newbie").await;
    app.execute(
        "INSERT INTO mail_outbox (kind, recipient, subject, body, created_at, next_attempt_at, \
         state, attempts, last_error) VALUES ('password_reset', 'gone@example.com', 'Hi', \
         'Body', 1, 1, 'dead', 5, '550 mailbox unavailable')"
            .into(),
    )
    .await;
    let dead = app
        .outbox()
        .await
        .iter()
        .find(|m| m.state == "dead")
        .unwrap()
        .id;
    (newbie, dead)
}

#[tokio::test]
async fn an_administrator_logs_in_searches_blocks_approves_and_retries_in_chromium() {
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip(
            "the admin console's browser test: no chromedriver (Debian: apt-get install \
             chromium chromium-driver)",
        );
    }
    let app = spawn_app().await;
    let (newbie, dead) = seed(&app).await;
    let bobs = new_client();
    app.logged_in(&bobs, "bob", "user pass").await;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path()).await;
    driver
        .call(
            "POST",
            "/window/rect",
            Some(json!({"width": 1280, "height": 860})),
        )
        .await;

    // To the login page and back.
    driver.open(&app.url("/latch/admin/users")).await;
    assert_eq!(driver.wait_for_title("Log in").await, "Log in");
    driver.type_into("#id_username", "admin").await;
    driver.type_into("#id_password", "admin pass").await;
    driver.click("#login-submit").await;
    heading(&driver, "Users").await;
    screenshot(&driver, "users").await;

    // The keyboard reaches the skip link first, then the sections.
    for expected in ["Skip to content", "Users", "Pending approvals"] {
        assert_eq!(tab(&driver).await, expected);
    }

    // Search, and open the user's page.
    driver.type_into("#q", "bo").await;
    driver.click("form.filters button").await;
    let table = driver.wait_for_text("caption", "page 1").await;
    assert!(table.contains("page 1"));
    // The list before the search also holds bob: wait until the searched page has replaced
    // it (reading through the old page's elements would find them gone).
    let mut rows = String::new();
    for _ in 0..50 {
        rows = driver.wait_for_text("tbody", "bob").await;
        if !rows.contains("alice") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(rows.contains("bob") && !rows.contains("alice"), "{rows}");
    driver.click("tbody a").await;
    heading(&driver, "User bob").await;

    // Block: bob's own session dies.
    assert_eq!(app.login_status(&bobs).await, "1");
    driver.click("button[value=block]").await;
    notice(&driver, "blocked").await;
    screenshot(&driver, "user").await;
    assert_eq!(app.login_status(&bobs).await, "0");

    // Approve the pending registration.
    driver.open(&app.url("/latch/admin/pending")).await;
    heading(&driver, "Pending approvals").await;
    screenshot(&driver, "pending").await;
    driver.click("button[value=approve]").await;
    notice(&driver, "approved").await;
    let approved = app.core.account_named("newbie").await.unwrap();
    assert_eq!(approved.id, newbie);
    assert!(approved.is_active());

    // Retry the dead-lettered message.
    driver.open(&app.url("/latch/admin/outbox")).await;
    heading(&driver, "Outbox").await;
    screenshot(&driver, "outbox").await;
    driver
        .click(&format!("button[aria-label='Retry message {dead}']"))
        .await;
    notice(&driver, "queued").await;
    let message = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.id == dead)
        .unwrap();
    assert_ne!(message.state, "dead");

    for (path, title, name) in [
        ("/latch/admin/sessions", "Live sessions", "sessions"),
        ("/latch/admin/apps", "Applications", "apps"),
        ("/latch/admin/audit", "Audit trail", "audit"),
    ] {
        driver.open(&app.url(path)).await;
        heading(&driver, title).await;
        screenshot(&driver, name).await;
    }
    let audit = driver.text("tbody").await;
    assert!(
        audit.contains("account_block") && audit.contains("mail_retry"),
        "{audit}"
    );
    driver.quit().await;
}
