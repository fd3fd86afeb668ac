//! The seed flow (`shared/seeds/003_45435750fac956e8.txt`): GET the login URL for a `csrftoken` cookie, then
//! POST the credentials with that token, in every encoding Postman and SPAs use.

use reqwest::Client;
use serde_json::json;

use crate::django_support::*;
use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with};

async fn app_with_bench() -> TestApp {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

/// Asserts a successful login answer: the account, a new session cookie and a rotated
/// `csrftoken`; returns the new token.
async fn assert_logged_in(
    app: &TestApp,
    client: &Client,
    response: reqwest::Response,
    old: &str,
) -> String {
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let session = set_cookie(&headers, "sessionid").expect("sessionid cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let new_token = cookie_value(&headers, "csrftoken").expect("rotated csrftoken");
    assert_eq!(new_token.len(), 32);
    assert_ne!(new_token, old);
    let (_, body) = status_json(response).await;
    assert_eq!(body["username"], "bench");
    assert_eq!(body["email"], "bench@example.com");
    assert!(body["id"].is_i64());
    assert_eq!(app.login_status(client).await, "1");
    new_token
}

#[tokio::test]
async fn get_without_credentials_sets_a_csrftoken_cookie_as_django_does() {
    let app = spawn_app().await;
    let response = new_client().get(app.url(LOGIN)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(response.headers(), "csrftoken").unwrap();
    assert!(
        cookie.contains("Max-Age=31449600") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        cookie.contains("SameSite=Lax") && !cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(response.headers()["vary"], "Cookie");
    let value = cookie_value(response.headers(), "csrftoken").unwrap();
    assert_eq!(value.len(), 32);
    assert!(value.chars().all(|c| c.is_ascii_alphanumeric()));
}

#[tokio::test]
async fn the_seed_flow_logs_in_with_urlencoded_form_data_and_the_header() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = post_login(&app, &client, &token, "bench", "correct horse").await;
    assert_logged_in(&app, &client, response, &token).await;
}

#[tokio::test]
async fn the_seed_flow_logs_in_with_multipart_form_data_and_the_header() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = client
        .post(app.url(LOGIN))
        .header("X-CSRFToken", &token)
        .header("Content-Type", multipart_type())
        .body(multipart(&[
            ("username", "bench"),
            ("password", "correct horse"),
        ]))
        .send()
        .await
        .unwrap();
    assert_logged_in(&app, &client, response, &token).await;
}

#[tokio::test]
async fn the_seed_flow_logs_in_with_a_json_body_and_the_header() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = client
        .post(app.url(LOGIN))
        .header("x-csrftoken", &token)
        .json(&json!({"username": "bench", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_logged_in(&app, &client, response, &token).await;
}

#[tokio::test]
async fn the_csrfmiddlewaretoken_field_works_instead_of_the_header_in_both_form_encodings() {
    let app = app_with_bench().await;
    for multipart_body in [false, true] {
        let (client, token) = client_with_token(&app).await;
        let fields = [
            ("username", "bench"),
            ("password", "correct horse"),
            ("csrfmiddlewaretoken", token.as_str()),
        ];
        let request = client.post(app.url(LOGIN));
        let request = if multipart_body {
            request
                .header("Content-Type", multipart_type())
                .body(multipart(&fields))
        } else {
            request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(urlencoded(&fields))
        };
        let response = request.send().await.unwrap();
        assert_logged_in(&app, &client, response, &token).await;
    }
}

#[tokio::test]
async fn the_masked_token_from_the_page_is_accepted_and_differs_on_every_page() {
    let app = app_with_bench().await;
    let client = new_client();
    let first = client.get(app.url(LOGIN)).send().await.unwrap();
    let secret = cookie_value(first.headers(), "csrftoken").unwrap();
    let masked = form_token(&first.text().await.unwrap());
    let again = form_token(
        &client
            .get(app.url(LOGIN))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_ne!(masked, again);
    assert_ne!(masked, secret);
    let response = post_login(&app, &client, &masked, "bench", "correct horse").await;
    assert_logged_in(&app, &client, response, &secret).await;
}

#[tokio::test]
async fn the_token_from_before_login_stops_working_after_rotation() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = post_login(&app, &client, &token, "bench", "correct horse").await;
    let new_token = assert_logged_in(&app, &client, response, &token).await;
    let stale = client
        .post(app.url(LOGOUT))
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(stale).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["detail"],
        "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."
    );
    let fresh = client
        .post(app.url(LOGOUT))
        .header("X-CSRFToken", &new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
}

#[tokio::test]
async fn wrong_credentials_get_the_reference_servers_400() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    for (name, pass) in [
        ("bench", "wrong"),
        ("nobody", "correct horse"),
        ("bench", "Correct horse"),
    ] {
        let (status, body) = status_json(post_login(&app, &client, &token, name, pass).await).await;
        assert_eq!(status, 400, "{name}");
        assert_eq!(
            body,
            json!({"non_field_errors": ["Unable to log in with provided credentials."]})
        );
    }
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn missing_fields_are_named() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = client
        .post(app.url(LOGIN))
        .header("X-CSRFToken", &token)
        .json(&json!({"username": "bench"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(status, 400);
    assert_eq!(body, json!({"password": ["This field is required."]}));
}

#[tokio::test]
async fn the_login_url_without_its_trailing_slash_works_too() {
    let app = app_with_bench().await;
    let client = new_client();
    let response = client.get(app.url("/auth/login")).send().await.unwrap();
    let token = cookie_value(response.headers(), "csrftoken").unwrap();
    let response = client
        .post(app.url("/auth/login"))
        .header("X-CSRFToken", &token)
        .json(&json!({"username": "bench", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn logout_ends_the_session_deletes_sessionid_and_keeps_the_csrf_secret() {
    let app = app_with_bench().await;
    let (client, token) = client_with_token(&app).await;
    let response = post_login(&app, &client, &token, "bench", "correct horse").await;
    let token = cookie_value(response.headers(), "csrftoken").unwrap();
    assert_eq!(app.session_count().await, 1);
    let response = client
        .post(app.url(LOGOUT))
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let deletion = set_cookie(response.headers(), "sessionid").unwrap();
    assert!(deletion.contains("Max-Age=0"), "{deletion}");
    assert!(set_cookie(response.headers(), "csrftoken").is_none());
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"detail": "Successfully logged out."})
    );
    assert_eq!(app.session_count().await, 0);
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn logout_is_post_only() {
    let app = spawn_app().await;
    let response = new_client().get(app.url(LOGOUT)).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn a_user_registered_through_drupal_logs_in_here_and_drupal_sees_the_session() {
    let app = spawn_app_with(|c| {
        c.registration.mode = latch::core::accounts::RegistrationMode::Visitors;
    })
    .await;
    let registered = app
        .register_simple("drupal-made", "dm@example.com", "s3cret pass")
        .await;
    assert_eq!(
        registered.status(),
        200,
        "{}",
        registered.text().await.unwrap()
    );
    let (client, token) = client_with_token(&app).await;
    let response = post_login(&app, &client, &token, "drupal-made", "s3cret pass").await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.login_status(&client).await, "1");
    // The Drupal dialect's own session endpoints accept the sessionid cookie as well.
    let drupal_token = app.session_token(&client).await;
    assert_eq!(drupal_token.len(), 43);
}

#[tokio::test]
async fn a_drupal_login_is_recognised_by_the_django_pages() {
    let app = app_with_bench().await;
    let client = new_client();
    app.logged_in(&client, "bench", "correct horse").await;
    let page = client
        .get(app.url(LOGIN))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("You are logged in as <strong>bench</strong>"),
        "{page}"
    );
}

#[tokio::test]
async fn the_dialect_can_be_switched_off_and_moved() {
    let off = spawn_app_with(|c| c.django.enabled = false).await;
    assert_eq!(
        new_client()
            .get(off.url(LOGIN))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let moved = spawn_app_with(|c| c.django.login_prefix = "/accounts/".into()).await;
    let response = new_client()
        .get(moved.url("/accounts/login/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(cookie_value(response.headers(), "csrftoken").is_some());
    assert_eq!(
        new_client()
            .get(moved.url(LOGIN))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
