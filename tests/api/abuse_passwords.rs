//! The password policy over HTTP: a minimum length and no common passwords, worded in each
//! dialect's own error format, on every route that sets a password.

use latch::config::PasswordConfig;
use serde_json::json;

use crate::django_support::{cookie_value, rest, status_json};
use crate::helpers::{TestApp, body_json, new_client, spawn_app_with};
use crate::services_support::Encoding;

async fn strict_app() -> TestApp {
    spawn_app_with(|config| {
        config.password = PasswordConfig {
            min_length: 10,
            reject_common: true,
            ..config.password.clone()
        }
    })
    .await
}

#[tokio::test]
async fn drupal_registration_refuses_short_and_common_passwords() {
    let app = strict_app().await;
    for (pass, line) in [
        (
            "short",
            "pass: The password must be at least 10 characters long.",
        ),
        (
            "password123",
            "pass: The password is one of the most common passwords. Choose another.",
        ),
    ] {
        let response = app.register_simple("bob", "bob@example.com", pass).await;
        assert_eq!(response.status(), 422);
        let body = body_json(&response.text().await.unwrap());
        assert_eq!(
            body["message"],
            format!("Unprocessable Entity: validation failed.\n{line}\n")
        );
    }
    assert_eq!(app.account_count().await, 0);
    let fine = app
        .register_simple("bob", "bob@example.com", "a long unusual one")
        .await;
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn services_registration_words_the_policy_as_form_errors() {
    let app = strict_app().await;
    let answer = app
        .services_post(
            "user/register",
            &json!({"name": "bob", "mail": "bob@example.com", "pass": "qwertyuiop"}),
            Encoding::Multipart,
            None,
            None,
        )
        .await;
    assert_eq!(answer.status, 406, "{answer:?}");
    assert_eq!(
        answer.json()["form_errors"]["pass"],
        "The password is one of the most common passwords. Choose another."
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn django_registration_and_password_change_use_djangos_validator_texts() {
    let app = strict_app().await;
    let client = new_client();
    let body = json!({"username": "bob", "email": "bob@example.com",
        "password1": "tiny", "password2": "tiny"});
    let post = reqwest::Method::POST;
    let answer = status_json(
        rest(
            &app,
            &client,
            post.clone(),
            "registration/",
            Some(&body),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"password1": ["This password is too short. It must contain at least 10 characters."]})
        )
    );

    app.create_account("carol", "an old long password", &[])
        .await;
    let client = new_client();
    let login = json!({"username": "carol", "password": "an old long password"});
    let response = rest(&app, &client, post.clone(), "login/", Some(&login), None).await;
    assert_eq!(response.status(), 204);
    let token = cookie_value(response.headers(), "csrftoken").expect("csrftoken");
    let change = json!({"old_password": "an old long password",
        "new_password1": "iloveyou12", "new_password2": "iloveyou12"});
    let answer = status_json(
        rest(
            &app,
            &client,
            post,
            "password/change/",
            Some(&change),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"new_password2": ["This password is too common."]})
        )
    );
    app.logged_in(&new_client(), "carol", "an old long password")
        .await;
}

#[tokio::test]
async fn the_operators_command_line_may_choose_any_password_but_an_empty_one() {
    let app = strict_app().await;
    app.create_account("dave", "short", &[]).await;
    let core = &app.core;
    core.set_password("dave", &"1234567890".to_string().into())
        .await
        .unwrap();
    app.logged_in(&new_client(), "dave", "1234567890").await;
    assert!(
        core.set_password("dave", &String::new().into())
            .await
            .is_err()
    );
}
