use latch::config::PasswordConfig;

use crate::helpers::{new_client, spawn_app, spawn_app_with, spawn_with_config};

#[tokio::test]
async fn accounts_are_hashed_with_argon2id_at_the_owasp_default_cost() {
    let app = spawn_app_with(|config| config.password = PasswordConfig::default()).await;
    let response = app
        .register_simple("bob", "bob@example.com", "a good password")
        .await;
    assert_eq!(response.status(), 200);
    let account = app.core.account_named("bob").await.unwrap();
    let hash = account.password_hash.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    app.logged_in(&new_client(), "bob", "a good password").await;
}

#[tokio::test]
async fn a_login_upgrades_a_hash_weaker_than_the_policy() {
    let weak = spawn_app().await;
    weak.create_account("bob", "secret", &[]).await;
    let before = weak
        .core
        .account_named("bob")
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(before.contains("m=1024,t=1"), "{before}");

    // A second server on the same database with a stronger policy.
    let mut config = weak.config.clone();
    config.password.argon2_memory_kib = 2048;
    config.password.argon2_iterations = 2;
    let strong = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    strong.logged_in(&new_client(), "bob", "secret").await;

    let after = strong
        .core
        .account_named("bob")
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(after.contains("m=2048,t=2"), "{after}");
    // The upgraded hash still verifies, on either server.
    weak.logged_in(&new_client(), "bob", "secret").await;
}

#[tokio::test]
async fn a_failed_login_leaves_the_stored_hash_alone() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let before = app.core.account_named("bob").await.unwrap().password_hash;
    let response = app.login(&new_client(), "bob", "wrong").await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        app.core.account_named("bob").await.unwrap().password_hash,
        before
    );
    assert_eq!(app.session_count().await, 0);
}
