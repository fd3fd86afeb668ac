//! `/api/sessions`: the seed's requests as written, each status code of its tables, the CSRF
//! rules for cookie sessions, and sessions carried in a header.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{body_json, new_client, spawn_app};
use crate::platformos_support::*;

#[tokio::test]
async fn the_seed_login_request_as_written_creates_a_session() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let token = app_token(&app, "mobile").await;
    let client = new_client();
    let response = client
        .post(app.url("/api/sessions"))
        .header("Authorization", format!("Token token={token}"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(
            r#"{
"form_name": "reference_rest_api_create_sessions",
"form": {
"email": "example1@example.com",
"password": "somepassword"
}
}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], MEDIA_TYPE);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("SESS"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!(response.text().await.unwrap(), "{}");

    let (status, body) = whoami(&app, &client).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], "example1@example.com");
    assert_eq!(body["user"]["name"], "example1");
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn the_seed_logout_request_ends_the_session() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let token = app_token(&app, "mobile").await;
    let client = new_client();
    let response = log_in(
        &app,
        &client,
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.session_count().await, 1);

    let body = json!({"form_name": DELETE_FORM});
    let response = send(
        &app,
        &client,
        Method::DELETE,
        "/api/sessions",
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(response.status(), 204);
    let expired = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(expired.contains("Max-Age=0"), "{expired}");
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(app.session_count().await, 0);
    assert_eq!(whoami(&app, &client).await.0, 401);

    // Logging out again is the same success: there is nothing left to end.
    let response = send(
        &app,
        &client,
        Method::DELETE,
        "/api/sessions",
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn bad_credentials_get_one_401_whichever_part_was_wrong() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let wrong_password = log_in(&app, &new_client(), None, "example1@example.com", "nope").await;
    let unknown_mail = log_in(
        &app,
        &new_client(),
        None,
        "nobody@example.com",
        "somepassword",
    )
    .await;
    let (status, wrong_password) = errors_of(wrong_password).await;
    assert_eq!(status, 401);
    let (status, unknown_mail) = errors_of(unknown_mail).await;
    assert_eq!(status, 401);
    assert_eq!(wrong_password, unknown_mail);
    assert_eq!(
        wrong_password,
        json!({"base": ["Invalid email or password."]})
    );
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn missing_and_malformed_fields_get_422_per_field() {
    let app = spawn_app().await;
    let client = new_client();
    let empty = json!({"form_name": CREATE_FORM, "form": {}});
    let (status, errors) = post_errors(&app, &client, "/api/sessions", &empty).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors,
        json!({"email": ["can't be blank"], "password": ["can't be blank"]})
    );

    let response = log_in(&app, &client, None, "not-an-address", "secret").await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(errors, json!({"email": ["is not a valid email"]}));

    let extra = json!({"form_name": CREATE_FORM, "form": {"email": "a@example.com", "password": "x", "admin": "1"}});
    let (status, errors) = post_errors(&app, &client, "/api/sessions", &extra).await;
    assert_eq!(status, 422);
    assert!(
        errors["admin"][0]
            .as_str()
            .unwrap()
            .contains("email, password"),
        "{errors}"
    );
}

#[tokio::test]
async fn an_accept_header_without_json_gets_406() {
    let app = spawn_app().await;
    let response = new_client()
        .post(app.url("/api/sessions"))
        .header("Accept", "text/html")
        .header("Content-Type", "application/json")
        .body(login_body("a@example.com", "x").to_string())
        .send()
        .await
        .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 406);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("Accept: application/json")
    );
}

#[tokio::test]
async fn a_wrong_envelope_gets_406_and_broken_json_400() {
    let app = spawn_app().await;
    let client = new_client();
    for (body, field) in [
        (
            json!({"form": {"email": "a@example.com", "password": "x"}}),
            "form_name",
        ),
        (json!({"form_name": CREATE_FORM, "form": "email=a"}), "form"),
        (json!({"form_name": 7, "form": {}}), "form_name"),
        (
            json!({"form_name": CREATE_FORM, "form": {}, "user": {}}),
            "user",
        ),
    ] {
        let (status, errors) = post_errors(&app, &client, "/api/sessions", &body).await;
        assert_eq!(status, 406, "{body}");
        assert!(errors[field].is_array(), "{body}: {errors}");
    }
    let response = send(
        &app,
        &client,
        Method::POST,
        "/api/sessions",
        None,
        Some(&json!([1])),
    )
    .await;
    assert_eq!(errors_of(response).await.0, 406);

    let response = client
        .post(app.url("/api/sessions"))
        .header("Content-Type", "application/json")
        .body("{\"form_name\": ")
        .send()
        .await
        .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 400);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let response = client
        .post(app.url("/api/sessions"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("form_name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(errors_of(response).await.0, 415);

    let huge = "x".repeat(app.config.http.body_limit + 1);
    let response = client
        .post(app.url("/api/sessions"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"form_name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(errors_of(response).await.0, 413);
}

#[tokio::test]
async fn an_unknown_form_name_gets_404_naming_the_known_forms() {
    let app = spawn_app().await;
    let body =
        json!({"form_name": "login_form", "form": {"email": "a@example.com", "password": "x"}});
    let (status, errors) = post_errors(&app, &new_client(), "/api/sessions", &body).await;
    assert_eq!(status, 404);
    let message = errors["form_name"][0].as_str().unwrap();
    assert!(message.contains("\"login_form\""), "{message}");
    assert!(message.contains(CREATE_FORM), "{message}");

    // A form that does something else is named with where it belongs.
    let body = json!({"form_name": DELETE_FORM, "form": {}});
    let (status, errors) = post_errors(&app, &new_client(), "/api/sessions", &body).await;
    assert_eq!(status, 406);
    assert!(
        errors["form_name"][0]
            .as_str()
            .unwrap()
            .contains("DELETE /api/sessions")
    );
}

#[tokio::test]
async fn logging_in_again_rotates_the_session_id() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let client = new_client();
    let first = log_in(&app, &client, None, "example1@example.com", "somepassword").await;
    let first = first.headers()["set-cookie"].to_str().unwrap().to_string();
    let second = log_in(&app, &client, None, "example1@example.com", "somepassword").await;
    assert_eq!(second.status(), 201);
    let second = second.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_ne!(first, second);
    // The old session was replaced, not kept beside the new one.
    assert_eq!(app.session_count().await, 1);
    let stale = new_client();
    let old_cookie = first.split(';').next().unwrap();
    let response = stale
        .get(app.url("/api/sessions"))
        .header("Cookie", old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_cookie_session_needs_the_csrf_token_to_log_out() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let client = new_client();
    let login = log_in(&app, &client, None, "example1@example.com", "somepassword").await;
    let header_token = login.headers()["x-csrf-token"]
        .to_str()
        .unwrap()
        .to_string();

    let response = send(&app, &client, Method::DELETE, "/api/sessions", None, None).await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 403);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("GET /api/sessions")
    );
    let response = request(&app, &client, Method::DELETE, "/api/sessions", None, None)
        .header("X-CSRF-Token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(errors_of(response).await.0, 403);
    assert_eq!(app.session_count().await, 1);

    let (_, body) = whoami(&app, &client).await;
    assert_eq!(body["csrf_token"], header_token.as_str());
    // The Drupal dialect's /session/token works here too.
    assert_eq!(app.session_token(&client).await, header_token);
    let response = request(&app, &client, Method::DELETE, "/api/sessions", None, None)
        .header("X-CSRF-Token", &header_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn the_authenticity_token_field_serves_as_the_csrf_token() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let client = new_client();
    log_in(&app, &client, None, "example1@example.com", "somepassword").await;
    let token = whoami(&app, &client).await.1["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"form_name": DELETE_FORM, "authenticity_token": token});
    let response = send(
        &app,
        &client,
        Method::DELETE,
        "/api/sessions",
        None,
        Some(&body),
    )
    .await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn a_client_without_cookies_carries_the_session_in_a_header() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let token = app_token(&app, "ios").await;
    // No cookie store: nothing the server sets comes back.
    let client = reqwest::Client::new();
    let response = send(
        &app,
        &client,
        Method::POST,
        "/api/sessions?session_token=true",
        Some(&token),
        Some(&login_body("example1@example.com", "somepassword")),
    )
    .await;
    assert_eq!(response.status(), 201);
    let session = response.headers()["x-session-token"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(session.len(), 43);

    let response = client
        .get(app.url("/api/sessions"))
        .header("X-Session-Token", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(&response.text().await.unwrap())["user"]["name"],
        "example1"
    );

    // A header is no browser's doing, so no CSRF token is needed to log out with it.
    let response = client
        .delete(app.url("/api/sessions"))
        .header("X-Session-Token", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = client
        .get(app.url("/api/sessions"))
        .header("X-Session-Token", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(errors_of(response).await.0, 401);

    // Without asking, the session is not exposed in a header.
    let response = log_in(
        &app,
        &client,
        Some(&token),
        "example1@example.com",
        "somepassword",
    )
    .await;
    assert!(response.headers().get("x-session-token").is_none());
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_429() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let client = new_client();
    for _ in 0..5 {
        let response = log_in(&app, &client, None, "example1@example.com", "wrong").await;
        assert_eq!(response.status(), 401);
    }
    let response = log_in(&app, &client, None, "example1@example.com", "somepassword").await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 429);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("Too many failed logins")
    );
}

#[tokio::test]
async fn a_cross_site_browser_login_is_refused() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let response = request(
        &app,
        &new_client(),
        Method::POST,
        "/api/sessions",
        None,
        Some(&login_body("example1@example.com", "somepassword")),
    )
    .header("Origin", "https://evil.example")
    .header("Sec-Fetch-Site", "cross-site")
    .send()
    .await
    .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 403);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("trusted_origins")
    );
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_blocked_account_is_reported_only_after_the_right_password() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    app.core
        .set_account_state("example1", latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    let wrong =
        errors_of(log_in(&app, &new_client(), None, "example1@example.com", "nope").await).await;
    assert_eq!(wrong.1, json!({"base": ["Invalid email or password."]}));
    let right = errors_of(
        log_in(
            &app,
            &new_client(),
            None,
            "example1@example.com",
            "somepassword",
        )
        .await,
    )
    .await;
    assert_eq!(right.0, 401);
    assert!(right.1["base"][0].as_str().unwrap().contains("blocked"));
}
