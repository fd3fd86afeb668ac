//! The seed sequences (seed 001), in every body encoding the Services module accepts: log in
//! with a bare POST, build the cookie from `session_name` and `sessid`, fetch the token with
//! that cookie, make token-protected calls; and register after `system/connect`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};
use crate::services_support::{ALL_ENCODINGS, Encoding};

/// Every encoding, the urlencoded parser switched on.
async fn app() -> TestApp {
    spawn_app_with(|c| c.services.urlencoded = true).await
}

async fn login_sequence(app: &TestApp, encoding: Encoding) {
    app.create_account("bob", "secret-pass", &[]).await;
    // 1. A bare POST to user/login: no token, no cookie.
    let fields = json!({"username": "bob", "password": "secret-pass"});
    let login = app
        .services_post("user/login.json", &fields, encoding, None, None)
        .await;
    assert_eq!(login.status, 200, "{encoding:?}: {login:?}");
    let body = login.json();
    let cookie = login.session_cookie();
    assert_eq!(body["user"]["name"], "bob");
    assert!(
        login.set_cookie.unwrap().starts_with(&cookie),
        "{encoding:?}"
    );
    // 2. The token, fetched with that cookie, is the one login gave.
    let token = app.services_token(Some(&cookie)).await;
    assert_eq!(token, body["token"].as_str().unwrap(), "{encoding:?}");
    // 3. Token-protected calls with cookie and token.
    let connect = app
        .services_post(
            "system/connect",
            &json!({}),
            encoding,
            Some(&cookie),
            Some(&token),
        )
        .await;
    assert_eq!(
        (connect.status, connect.json()["user"]["name"].clone()),
        (200, json!("bob")),
        "{encoding:?}: {connect:?}"
    );
    assert_eq!(connect.json()["sessid"], body["sessid"]);
    let logout = app
        .services_post(
            "user/logout",
            &json!({}),
            encoding,
            Some(&cookie),
            Some(&token),
        )
        .await;
    assert_eq!(
        (logout.status, logout.json()),
        (200, json!([true])),
        "{encoding:?}"
    );
    let after = app
        .services_post("system/connect", &json!({}), encoding, Some(&cookie), None)
        .await;
    assert_eq!(
        after.json()["user"]["uid"],
        0,
        "{encoding:?}: the session ended"
    );
}

async fn registration_sequence(app: &TestApp, encoding: Encoding) {
    // 1. A token (anonymous callers need none, but the seed's client sends it).
    let token = app.services_token(None).await;
    // 2. system/connect gives a session name and an id.
    let connect = app
        .services_post("system/connect", &json!({}), encoding, None, None)
        .await;
    assert_eq!(connect.status, 200, "{encoding:?}: {connect:?}");
    let cookie = connect.session_cookie();
    // 3. user/register with the token and the cookie: created, and answered promptly.
    let fields = json!({"name": "carol", "mail": "carol@example.com", "pass": "carol-pass"});
    let started = Instant::now();
    let register = app
        .services_post(
            "user/register",
            &fields,
            encoding,
            Some(&cookie),
            Some(&token),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(5), "{encoding:?}");
    assert_eq!(register.status, 200, "{encoding:?}: {register:?}");
    let created = register.json();
    let uid = created["uid"]
        .as_str()
        .expect("uid is a string")
        .to_string();
    assert_eq!(
        created["uri"],
        format!("{}/rest/user/{uid}", app.config.public_url),
        "{encoding:?}"
    );
    let mails = app.outbox_lines().await;
    assert_eq!(
        mails,
        ["register_no_approval_required carol@example.com"],
        "{encoding:?}: the welcome mail waits in the outbox"
    );
    // The new account logs in with its password.
    app.services_login("carol", "carol-pass").await;
}

#[tokio::test]
async fn the_login_seed_sequence_works_with_a_json_body() {
    login_sequence(&app().await, Encoding::Json).await;
}

#[tokio::test]
async fn the_login_seed_sequence_works_with_a_php_curl_multipart_body() {
    login_sequence(&app().await, Encoding::Multipart).await;
}

#[tokio::test]
async fn the_login_seed_sequence_works_with_a_urlencoded_body() {
    login_sequence(&app().await, Encoding::Urlencoded).await;
}

#[tokio::test]
async fn the_login_seed_sequence_works_with_an_xml_body() {
    login_sequence(&app().await, Encoding::Xml).await;
}

#[tokio::test]
async fn the_registration_seed_sequence_works_in_every_encoding() {
    for encoding in ALL_ENCODINGS {
        let app = app().await;
        registration_sequence(&app, encoding).await;
    }
}

#[tokio::test]
async fn registrations_answer_promptly_and_leave_their_mail_in_the_outbox() {
    // Mail is written to the outbox, never sent inside the request, so the hang of spec B8
    // cannot happen.
    let app = app().await;
    for n in 0..3 {
        let fields = json!({"name": format!("user{n}"), "mail": format!("u{n}@example.com"), "pass": "pass-word"});
        let started = Instant::now();
        let answer = app
            .services_post(
                "user/register.json",
                &fields,
                Encoding::Multipart,
                None,
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    assert_eq!(app.outbox().await.len(), 3);
}
