//! Every error the spec lists for the Services dialect (B1–B6): the message in the reason
//! phrase, the JSON-array body, and the safer deviations.

use latch::core::accounts::{AccountState, RegistrationMode};
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};
use crate::services_support::{Answer, Encoding, bare_client};

fn credentials(name: &str, pass: &str) -> Value {
    json!({"username": name, "password": pass})
}

#[tokio::test]
async fn a_cookie_without_a_token_fails_csrf_validation() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let (cookie, token) = app.services_login("bob", "secret-pass").await;
    for bad in [None, Some("not-the-token")] {
        app.services_post(
            "system/connect",
            &json!({}),
            Encoding::Json,
            Some(&cookie),
            bad,
        )
        .await
        .assert_error(
            401,
            "Unauthorized : CSRF validation failed",
            "CSRF validation failed",
        );
    }
    // The token may also come as the services_token parameter, and user/token needs none.
    let connect = app
        .services_post(
            "system/connect",
            &json!({"services_token": token}),
            Encoding::Json,
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(connect.json()["user"]["name"], "bob", "{connect:?}");
    let fresh = app
        .services_post(
            "user/token",
            &json!({}),
            Encoding::Json,
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(fresh.json(), json!({"token": token}));
}

#[tokio::test]
async fn logging_in_again_is_refused_and_csrf_comes_first() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let (cookie, token) = app.services_login("bob", "secret-pass").await;
    let again = credentials("bob", "secret-pass");
    app.services_post("user/login", &again, Encoding::Json, Some(&cookie), None)
        .await
        .assert_error(
            401,
            "Unauthorized : CSRF validation failed",
            "CSRF validation failed",
        );
    app.services_post(
        "user/login",
        &again,
        Encoding::Json,
        Some(&cookie),
        Some(&token),
    )
    .await
    .assert_error(
        406,
        "Not Acceptable : Already logged in as bob.",
        "Already logged in as bob.",
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_names_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    for (name, pass) in [("bob", "wrong"), ("nobody", "secret-pass")] {
        app.services_post(
            "user/login",
            &credentials(name, pass),
            Encoding::Multipart,
            None,
            None,
        )
        .await
        .assert_error(
            401,
            "Unauthorized : Wrong username or password.",
            "Wrong username or password.",
        );
    }
}

#[tokio::test]
async fn a_blocked_account_is_reported_only_after_the_right_password() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    app.core
        .set_account_state("bob", AccountState::Blocked)
        .await
        .unwrap();
    app.services_json("user/login", &credentials("bob", "wrong"))
        .await
        .assert_error(
            401,
            "Unauthorized : Wrong username or password.",
            "Wrong username or password.",
        );
    app.services_json("user/login", &credentials("BOB", "secret-pass"))
        .await
        .assert_error(
            403,
            ": The username BOB has not been activated or is blocked.",
            "The username <em class=\"placeholder\">BOB</em> has not been activated or is blocked.",
        );
}

#[tokio::test]
async fn missing_login_arguments_are_named() {
    let app = spawn_app().await;
    app.services_json("user/login", &json!({"password": "x"}))
        .await
        .assert_error(
            401,
            "Unauthorized : Missing required argument username",
            "Missing required argument username",
        );
    app.services_post(
        "user/login",
        &json!({"username": "bob"}),
        Encoding::Xml,
        None,
        None,
    )
    .await
    .assert_error(
        401,
        "Unauthorized : Missing required argument password",
        "Missing required argument password",
    );
}

#[tokio::test]
async fn urlencoded_bodies_are_refused_unless_enabled() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let message = "Unsupported request content type application/x-www-form-urlencoded";
    app.services_post(
        "user/login",
        &credentials("bob", "secret-pass"),
        Encoding::Urlencoded,
        None,
        None,
    )
    .await
    .assert_error(406, &format!("Not Acceptable : {message}"), message);
    // A missing Content-Type counts as urlencoded.
    let bare = app
        .services(&bare_client(), "user/login")
        .send()
        .await
        .unwrap();
    Answer::of(bare)
        .await
        .assert_error(406, &format!("Not Acceptable : {message}"), message);
    let other = app
        .services(&bare_client(), "user/login")
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    Answer::of(other).await.assert_error(
        406,
        "Not Acceptable : Unsupported request content type text/plain",
        "Unsupported request content type text/plain",
    );
}

#[tokio::test]
async fn malformed_bodies_get_400_and_never_500() {
    let app = spawn_app().await;
    let send = |content_type: &'static str, body: &'static str| {
        app.services(&bare_client(), "user/login")
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    Answer::of(send("application/json", "{\"username\":").await.unwrap())
        .await
        .assert_error(400, ": Invalid JSON.", "Invalid JSON.");
    Answer::of(
        send("application/xml", "<data><username>x</data>")
            .await
            .unwrap(),
    )
    .await
    .assert_error(400, ": Invalid XML.", "Invalid XML.");
    Answer::of(
        send("multipart/form-data; boundary=zz", "--zz\r\nbroken")
            .await
            .unwrap(),
    )
    .await
    .assert_error(
        400,
        ": Invalid multipart/form-data body.",
        "Invalid multipart/form-data body.",
    );
}

#[tokio::test]
async fn unknown_formats_and_routes_get_a_status_line_and_an_empty_body() {
    let app = spawn_app().await;
    let cases = [
        (
            "user/login.yaml",
            None,
            406,
            "Not Acceptable : Unknown or unsupported response format.",
        ),
        (
            "user/login",
            Some("image/png"),
            406,
            "Not Acceptable : Unknown or unsupported response format.",
        ),
        (
            "node/1",
            None,
            404,
            "Not found : Could not find resource node.",
        ),
        (
            "user/cancel/now",
            None,
            404,
            "Not found : Could not find the controller.",
        ),
    ];
    for (path, accept, status, reason) in cases {
        let mut request = app
            .services(&bare_client(), path)
            .header("Content-Type", "application/json");
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let answer = Answer::of(request.send().await.unwrap()).await;
        assert_eq!(
            (answer.status, answer.reason.as_str(), answer.text.as_str()),
            (status, reason, ""),
            "{path}"
        );
    }
}

#[tokio::test]
async fn logging_out_without_a_session_is_not_acceptable() {
    let app = spawn_app().await;
    app.services_json("user/logout", &json!({}))
        .await
        .assert_error(
            406,
            "Not Acceptable : User is not logged in.",
            "User is not logged in.",
        );
}

#[tokio::test]
async fn registration_errors_come_as_form_errors_and_leave_no_account() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let (accounts, mails) = (app.account_count().await, app.outbox().await.len());
    let taken = app
        .services_json(
            "user/register",
            &json!({"name": "bob", "mail": "bob@example.com", "pass": "x-pass"}),
        )
        .await;
    assert_eq!(taken.status, 406, "{taken:?}");
    assert_eq!(
        taken.reason,
        "Not Acceptable : The name bob is already taken. The e-mail address bob@example.com is \
         already registered. Have you forgotten your password?"
    );
    assert_eq!(
        taken.json(),
        json!({"form_errors": {
            "name": "The name <em class=\"placeholder\">bob</em> is already taken.",
            "mail": "The e-mail address <em class=\"placeholder\">bob@example.com</em> is already registered. <a href=\"/user/password\">Have you forgotten your password?</a>",
        }})
    );
    let cases = [
        (
            json!({"name": "", "mail": "x@example.com", "pass": "p"}),
            "name",
            "Username field is required.",
        ),
        (
            json!({"name": "a<b", "mail": "x@example.com", "pass": "p"}),
            "name",
            "The username contains an illegal character.",
        ),
        (
            json!({"name": "x", "mail": "not-mail", "pass": "p"}),
            "mail",
            "The e-mail address <em class=\"placeholder\">not-mail</em> is not valid.",
        ),
        (
            json!({"name": "x", "mail": "x@example.com"}),
            "pass",
            "Password field is required.",
        ),
        (
            json!({"account": {"name": "x", "mail": "x@example.com", "pass": {"pass1": "a", "pass2": "b"}}}),
            "pass",
            "The specified passwords do not match.",
        ),
    ];
    for (body, field, message) in cases {
        let answer = app
            .services_post("user/register", &body, Encoding::Multipart, None, None)
            .await;
        assert_eq!(
            (answer.status, answer.json()["form_errors"][field].clone()),
            (406, json!(message)),
            "{body}: {answer:?}"
        );
    }
    // Drupal 7 validates the empty form: each required element says so.
    let empty = app.services_json("user/register", &json!({})).await;
    assert_eq!(empty.status, 406, "{empty:?}");
    assert_eq!(
        empty.reason,
        "Not Acceptable : Username field is required. E-mail address field is required. \
         Password field is required."
    );
    assert_eq!(
        empty.json(),
        json!({"form_errors": {
            "name": "Username field is required.",
            "mail": "E-mail address field is required.",
            "pass": "Password field is required.",
        }})
    );
    assert_eq!(
        (app.account_count().await, app.outbox().await.len()),
        (accounts, mails)
    );
}

#[tokio::test]
async fn registration_is_refused_when_only_administrators_create_accounts() {
    let app = spawn_app_with(|c| c.registration.mode = RegistrationMode::AdminOnly).await;
    let body = json!({"name": "x", "mail": "x@example.com", "pass": "p-pass"});
    app.services_json("user", &body).await.assert_error(
        403,
        ": Access denied for user anonymous",
        "Access denied for user anonymous",
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn logged_in_users_other_than_administrators_cannot_create_accounts() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let (cookie, token) = app.services_login("bob", "secret-pass").await;
    let body = json!({"name": "x", "mail": "x@example.com", "pass": "p-pass"});
    app.services_post("user", &body, Encoding::Json, Some(&cookie), Some(&token))
        .await
        .assert_error(
            403,
            ": Access denied for user bob",
            "Access denied for user bob",
        );
}

#[tokio::test]
async fn user_profiles_are_shown_to_their_owner_and_administrators_only() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "secret-pass", &[]).await;
    let ann = app
        .create_account("ann", "secret-pass", &["administrator"])
        .await;
    let get = |path: String, cookie: Option<String>| {
        let mut request = bare_client().get(app.url(&format!("/rest/user/{path}")));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        async move { Answer::of(request.send().await.unwrap()).await }
    };
    get(bob.id.to_string(), None).await.assert_error(
        403,
        ": Access denied for user anonymous",
        "Access denied for user anonymous",
    );
    let (bob_cookie, _) = app.services_login("bob", "secret-pass").await;
    let own = get(format!("{}.json", bob.id), Some(bob_cookie.clone())).await;
    assert_eq!(
        (own.json()["uid"].clone(), own.json()["status"].clone()),
        (json!(bob.id.to_string()), json!("1"))
    );
    assert!(own.json().get("pass").is_none() && own.json().get("init").is_none());
    get(ann.id.to_string(), Some(bob_cookie))
        .await
        .assert_error(
            403,
            ": Access denied for user bob",
            "Access denied for user bob",
        );
    let (ann_cookie, _) = app.services_login("ann", "secret-pass").await;
    let seen = get(bob.id.to_string(), Some(ann_cookie.clone())).await;
    assert_eq!(seen.json()["init"], "bob@example.com");
    get("999".into(), Some(ann_cookie)).await.assert_error(
        404,
        "Not found : There is no user with ID 999.",
        "There is no user with ID 999.",
    );
}
