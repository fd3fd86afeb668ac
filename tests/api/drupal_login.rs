use reqwest::{Client, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, message_of, new_client, spawn_app, spawn_app_with};
use latch::core::accounts::AccountState;

#[tokio::test]
async fn the_seed_sequence_registers_logs_in_checks_status_and_logs_out() {
    let app = spawn_app().await;
    let client = new_client();

    let token = app.session_token(&client).await;
    assert_eq!(token.len(), 43);

    let response = client
        .post(app.url("/user/register?_format=json"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &token)
        .body(r#"{"name": {"value": "thename123"}, "pass": {"value": "thepass"}, "mail": {"value": "someone@example.com"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "registration must not log in"
    );
    let registered = body_json(&response.text().await.unwrap());
    assert_eq!(registered["name"][0]["value"], "thename123");
    assert!(registered["uid"][0]["value"].is_i64());
    assert!(registered.get("mail").is_none() && registered.get("pass").is_none());

    let login = app.logged_in(&client, "thename123", "thepass").await;
    assert_eq!(login["current_user"]["name"], "thename123");
    assert!(login["current_user"]["uid"].is_string());
    assert!(login["current_user"].get("roles").is_none());
    assert_eq!(app.login_status(&client).await, "1");

    let logout_token = login["logout_token"].as_str().unwrap();
    let response = app.logout(&client, logout_token).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.login_status(&client).await, "0");
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_account("bob", "right", &[]).await;
    let wrong = app.login(&new_client(), "bob", "wrong").await;
    let unknown = app.login(&new_client(), "nobody", "wrong").await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(unknown.status(), 400);
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(
        body_json(&wrong),
        json!({"message": "Sorry, unrecognized username or password."})
    );
}

#[tokio::test]
async fn a_successful_login_answers_with_the_user_tokens_and_a_session_cookie() {
    let app = spawn_app().await;
    let account = app.create_account("bob", "secret", &[]).await;
    let response = app.login(&new_client(), "bob", "secret").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let set_cookie = headers["set-cookie"].to_str().unwrap().to_string();
    let (name, value) = cookie_pair(&set_cookie);
    assert!(name.starts_with("SESS") && name.len() == 36, "{set_cookie}");
    assert!(
        name[4..].chars().all(|c| c.is_ascii_hexdigit()),
        "{set_cookie}"
    );
    assert!(!value.is_empty());
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(
        body["current_user"],
        json!({"uid": account.id.to_string(), "name": "bob"})
    );
    let csrf = body["csrf_token"].as_str().unwrap();
    let logout = body["logout_token"].as_str().unwrap();
    assert_eq!(csrf.len(), 43);
    assert_eq!(logout.len(), 43);
    assert_ne!(csrf, logout);
}

#[tokio::test]
async fn roles_are_shown_only_to_administrators() {
    let app = spawn_app().await;
    app.create_account("admin", "secret", &["administrator"])
        .await;
    app.create_account("editor", "secret", &["editor"]).await;
    let admin = app.logged_in(&new_client(), "admin", "secret").await;
    assert_eq!(
        admin["current_user"]["roles"],
        json!(["authenticated", "administrator"])
    );
    assert_eq!(admin["current_user"]["name"], "admin");
    let editor = app.logged_in(&new_client(), "editor", "secret").await;
    assert!(editor["current_user"].get("roles").is_none(), "{editor}");
}

#[tokio::test]
async fn the_name_is_matched_case_insensitively() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let body = app.logged_in(&client, "BOB", "secret").await;
    assert_eq!(body["current_user"]["name"], "bob");
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn every_login_gets_a_new_session_id() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let first = app.login(&new_client(), "bob", "secret").await;
    let second = app.login(&new_client(), "bob", "secret").await;
    let first = cookie_pair(first.headers()["set-cookie"].to_str().unwrap());
    let second = cookie_pair(second.headers()["set-cookie"].to_str().unwrap());
    assert_eq!(first.0, second.0);
    assert_ne!(first.1, second.1);
    assert_eq!(app.session_count().await, 2);
}

#[tokio::test]
async fn missing_credentials_are_named_in_the_message() {
    let app = spawn_app().await;
    let cases = [
        ("{}", "Missing credentials."),
        ("", "Missing credentials."),
        (r#"{"pass": "x"}"#, "Missing credentials.name."),
        (r#"{"name": "bob"}"#, "Missing credentials.pass."),
        (
            r#"{"name": 5, "pass": "x"}"#,
            "credentials.name must be a string.",
        ),
    ];
    for (body, message) in cases {
        let (status, json) = post_login_raw(&app, &new_client(), body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(json["message"], message, "{body}");
    }
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_blocked_account_is_told_so_only_with_the_right_password() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    app.core
        .set_account_state("bob", AccountState::Blocked)
        .await
        .unwrap();
    let right = app.login(&new_client(), "bob", "secret").await;
    assert_eq!(right.status(), 400);
    assert_eq!(
        message_of(right).await,
        "The user has not been activated or is blocked."
    );
    let wrong = app.login(&new_client(), "bob", "wrong").await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        message_of(wrong).await,
        "Sorry, unrecognized username or password."
    );
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_password_over_512_bytes_is_unrecognized() {
    let app = spawn_app().await;
    let long = "p".repeat(513);
    app.create_account("bob", "secret", &[]).await;
    let response = app.login(&new_client(), "bob", &long).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        message_of(response).await,
        "Sorry, unrecognized username or password."
    );
}

#[tokio::test]
async fn a_logged_in_client_is_refused_and_given_a_working_logout_token() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    let response = app.login(&client, "bob", "secret").await;
    assert_eq!(response.status(), 403);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(
        body["message"],
        "This route can only be accessed by anonymous users."
    );
    assert!(body["hint"].is_string(), "{body}");
    let token = body["logout_token"].as_str().expect("logout_token");
    assert_eq!(app.session_count().await, 1);
    assert_eq!(app.logout(&client, token).await.status(), 204);
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn login_without_a_format_is_treated_as_json() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let response = client
        .post(app.url("/user/login"))
        .body(json!({"name": "bob", "pass": "secret"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(body["current_user"]["name"], "bob");
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn login_in_an_unsupported_format_is_not_acceptable() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    for format in ["xml", "foo"] {
        let response = new_client()
            .post(app.url(&format!("/user/login?_format={format}")))
            .body(json!({"name": "bob", "pass": "secret"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 406, "{format}");
        assert_eq!(
            message_of(response).await,
            "No route found for the specified format. Supported formats: json."
        );
    }
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn get_on_the_login_route_is_not_allowed() {
    let app = spawn_app().await;
    let response = new_client()
        .get(app.url("/user/login?_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn a_login_from_a_foreign_origin_is_refused() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let evil = login_with_header(&app, &client, "Origin", "https://evil.example").await;
    assert_eq!(evil.status(), 403);
    assert!(
        message_of(evil)
            .await
            .starts_with("Cross-site request refused")
    );
    let marked = login_with_header(&app, &client, "Sec-Fetch-Site", "cross-site").await;
    assert_eq!(marked.status(), 403);
    assert!(
        message_of(marked)
            .await
            .starts_with("Cross-site request refused")
    );
    assert_eq!(app.session_count().await, 0);
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn logins_from_the_own_origin_from_curl_and_from_trusted_origins_pass() {
    let app =
        spawn_app_with(|c| c.http.trusted_origins = vec!["https://app.example".parse().unwrap()])
            .await;
    app.create_account("bob", "secret", &[]).await;
    let own = format!("http://127.0.0.1:{}", app.port);
    let same = login_with_header(&app, &new_client(), "Origin", &own).await;
    assert_eq!(same.status(), 200);
    let trusted = login_with_header(&app, &new_client(), "Origin", "https://app.example").await;
    assert_eq!(trusted.status(), 200);
    assert_eq!(
        app.login(&new_client(), "bob", "secret").await.status(),
        200
    );
    assert_eq!(app.session_count().await, 3);
}

#[tokio::test]
async fn safe_requests_from_a_foreign_origin_pass() {
    let app = spawn_app().await;
    let response = new_client()
        .get(app.url("/user/login_status?_format=json"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "0");
}

async fn post_login_raw(app: &TestApp, client: &Client, body: &str) -> (u16, Value) {
    let response = app
        .post_json(client, "/user/login?_format=json", body)
        .await;
    let status = response.status().as_u16();
    (status, body_json(&response.text().await.unwrap()))
}

async fn login_with_header(app: &TestApp, client: &Client, name: &str, value: &str) -> Response {
    client
        .post(app.url("/user/login?_format=json"))
        .header("Content-Type", "application/json")
        .header(name, value)
        .body(json!({"name": "bob", "pass": "secret"}).to_string())
        .send()
        .await
        .unwrap()
}

fn cookie_pair(set_cookie: &str) -> (String, String) {
    let first = set_cookie.split(';').next().unwrap();
    let (name, value) = first.split_once('=').unwrap();
    (name.trim().to_string(), value.trim().to_string())
}
