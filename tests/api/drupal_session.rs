use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, Response};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, body_json, message_of, new_client, spawn_app, spawn_app_with};
use latch::core::accounts::AccountState;

#[tokio::test]
async fn anonymous_tokens_differ_every_call_and_store_nothing() {
    let app = spawn_app().await;
    let client = new_client();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let response = client.get(app.url("/session/token")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=UTF-8"
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers().get("set-cookie").is_none());
        let token = response.text().await.unwrap();
        assert_eq!(token.len(), 43, "{token}");
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{token}"
        );
        assert!(seen.insert(token), "an anonymous token repeated");
    }
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn the_token_answers_any_method_and_the_old_rest_path() {
    let app = spawn_app().await;
    let client = new_client();
    let requests = [
        client.post(app.url("/session/token")),
        client.get(app.url("/rest/session/token")),
        client.post(app.url("/rest/session/token")),
        client.put(app.url("/session/token")),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=UTF-8"
        );
        assert_eq!(response.text().await.unwrap().len(), 43);
    }
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_session_keeps_its_token_until_the_next_login() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let login = app.logged_in(&client, "bob", "secret").await;
    let first = app.session_token(&client).await;
    assert_eq!(first, app.session_token(&client).await);
    assert_eq!(first, app.session_token(&client).await);
    assert_eq!(
        login["csrf_token"],
        first.as_str(),
        "login csrf_token differs from /session/token"
    );

    let logout = login["logout_token"].as_str().unwrap();
    assert_eq!(app.logout(&client, logout).await.status(), 204);
    app.logged_in(&client, "bob", "secret").await;
    let second = app.session_token(&client).await;
    assert_eq!(second.len(), 43);
    assert_ne!(first, second);
}

#[tokio::test]
async fn login_status_is_plain_text_with_or_without_a_format() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    for expected in ["0", "1"] {
        if expected == "1" {
            app.logged_in(&client, "bob", "secret").await;
        }
        for path in ["/user/login_status?_format=json", "/user/login_status"] {
            let response = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()["content-type"],
                "text/plain; charset=UTF-8"
            );
            assert_eq!(response.text().await.unwrap(), expected, "{path}");
        }
    }
}

#[tokio::test]
async fn logout_ends_the_session_and_expires_the_cookie() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let login = app.logged_in(&client, "bob", "secret").await;
    assert_eq!(app.session_count().await, 1);
    let response = app
        .logout(&client, login["logout_token"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), 204);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.starts_with("SESS"), "{set_cookie}");
    assert!(set_cookie.contains("Max-Age=0"), "{set_cookie}");
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(app.session_count().await, 0);
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn logout_without_token_is_forbidden() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    let response = client
        .post(app.url("/user/logout?_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        message_of(response).await,
        "'csrf_token' URL query argument is missing."
    );
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn logout_with_a_wrong_token_is_forbidden_and_keeps_the_session() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let login = app.logged_in(&client, "bob", "secret").await;
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    for token in [csrf.as_str(), "garbage", &app.session_token(&client).await] {
        let response = app.logout(&client, token).await;
        assert_eq!(response.status(), 403, "{token}");
        assert_eq!(
            message_of(response).await,
            "'csrf_token' URL query argument is invalid."
        );
    }
    assert_eq!(app.login_status(&client).await, "1");
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn anonymous_logout_is_forbidden_with_or_without_a_token() {
    let app = spawn_app().await;
    let response = app.logout(&new_client(), "sometoken").await;
    assert_eq!(response.status(), 403);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(
        body["message"],
        "'csrf_token' URL query argument is invalid."
    );
    assert!(body["hint"].is_string(), "{body}");
    let response = new_client()
        .post(app.url("/user/logout?_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        message_of(response).await,
        "'csrf_token' URL query argument is missing."
    );
}

#[tokio::test]
async fn a_logout_token_cannot_be_used_twice() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let set_cookie = login_cookie(&app, &client).await;
    let logout = logout_token(&app, &set_cookie).await;
    assert_eq!(app.logout(&client, &logout).await.status(), 204);
    let again = app.logout(&client, &logout).await;
    assert_eq!(again.status(), 403);
    assert_eq!(
        message_of(again).await,
        "'csrf_token' URL query argument is invalid."
    );
    // Even replaying the old cookie by hand does not revive the session.
    let replay = Client::new()
        .post(app.url(&format!("/user/logout?_format=json&token={logout}")))
        .header("Cookie", &set_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 403);
    assert_eq!(
        message_of(replay).await,
        "'csrf_token' URL query argument is invalid."
    );
}

#[tokio::test]
async fn a_logged_out_cookie_replayed_by_hand_is_anonymous() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let cookie = login_cookie(&app, &client).await;
    assert_eq!(status_with_cookie(&app, &cookie).await, "1");
    let logout = logout_token(&app, &cookie).await;
    assert_eq!(app.logout(&client, &logout).await.status(), 204);
    assert_eq!(status_with_cookie(&app, &cookie).await, "0");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app_with(|c| c.session.idle_timeout = Duration::from_secs(2)).await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    assert_eq!(app.login_status(&client).await, "1");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(app.login_status(&client).await, "0");
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_session_in_use_outlives_the_idle_timeout() {
    let app = spawn_app_with(|c| {
        c.session.idle_timeout = Duration::from_secs(3);
        c.session.write_interval = Duration::from_secs(1);
    })
    .await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.login_status(&client).await, "1");
    }
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_lifetime() {
    // Times are whole seconds: a 3-second lifetime leaves a login made late in its second
    // a full second of margin at the first check, however slow the machine.
    let app = spawn_app_with(|c| {
        c.session.lifetime = Duration::from_secs(3);
        c.session.write_interval = Duration::from_secs(1);
    })
    .await;
    app.create_account("bob", "secret", &[]).await;
    let cookie = login_cookie(&app, &new_client()).await;
    // The cookie is sent by hand: a cookie jar would drop it by its Max-Age on its own.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(status_with_cookie(&app, &cookie).await, "1");
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        status_with_cookie(&app, &cookie).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status_with_cookie(&app, &cookie).await, "0");
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn last_seen_is_not_rewritten_within_the_write_interval() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    let before = app.integers("SELECT last_seen_at FROM sessions").await;
    assert_eq!(before.len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..3 {
        assert_eq!(app.login_status(&client).await, "1");
    }
    let after = app.integers("SELECT last_seen_at FROM sessions").await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn only_the_hash_of_the_session_id_is_stored() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let cookie = login_cookie(&app, &new_client()).await;
    let value = cookie.split_once('=').unwrap().1;
    let stored = app.strings("SELECT id_hash FROM sessions").await;
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].contains(value),
        "the session id is stored in clear"
    );
    assert_eq!(stored[0].len(), 43);
    assert_eq!(
        stored[0],
        URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
    );
}

#[tokio::test]
async fn an_unsafe_request_with_a_session_needs_the_csrf_header() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let login = app.logged_in(&client, "bob", "secret").await;
    let uid = login["current_user"]["uid"].as_str().unwrap().to_string();

    let missing = patch_timezone(&app, &client, &uid, None).await;
    assert_eq!(missing.status(), 403);
    let body = body_json(&missing.text().await.unwrap());
    assert_eq!(body["message"], "X-CSRF-Token request header is missing");
    assert!(body["hint"].is_string(), "{body}");

    let wrong = patch_timezone(&app, &client, &uid, Some("not-a-token")).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        message_of(wrong).await,
        "X-CSRF-Token request header is invalid"
    );

    let other = new_client();
    app.logged_in(&other, "bob", "secret").await;
    let foreign = app.session_token(&other).await;
    let response = patch_timezone(&app, &client, &uid, Some(&foreign)).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        message_of(response).await,
        "X-CSRF-Token request header is invalid"
    );

    let token = app.session_token(&client).await;
    let response = patch_timezone(&app, &client, &uid, Some(&token)).await;
    assert_eq!(response.status(), 200);
    let csrf = login["csrf_token"].as_str().unwrap();
    let response = patch_timezone(&app, &client, &uid, Some(csrf)).await;
    assert_eq!(response.status(), 200);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(body["timezone"][0]["value"], "Europe/Berlin", "{body}");
}

#[tokio::test]
async fn a_blocked_accounts_session_stops_working_at_once() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    assert_eq!(app.login_status(&client).await, "1");
    app.core
        .set_account_state("bob", AccountState::Blocked)
        .await
        .unwrap();
    assert_eq!(app.login_status(&client).await, "0");
}

/// Logs bob in on `client` and returns the `name=value` pair of the session cookie.
async fn login_cookie(app: &TestApp, client: &Client) -> String {
    let response = app.login(client, "bob", "secret").await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().trim().to_string()
}

/// The logout token of the session behind `cookie`, as a second login attempt reveals it.
async fn logout_token(app: &TestApp, cookie: &str) -> String {
    let response = Client::new()
        .post(app.url("/user/login?_format=json"))
        .header("Cookie", cookie)
        .body(r#"{"name": "bob", "pass": "secret"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    body_json(&response.text().await.unwrap())["logout_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn status_with_cookie(app: &TestApp, cookie: &str) -> String {
    let response = Client::new()
        .get(app.url("/user/login_status?_format=json"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

async fn patch_timezone(
    app: &TestApp,
    client: &Client,
    uid: &str,
    token: Option<&str>,
) -> Response {
    let mut request = client
        .patch(app.url(&format!("/user/{uid}?_format=json")))
        .header("Content-Type", "application/json")
        .body(r#"{"timezone":[{"value":"Europe/Berlin"}]}"#);
    if let Some(token) = token {
        request = request.header("X-CSRF-Token", token);
    }
    request.send().await.unwrap()
}
