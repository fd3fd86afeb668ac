//! The current-password check before a change of mail or password is flood-controlled like a
//! login: a wrong current password counts as a failed login of the account, and past the
//! limit the change is refused with the dialect's flood answer, even with the right password,
//! so a stolen session cannot be used to guess the password.

use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::django_support::{cookie_value, rest};
use crate::helpers::{self, TestApp, message_of, new_client, spawn_app_with};
use crate::platformos_support::{login_body, request};

const USER_BLOCKED: &str =
    "Too many failed login attempts from your IP address. This IP address is temporarily blocked.";

async fn app() -> TestApp {
    let app = spawn_app_with(|c| c.flood.user_limit = 3).await;
    app.create_account("bob", "right password", &[]).await;
    app
}

async fn drupal_patch(
    app: &TestApp,
    client: &Client,
    token: &str,
    uid: i64,
    existing: &str,
) -> u16 {
    // A new address each time: an unchanged one would need no proof.
    let mail = format!("bob{}@example.com", helpers::rand_u128());
    let body = json!({
        "mail": [{"value": mail}],
        "pass": [{"existing": existing}],
    });
    app.patch_user(client, token, uid, &body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn wrong_current_passwords_on_drupals_user_entity_lock_the_change_and_the_login() {
    let app = app().await;
    let bob = app.core.account_named("bob").await.unwrap();
    let client = new_client();
    let login = app.logged_in(&client, "bob", "right password").await;
    let token = login["csrf_token"].as_str().unwrap().to_string();
    for _ in 0..3 {
        assert_eq!(
            drupal_patch(&app, &client, &token, bob.id, "wrong").await,
            422
        );
    }
    let response = client
        .patch(app.url(&format!("/user/{}?_format=json", bob.id)))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &token)
        .body(
            json!({"mail": [{"value": "robert@example.com"}],
                   "pass": [{"existing": "right password"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(message_of(response).await, USER_BLOCKED);
    let account = app.core.account_named("bob").await.unwrap();
    assert_eq!(account.mail.as_deref(), Some("bob@example.com"));
    // The same count guards the login.
    let response = app.login(&new_client(), "bob", "right password").await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_right_current_password_clears_the_failures_as_a_login_does() {
    let app = app().await;
    let bob = app.core.account_named("bob").await.unwrap();
    let client = new_client();
    let login = app.logged_in(&client, "bob", "right password").await;
    let token = login["csrf_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        assert_eq!(
            drupal_patch(&app, &client, &token, bob.id, "wrong").await,
            422
        );
    }
    assert_eq!(
        drupal_patch(&app, &client, &token, bob.id, "right password").await,
        200
    );
    // Without the clearing, the second of these would be the fourth failure of three.
    for _ in 0..2 {
        assert_eq!(
            drupal_patch(&app, &client, &token, bob.id, "wrong").await,
            422
        );
    }
}

async fn django_change(app: &TestApp, client: &Client, token: &str, old: &str) -> (u16, Value) {
    let body =
        json!({"old_password": old, "new_password1": "n3w pass", "new_password2": "n3w pass"});
    let response = rest(
        app,
        client,
        Method::POST,
        "password/change/",
        Some(&body),
        Some(token),
    )
    .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn wrong_old_passwords_on_dj_rest_auths_password_change_are_throttled() {
    let app = app().await;
    let before = app.core.account_named("bob").await.unwrap().password_hash;
    let client = new_client();
    let response = rest(
        &app,
        &client,
        Method::POST,
        "login/",
        Some(&json!({"username": "bob", "password": "right password"})),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let token = cookie_value(response.headers(), "csrftoken").expect("csrftoken");
    for _ in 0..3 {
        assert_eq!(django_change(&app, &client, &token, "wrong").await.0, 400);
    }
    let (status, body) = django_change(&app, &client, &token, "right password").await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Request was throttled."),
        "{body}"
    );
    let after = app.core.account_named("bob").await.unwrap().password_hash;
    assert_eq!(after, before, "the password changed");
}

#[tokio::test]
async fn wrong_current_passwords_on_platformos_user_updates_are_throttled() {
    let app = app().await;
    let bob = app.core.account_named("bob").await.unwrap();
    let client = Client::new();
    let login = request(
        &app,
        &client,
        Method::POST,
        "/api/sessions?session_token=true",
        None,
        Some(&login_body("bob@example.com", "right password")),
    )
    .send()
    .await
    .unwrap();
    let session = login.headers()["x-session-token"]
        .to_str()
        .unwrap()
        .to_string();
    let put = |current: &str| {
        let form = json!({"email": "robert@example.com", "current_password": current});
        let body = json!({"form_name": "reference_rest_api_update_users", "form": form});
        request(
            &app,
            &client,
            Method::PUT,
            &format!("/api/users/{}", bob.id),
            None,
            Some(&body),
        )
        .header("X-Session-Token", session.clone())
        .send()
    };
    for _ in 0..3 {
        assert_eq!(put("wrong").await.unwrap().status(), 422);
    }
    let response = put("right password").await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}
