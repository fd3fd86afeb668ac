//! Flood control: failed logins counted per client IP and per account in the database, in
//! both dialects, with Drupal's texts and statuses.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use reqwest::{Client, Response};
use serde_json::json;

use crate::helpers::{
    TestApp, body_json, message_of, new_client, spawn_app_with, spawn_with_config,
};
use crate::services_support::reason;

const USER_BLOCKED: &str =
    "Too many failed login attempts from your IP address. This IP address is temporarily blocked.";
const IP_BLOCKED: &str = "Access is blocked because of IP based flood prevention.";

/// A client whose requests come from another loopback address: another source IP.
fn client_from(last_octet: u8) -> Client {
    Client::builder()
        .cookie_store(true)
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .build()
        .unwrap()
}

async fn fail_logins(app: &TestApp, client: &Client, name: &str, times: usize) {
    for _ in 0..times {
        let response = app.login(client, name, "wrong password").await;
        assert_eq!(response.status(), 400, "{}", response.text().await.unwrap());
    }
}

fn retry_after(response: &Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .expect("Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_sixth_login_after_five_failures_is_refused_even_with_the_right_password() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("bob", "right password", &[]).await;
    let client = new_client();
    fail_logins(&app, &client, "bob", 5).await;
    let response = app.login(&client, "bob", "right password").await;
    assert_eq!(response.status(), 403);
    let seconds = retry_after(&response);
    assert!((1..=21_600).contains(&seconds), "{seconds}");
    assert_eq!(message_of(response).await, USER_BLOCKED);
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_holder_out() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("bob", "right password", &[]).await;
    let attacker = client_from(2);
    fail_logins(&app, &attacker, "bob", 5).await;
    let response = app.login(&attacker, "bob", "right password").await;
    assert_eq!(response.status(), 403);
    app.logged_in(&client_from(3), "bob", "right password")
        .await;
}

#[tokio::test]
async fn a_successful_login_clears_the_accounts_failures() {
    let app = spawn_app_with(|config| config.flood.user_limit = 3).await;
    app.create_account("bob", "right password", &[]).await;
    let client = new_client();
    fail_logins(&app, &client, "bob", 2).await;
    let body = app.logged_in(&client, "bob", "right password").await;
    let token = body["logout_token"].as_str().unwrap();
    assert_eq!(app.logout(&client, token).await.status(), 204);
    // Without the clearing, this would be the fourth failure of three allowed.
    fail_logins(&app, &client, "bob", 2).await;
    app.logged_in(&client, "bob", "right password").await;
}

#[tokio::test]
async fn too_many_failures_from_one_ip_block_it_for_every_name() {
    let app = spawn_app_with(|config| config.flood.ip_limit = 3).await;
    app.create_account("bob", "right password", &[]).await;
    let client = client_from(4);
    for name in ["nobody", "somebody", "bob"] {
        fail_logins(&app, &client, name, 1).await;
    }
    let response = app.login(&client, "bob", "right password").await;
    assert_eq!(response.status(), 403);
    assert!(retry_after(&response) <= 3600);
    assert_eq!(message_of(response).await, IP_BLOCKED);
    app.logged_in(&client_from(5), "bob", "right password")
        .await;
}

#[tokio::test]
async fn unknown_names_are_counted_like_accounts_under_a_key_that_hides_the_name() {
    let app = spawn_app_with(|config| config.flood.user_limit = 2).await;
    let client = new_client();
    fail_logins(&app, &client, "nobody", 2).await;
    let response = app.login(&client, "Nobody", "wrong password").await;
    assert_eq!(response.status(), 403);
    assert_eq!(message_of(response).await, USER_BLOCKED);
    let identifiers = app
        .strings(
            "SELECT DISTINCT identifier FROM flood_events WHERE event = 'user.failed_login_user'",
        )
        .await;
    assert_eq!(identifiers.len(), 1, "{identifiers:?}");
    assert!(
        identifiers[0].starts_with("name:") && identifiers[0].ends_with("-127.0.0.1"),
        "{identifiers:?}"
    );
    assert!(!identifiers[0].to_lowercase().contains("nobody"));
}

#[tokio::test]
async fn in_uid_only_mode_an_accounts_failures_count_from_every_ip() {
    let app = spawn_app_with(|config| {
        config.flood.uid_only = true;
        config.flood.user_limit = 3;
    })
    .await;
    let bob = app.create_account("bob", "right password", &[]).await;
    fail_logins(&app, &client_from(6), "bob", 2).await;
    fail_logins(&app, &client_from(7), "bob", 1).await;
    let response = app.login(&client_from(8), "bob", "right password").await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        message_of(response).await,
        "There have been more than 3 failed login attempts for this account. It is temporarily \
         blocked. Try again later or request a new password."
    );
    let identifiers = app
        .strings(
            "SELECT DISTINCT identifier FROM flood_events WHERE event = 'user.failed_login_user'",
        )
        .await;
    assert_eq!(identifiers, vec![bob.id.to_string()]);
}

#[tokio::test]
async fn the_block_lifts_when_the_window_passes_and_expired_events_are_purged() {
    let app = spawn_app_with(|config| {
        config.flood.user_limit = 2;
        // Long enough that the failures are still in the window when the third login comes,
        // even with the whole suite loading the machine.
        config.flood.user_window = Duration::from_secs(3);
        config.flood.ip_window = Duration::from_secs(3);
    })
    .await;
    app.create_account("bob", "right password", &[]).await;
    let client = new_client();
    fail_logins(&app, &client, "bob", 2).await;
    assert_eq!(
        app.login(&client, "bob", "right password").await.status(),
        403
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(app.core.purge_expired_flood_events().await.unwrap(), 4);
    assert_eq!(app.integers("SELECT COUNT(*) FROM flood_events").await, [0]);
    app.logged_in(&client, "bob", "right password").await;
}

#[tokio::test]
async fn flood_control_can_be_turned_off() {
    let app = spawn_app_with(|config| config.flood.enabled = false).await;
    app.create_account("bob", "right password", &[]).await;
    let client = new_client();
    fail_logins(&app, &client, "bob", 8).await;
    app.logged_in(&client, "bob", "right password").await;
    assert_eq!(app.integers("SELECT COUNT(*) FROM flood_events").await, [0]);
}

#[tokio::test]
async fn a_blocked_account_locks_like_any_other_name() {
    let app = spawn_app_with(|config| config.flood.user_limit = 1).await;
    app.create_account("bob", "right password", &[]).await;
    app.core
        .set_account_state("bob", latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    let client = new_client();
    fail_logins(&app, &client, "bob", 1).await;
    let response = app.login(&client, "bob", "right password").await;
    assert_eq!(response.status(), 403);
    assert_eq!(message_of(response).await, USER_BLOCKED);
}

#[tokio::test]
async fn failures_on_one_node_block_logins_on_another() {
    let first = spawn_app_with(|config| config.flood.user_limit = 2).await;
    first.create_account("bob", "right password", &[]).await;
    let client = new_client();
    fail_logins(&first, &client, "bob", 2).await;
    // A second server on the same database and secret: another node of the cluster.
    let second = spawn_with_config(first.config.clone(), tempfile::tempdir().unwrap()).await;
    let response = second.login(&client, "bob", "right password").await;
    assert_eq!(response.status(), 403);
    assert_eq!(message_of(response).await, USER_BLOCKED);
}

#[tokio::test]
async fn the_services_dialect_answers_406_with_the_modules_texts() {
    let app = spawn_app_with(|config| {
        config.flood.user_limit = 2;
        config.flood.ip_limit = 4;
    })
    .await;
    app.create_account("bob", "right password", &[]).await;
    let login = |name: &'static str, pass: &'static str| {
        let app = &app;
        async move {
            app.services(&new_client(), "user/login.json")
                .header("Content-Type", "application/json")
                .body(json!({"username": name, "password": pass}).to_string())
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(login("bob", "wrong").await.status(), 401);
    }
    let response = login("bob", "right password").await;
    assert_eq!(response.status(), 406);
    assert_eq!(
        reason(&response),
        "Not Acceptable : Account is temporarily blocked."
    );
    assert!(retry_after(&response) >= 1);
    assert_eq!(
        body_json(&response.text().await.unwrap()),
        json!(["Account is temporarily blocked."])
    );
    for _ in 0..2 {
        assert_eq!(login("nobody", "wrong").await.status(), 401);
    }
    let response = login("nobody", "wrong").await;
    assert_eq!(response.status(), 406);
    assert_eq!(
        reason(&response),
        "Not Acceptable : This IP address is temporarily blocked."
    );
}

#[tokio::test]
async fn the_django_dialect_answers_429_with_retry_after() {
    let app = spawn_app_with(|config| config.flood.user_limit = 2).await;
    app.create_account("bob", "right password", &[]).await;
    let login = |pass: &'static str| {
        let app = &app;
        async move {
            new_client()
                .post(app.url("/dj-rest-auth/login/"))
                .json(&json!({"username": "bob", "password": pass}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(login("wrong").await.status(), 400);
    }
    let response = login("right password").await;
    assert_eq!(response.status(), 429);
    let seconds = retry_after(&response);
    assert!(seconds >= 1);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(
        body["detail"],
        format!("Request was throttled. Expected available in {seconds} seconds.")
    );
}
