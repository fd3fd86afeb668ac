//! dj-rest-auth's JSON endpoints: bodies, errors, and DRF's rule that only authenticated
//! sessions are CSRF-checked.

use reqwest::Method;
use serde_json::json;

use crate::django_support::*;
use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with};

async fn app_with_bench() -> TestApp {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

/// A client logged in through `login/`, and its rotated CSRF token.
async fn logged_in(app: &TestApp) -> (reqwest::Client, String) {
    let client = new_client();
    let response = rest(
        app,
        &client,
        Method::POST,
        "login/",
        Some(&json!({"username": "bench", "password": "correct horse"})),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let token = cookie_value(response.headers(), "csrftoken").expect("csrftoken");
    assert!(set_cookie(response.headers(), "sessionid").is_some());
    (client, token)
}

#[tokio::test]
async fn anonymous_login_needs_no_csrf_token_and_opens_a_shared_session() {
    let app = app_with_bench().await;
    let (client, _) = logged_in(&app).await;
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn login_accepts_form_bodies_and_the_email_instead_of_the_username() {
    let app = app_with_bench().await;
    let client = new_client();
    let response = client
        .post(app.url("/dj-rest-auth/login/"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("email", "bench@example.com"),
            ("password", "correct horse"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn login_errors_are_non_field_errors() {
    let app = app_with_bench().await;
    let blocked = app.create_account("blocked", "pw pw pw", &[]).await;
    app.core
        .set_account_state(&blocked.name, latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    let client = new_client();
    for (body, message) in [
        (
            json!({"username": "bench", "password": "nope"}),
            "Unable to log in with provided credentials.",
        ),
        (
            json!({"email": "ghost@example.com", "password": "x"}),
            "Unable to log in with provided credentials.",
        ),
        (
            json!({"password": "x"}),
            "Must include either \"username\" or \"email\" and \"password\".",
        ),
        // Django's backends never authenticate inactive accounts.
        (
            json!({"username": "blocked", "password": "pw pw pw"}),
            "Unable to log in with provided credentials.",
        ),
    ] {
        let response = rest(&app, &client, Method::POST, "login/", Some(&body), None).await;
        assert_eq!(
            status_json(response).await,
            (400, json!({"non_field_errors": [message]})),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_authenticated_session_needs_the_csrf_header_on_unsafe_calls() {
    let app = app_with_bench().await;
    let (client, token) = logged_in(&app).await;
    let body = json!({"username": "bench"});
    let missing = rest(&app, &client, Method::PATCH, "user/", Some(&body), None).await;
    assert_eq!(
        status_json(missing).await,
        (403, json!({"detail": "CSRF Failed: CSRF token missing."}))
    );
    let wrong = rest(
        &app,
        &client,
        Method::PATCH,
        "user/",
        Some(&body),
        Some(&"Q".repeat(32)),
    )
    .await;
    assert_eq!(
        status_json(wrong).await,
        (
            403,
            json!({"detail": "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."})
        )
    );
    let cross = client
        .post(app.url("/dj-rest-auth/logout/"))
        .header("Origin", "http://evil.example")
        .header("X-CSRFToken", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_json(cross).await,
        (
            403,
            json!({"detail": "CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins."})
        )
    );
    let ok = rest(
        &app,
        &client,
        Method::PATCH,
        "user/",
        Some(&body),
        Some(&token),
    )
    .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn user_shows_the_account_and_anonymous_callers_are_refused() {
    let app = app_with_bench().await;
    let anonymous = rest(&app, &new_client(), Method::GET, "user/", None, None).await;
    assert_eq!(
        status_json(anonymous).await,
        (
            403,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
    let (client, _) = logged_in(&app).await;
    let (status, body) =
        status_json(rest(&app, &client, Method::GET, "user/", None, None).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["username"], "bench");
    assert_eq!(body["email"], "bench@example.com");
    assert_eq!(body["first_name"], "");
    assert_eq!(body["last_name"], "");
    assert!(body["pk"].is_i64());
}

#[tokio::test]
async fn put_and_patch_validate_their_fields() {
    let app = app_with_bench().await;
    let (client, token) = logged_in(&app).await;
    let t = Some(token.as_str());
    let put = rest(
        &app,
        &client,
        Method::PUT,
        "user/",
        Some(&json!({"first_name": "B"})),
        t,
    )
    .await;
    assert_eq!(
        status_json(put).await,
        (
            400,
            json!({
                "username": ["This field is required."],
                "first_name": ["This server does not store first names; leave this field empty."]
            })
        )
    );
    let rename = rest(
        &app,
        &client,
        Method::PATCH,
        "user/",
        Some(&json!({"username": "other"})),
        t,
    )
    .await;
    assert_eq!(
        status_json(rename).await,
        (
            400,
            json!({"username": ["You may not change your username; ask an administrator."]})
        )
    );
    // email is read-only: ignored, as DRF does.
    let same = json!({"username": "bench", "email": "new@example.com", "last_name": ""});
    let (status, body) =
        status_json(rest(&app, &client, Method::PUT, "user/", Some(&same), t).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["email"], "bench@example.com");
}

#[tokio::test]
async fn logout_answers_as_dj_rest_auth_and_get_is_not_allowed() {
    let app = app_with_bench().await;
    let (client, token) = logged_in(&app).await;
    let get = rest(&app, &client, Method::GET, "logout/", None, None).await;
    assert_eq!(
        status_json(get).await,
        (405, json!({"detail": "Method \"GET\" not allowed."}))
    );
    let response = rest(&app, &client, Method::POST, "logout/", None, Some(&token)).await;
    assert!(
        set_cookie(response.headers(), "sessionid")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        status_json(response).await,
        (200, json!({"detail": "Successfully logged out."}))
    );
    assert_eq!(app.login_status(&client).await, "0");
    // Anonymous logout is no error.
    let again = rest(&app, &new_client(), Method::POST, "logout/", None, None).await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn registration_creates_a_logged_in_account_that_drupal_accepts() {
    let app = spawn_app().await;
    let client = new_client();
    let body = json!({"username": "newbie", "email": "newbie@example.com", "password1": "pa55 word", "password2": "pa55 word"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "registration/",
        Some(&body),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.login_status(&client).await, "1");
    app.logged_in(&new_client(), "newbie", "pa55 word").await;
}

#[tokio::test]
async fn registration_errors_are_per_field() {
    let app = app_with_bench().await;
    let client = new_client();
    for (body, expected) in [
        (
            json!({"email": "x@example.com"}),
            json!({
                "username": ["This field is required."],
                "password1": ["This field is required."],
                "password2": ["This field is required."]
            }),
        ),
        (
            json!({"username": "a", "email": "a@example.com", "password1": "one", "password2": "two"}),
            json!({"non_field_errors": ["The two password fields didn't match."]}),
        ),
        (
            json!({"username": "bench", "email": "b2@example.com", "password1": "p", "password2": "p"}),
            json!({"username": ["A user with that username already exists."]}),
        ),
        (
            json!({"username": "c", "email": "not-mail", "password1": "p", "password2": "p"}),
            json!({"email": ["Enter a valid email address."]}),
        ),
        (
            json!({"username": "d", "email": "bench@example.com", "password1": "p", "password2": "p"}),
            json!({"email": ["A user is already registered with this e-mail address."]}),
        ),
    ] {
        let response = rest(
            &app,
            &client,
            Method::POST,
            "registration/",
            Some(&body),
            None,
        )
        .await;
        assert_eq!(status_json(response).await, (400, expected), "{body}");
    }
}

#[tokio::test]
async fn registration_with_mail_verification_sends_the_mail_instead() {
    let app = spawn_app_with(|c| c.registration.verify_mail = true).await;
    let body =
        json!({"username": "v", "email": "v@example.com", "password1": "p", "password2": "p"});
    let response = rest(
        &app,
        &new_client(),
        Method::POST,
        "registration/",
        Some(&body),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (201, json!({"detail": "Verification e-mail sent."}))
    );
    assert_eq!(app.outbox().await.len(), 1);
}

#[tokio::test]
async fn password_change_needs_the_old_password_and_matching_copies() {
    let app = app_with_bench().await;
    let (client, token) = logged_in(&app).await;
    let t = Some(token.as_str());
    let other = new_client();
    app.logged_in(&other, "bench", "correct horse").await;
    for (body, expected) in [
        (
            json!({"new_password1": "a"}),
            json!({"old_password": ["This field is required."], "new_password2": ["This field is required."]}),
        ),
        (
            json!({"old_password": "correct horse", "new_password1": "a", "new_password2": "b"}),
            json!({"new_password2": ["The two password fields didn\u{2019}t match."]}),
        ),
        (
            json!({"old_password": "wrong", "new_password1": "n3w", "new_password2": "n3w"}),
            json!({"old_password": ["Your old password was entered incorrectly. Please enter it again."]}),
        ),
    ] {
        let response = rest(
            &app,
            &client,
            Method::POST,
            "password/change/",
            Some(&body),
            t,
        )
        .await;
        assert_eq!(status_json(response).await, (400, expected), "{body}");
    }
    let body = json!({"old_password": "correct horse", "new_password1": "n3w pass", "new_password2": "n3w pass"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/change/",
        Some(&body),
        t,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (200, json!({"detail": "New password has been saved."}))
    );
    assert_eq!(app.login_status(&client).await, "1");
    assert_eq!(app.login_status(&other).await, "0");
    app.logged_in(&new_client(), "bench", "n3w pass").await;
}

/// The `uid` and `token` of the reset link in the newest mail.
async fn reset_link(app: &TestApp) -> (String, String) {
    let mail = app.outbox().await.pop().expect("a reset mail");
    let text = app.mail_text(mail.id).await;
    let marker = "/dj-rest-auth/password/reset/confirm/";
    let start = text.find(marker).expect("link in the mail") + marker.len();
    let rest: Vec<&str> = text[start..].split('/').collect();
    (rest[0].to_string(), rest[1].to_string())
}

#[tokio::test]
async fn a_password_reset_link_works_once() {
    let app = app_with_bench().await;
    let client = new_client();
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/reset/",
        Some(&json!({"email": "bench@example.com"})),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (
            200,
            json!({"detail": "Password reset e-mail has been sent."})
        )
    );
    let (uid, token) = reset_link(&app).await;
    let confirm = json!({"uid": uid, "token": token, "new_password1": "reset pw", "new_password2": "reset pw"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/reset/confirm/",
        Some(&confirm),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (
            200,
            json!({"detail": "Password has been reset with the new password."})
        )
    );
    assert_eq!(
        app.login_status(&client).await,
        "0",
        "confirming does not log in"
    );
    app.logged_in(&new_client(), "bench", "reset pw").await;
    let again = rest(
        &app,
        &client,
        Method::POST,
        "password/reset/confirm/",
        Some(&confirm),
        None,
    )
    .await;
    assert_eq!(
        status_json(again).await,
        (400, json!({"token": ["Invalid value"]}))
    );
}

#[tokio::test]
async fn password_reset_errors_name_their_fields() {
    let app = app_with_bench().await;
    let client = new_client();
    let unknown = rest(
        &app,
        &client,
        Method::POST,
        "password/reset/",
        Some(&json!({"email": "ghost@example.com"})),
        None,
    )
    .await;
    assert_eq!(unknown.status(), 200, "unknown addresses are not revealed");
    assert!(app.outbox().await.is_empty());
    for (body, expected) in [
        (json!({}), json!({"email": ["This field is required."]})),
        (
            json!({"email": "nope"}),
            json!({"email": ["Enter a valid email address."]}),
        ),
    ] {
        let response = rest(
            &app,
            &client,
            Method::POST,
            "password/reset/",
            Some(&body),
            None,
        )
        .await;
        assert_eq!(status_json(response).await, (400, expected));
    }
    rest(
        &app,
        &client,
        Method::POST,
        "password/reset/",
        Some(&json!({"email": "bench@example.com"})),
        None,
    )
    .await;
    let (uid, token) = reset_link(&app).await;
    for (body, expected) in [
        (
            json!({"uid": uid, "token": token}),
            json!({"new_password1": ["This field is required."], "new_password2": ["This field is required."]}),
        ),
        (
            json!({"uid": uid, "token": token, "new_password1": "a", "new_password2": "b"}),
            json!({"new_password2": ["The two password fields didn\u{2019}t match."]}),
        ),
        (
            json!({"uid": "!!", "token": token, "new_password1": "a", "new_password2": "a"}),
            json!({"uid": ["Invalid value"]}),
        ),
        (
            json!({"uid": uid, "token": "1-forged", "new_password1": "a", "new_password2": "a"}),
            json!({"token": ["Invalid value"]}),
        ),
    ] {
        let response = rest(
            &app,
            &client,
            Method::POST,
            "password/reset/confirm/",
            Some(&body),
            None,
        )
        .await;
        assert_eq!(status_json(response).await, (400, expected), "{body}");
    }
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = app_with_bench().await;
    let account = app.core.account_named("bench").await.unwrap();
    let long_ago = latch::core::now() - 2 * 86_400;
    let secret = latch::core::secret::ServerSecret::load_or_create(None, &app.config.secret_file)
        .unwrap()
        .0;
    let hash = latch::core::mail::OneTimeLinks::new(&secret).sign(&account, long_ago);
    let uid = base64_of(&account.id.to_string());
    let body = json!({"uid": uid, "token": format!("{long_ago}-{hash}"), "new_password1": "a", "new_password2": "a"});
    let response = rest(
        &app,
        &new_client(),
        Method::POST,
        "password/reset/confirm/",
        Some(&body),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (400, json!({"token": ["Invalid value"]}))
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn the_prefix_is_configurable() {
    let app = spawn_app_with(|c| c.django.rest_auth_prefix = "/api/auth/".into()).await;
    app.create_account("bench", "correct horse", &[]).await;
    let response = new_client()
        .post(app.url("/api/auth/login/"))
        .json(&json!({"username": "bench", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn anonymous_logins_and_registrations_from_another_site_are_refused_by_origin() {
    let app =
        spawn_app_with(|c| c.django.trusted_origins = vec!["https://spa.example".parse().unwrap()])
            .await;
    app.create_account("bench", "correct horse", &[]).await;
    let registration = json!({"username": "newbie", "email": "newbie@example.com",
        "password1": "a long pass phrase", "password2": "a long pass phrase"});
    for (path, body) in [
        (
            "login/",
            json!({"username": "bench", "password": "correct horse"}),
        ),
        ("registration/", registration.clone()),
    ] {
        let client = new_client();
        let response = client
            .post(app.url(&format!("/dj-rest-auth/{path}")))
            .header("Origin", "https://evil.example")
            .header("Sec-Fetch-Site", "cross-site")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(set_cookie(response.headers(), "sessionid").is_none());
        let (status, body) = status_json(response).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(
            body["detail"],
            "CSRF Failed: Origin checking failed - https://evil.example does not match any \
             trusted origins."
        );
    }
    assert!(
        app.core
            .store()
            .account_by_name("newbie")
            .await
            .unwrap()
            .is_none()
    );

    // The same calls from the server's own pages, a trusted origin or a non-browser pass.
    for origin in [
        Some(app.address.clone()),
        Some("https://spa.example".into()),
        None,
    ] {
        let client = new_client();
        let mut request = client.post(app.url("/dj-rest-auth/login/"));
        if let Some(origin) = &origin {
            request = request.header("Origin", origin);
        }
        let response = request
            .json(&json!({"username": "bench", "password": "correct horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{origin:?}");
    }
}
