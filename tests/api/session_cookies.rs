//! The session cookie a browser holds: which one counts when it holds two, and its
//! attributes behind a TLS proxy.

use reqwest::Client;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;

use crate::django_support::cookie_value;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// A client that keeps no cookies, so that each test says exactly what it sends.
fn bare_client() -> Client {
    Client::new()
}

/// The Drupal session cookie's name and value from a response.
fn drupal_cookie(response: &reqwest::Response) -> (String, String) {
    let set = response.headers()[SET_COOKIE].to_str().unwrap();
    let pair = set.split(';').next().unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    (name.to_string(), value.to_string())
}

async fn drupal_login(app: &TestApp) -> (String, String, String) {
    let response = app.login(&bare_client(), "bench", "correct horse").await;
    assert_eq!(response.status(), 200);
    let (name, value) = drupal_cookie(&response);
    let body = crate::helpers::body_json(&response.text().await.unwrap());
    let logout_token = body["logout_token"].as_str().unwrap().to_string();
    (name, value, logout_token)
}

#[tokio::test]
async fn a_cookie_of_an_ended_session_does_not_hide_a_live_django_session_and_is_removed() {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    let (name, stale, logout_token) = drupal_login(&app).await;
    // The session ends, but this browser kept its cookie (another tab, a lost answer).
    let response = bare_client()
        .post(app.url(&format!("/user/logout?_format=json&token={logout_token}")))
        .header(COOKIE, format!("{name}={stale}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let response = bare_client()
        .post(app.url("/dj-rest-auth/login/"))
        .json(&json!({"username": "bench", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let live = cookie_value(response.headers(), "sessionid").unwrap();

    let both = format!("{name}={stale}; sessionid={live}");
    let response = bare_client()
        .get(app.url("/user/login_status?_format=json"))
        .header(COOKIE, &both)
        .send()
        .await
        .unwrap();
    let removal = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
        .expect("the stale cookie is removed");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(response.text().await.unwrap(), "1");
    let response = bare_client()
        .get(app.url("/dj-rest-auth/user/"))
        .header(COOKIE, &both)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A live session's cookie is left alone.
    let response = bare_client()
        .get(app.url("/user/login_status?_format=json"))
        .header(COOKIE, format!("sessionid={live}"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_url_is_https_unless_configured_otherwise() {
    let app = spawn_app_with(|c| c.public_url = "https://login.example".into()).await;
    app.create_account("bench", "correct horse", &[]).await;
    let response = app.login(&bare_client(), "bench", "correct horse").await;
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        set.starts_with("SSESS") && set.contains("; Secure"),
        "{set}"
    );

    let app = spawn_app_with(|c| {
        c.public_url = "https://login.example".into();
        c.cookie.secure = Some(false);
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    let response = app.login(&bare_client(), "bench", "correct horse").await;
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with("SESS") && !set.contains("Secure"), "{set}");

    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    let response = app.login(&bare_client(), "bench", "correct horse").await;
    let set = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(!set.contains("Secure"), "plain http: {set}");
}
