//! Trickle migration from a live Drupal 8+ site: a second latch speaking Drupal plays the
//! legacy site. Logins latch cannot check itself are put to it; what it accepts comes over.

use std::time::{Duration, Instant};

use latch::config::LegacyDialect;

use crate::helpers::{new_client, spawn_app};
use crate::legacy_support::{
    drupal_login, events, import_without_hash, latch_before, latch_before_with,
    native_login_by_mail, stored_hash,
};
use crate::process::latch;

#[tokio::test]
async fn an_account_latch_lacks_comes_over_from_drupal_at_its_first_login() {
    let legacy = spawn_app().await;
    // Drupal shows an account its roles only if it may administer users.
    let roles = ["administrator", "editor"];
    legacy.create_account("dora", "old site pw", &roles).await;
    let app = latch_before(&legacy.address, LegacyDialect::Drupal).await;

    let (status, body) = drupal_login(&app, "dora", "old site pw").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current_user"]["name"], "dora");
    let account = app.core.store().account_by_name("dora").await.unwrap();
    let account = account.expect("the account was created");
    assert_eq!(account.mail.as_deref(), Some("dora@example.com"));
    assert_eq!(account.roles, roles);
    let hash = account.password_hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(events(&app, "legacy_migrate").await, 1);
    // The legacy session it opened to read the account was logged out again.
    assert_eq!(legacy.session_count().await, 0);
    assert_eq!(events(&legacy, "logout").await, 1);

    // From now on latch checks the password itself: the legacy site is not asked again.
    let (status, _) = drupal_login(&app, "dora", "old site pw").await;
    assert_eq!(status, 200);
    assert_eq!(events(&legacy, "login").await, 1);
    assert_eq!(events(&app, "legacy_migrate").await, 1);
}

#[tokio::test]
async fn a_wrong_password_gets_the_usual_answer_and_creates_nothing() {
    let legacy = spawn_app().await;
    legacy.create_account("dora", "old site pw", &[]).await;
    let app = latch_before(&legacy.address, LegacyDialect::Drupal).await;
    let plain = spawn_app().await;

    let wrong = drupal_login(&app, "dora", "guess").await;
    let unknown = drupal_login(&plain, "dora", "guess").await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.0, 400);
    assert_eq!(app.account_count().await, 0);
    assert_eq!(events(&legacy, "login_failed").await, 1);
    assert_eq!(events(&app, "login_failed").await, 1);
    assert_eq!(events(&app, "legacy_migrate").await, 0);
}

#[tokio::test]
async fn an_account_with_a_usable_hash_is_never_put_to_the_legacy_site() {
    let legacy = spawn_app().await;
    legacy.create_account("bob", "legacy pw", &[]).await;
    let app = latch_before(&legacy.address, LegacyDialect::Drupal).await;
    app.create_account("bob", "latch pw", &[]).await;

    let (status, _) = drupal_login(&app, "bob", "legacy pw").await;
    assert_eq!(status, 400);
    assert_eq!(events(&legacy, "login").await, 0);
    assert_eq!(events(&legacy, "login_failed").await, 0);
    assert_eq!(drupal_login(&app, "bob", "latch pw").await.0, 200);
}

#[tokio::test]
async fn an_account_imported_without_a_hash_is_completed_and_counted() {
    let legacy = spawn_app().await;
    legacy.create_account("ivy", "ivy's pw", &[]).await;
    let app = latch_before(&legacy.address, LegacyDialect::Drupal).await;
    import_without_hash(&app, "ivy").await;
    import_without_hash(&app, "jon").await;
    let counts = app.core.legacy_counts().await.unwrap();
    assert_eq!((counts.migrated, counts.remaining), (0, 2));

    let (status, body) = drupal_login(&app, "ivy", "ivy's pw").await;
    assert_eq!(status, 200, "{body}");
    let hash = stored_hash(&app, "ivy").await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let counts = app.core.legacy_counts().await.unwrap();
    assert_eq!((counts.migrated, counts.remaining), (1, 1));

    let (ok, stdout, stderr) = latch(&app, &["legacy", "status"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("migrated:    1"), "{stdout}");
    assert!(stdout.contains("remaining:   1"), "{stdout}");
}

#[tokio::test]
async fn a_login_by_mail_comes_over_when_the_legacy_site_takes_mail() {
    // latch's own Drupal dialect logs in by name only, so a mail login goes nowhere there.
    let legacy = spawn_app().await;
    legacy.create_account("eve", "eve's pw", &[]).await;
    let app = latch_before(&legacy.address, LegacyDialect::Drupal).await;
    import_without_hash(&app, "eve").await;

    assert_eq!(
        native_login_by_mail(&app, "eve@example.com", "eve's pw").await,
        401
    );
    assert_eq!(stored_hash(&app, "eve").await, Some(None));
    // By name, the imported account is completed.
    assert_eq!(drupal_login(&app, "eve", "eve's pw").await.0, 200);
    assert_eq!(
        native_login_by_mail(&app, "eve@example.com", "eve's pw").await,
        200
    );
}

#[tokio::test]
async fn flood_control_refuses_before_the_legacy_site_is_asked() {
    let legacy = spawn_app().await;
    legacy.create_account("fred", "fred's pw", &[]).await;
    let app = latch_before_with(&legacy.address, LegacyDialect::Drupal, |c| {
        c.flood.user_limit = 2;
    })
    .await;

    for _ in 0..2 {
        assert_eq!(drupal_login(&app, "fred", "wrong").await.0, 400);
    }
    let (status, _) = drupal_login(&app, "fred", "fred's pw").await;
    assert_eq!(status, 403);
    assert_eq!(events(&legacy, "login_failed").await, 2);
    assert_eq!(events(&legacy, "login").await, 0);
    assert_eq!(app.account_count().await, 0);
}

/// A port nothing listens on any more.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_legacy_site_that_is_down_fails_the_login_as_a_wrong_password() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let app = latch_before(&url, LegacyDialect::Drupal).await;
    let plain = spawn_app().await;

    let answer = drupal_login(&app, "dora", "old site pw").await;
    assert_eq!(answer, drupal_login(&plain, "dora", "old site pw").await);
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn a_legacy_site_that_never_answers_fails_the_login_within_the_time_limit() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    // Accepts connections and holds them, answering nothing.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let app = latch_before_with(&url, LegacyDialect::Drupal, |c| {
        c.legacy.timeout = Duration::from_millis(500);
    })
    .await;

    let started = Instant::now();
    let response = app.login(&new_client(), "dora", "old site pw").await;
    let took = started.elapsed();
    assert_eq!(response.status(), 400);
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(app.account_count().await, 0);
    holder.abort();
}
