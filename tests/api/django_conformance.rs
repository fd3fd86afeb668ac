//! Where latch's Django dialect was compared with a real Django + DRF + dj-rest-auth project
//! and differed: each test pins the reference behaviour.

use reqwest::Method;
use serde_json::json;

use crate::django_support::*;
use latch::config::PasswordConfig;

use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with};

async fn app_with_bench() -> TestApp {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

#[tokio::test]
async fn dj_rest_auth_endpoints_answer_without_the_trailing_slash() {
    let app = app_with_bench().await;
    let client = new_client();
    let login = json!({"username": "bench", "password": "correct horse"});
    let response = rest(&app, &client, Method::POST, "login", Some(&login), None).await;
    assert_eq!(response.status(), 204);
    let token = cookie_value(response.headers(), "csrftoken").expect("csrftoken");
    let t = Some(token.as_str());
    let (status, body) =
        status_json(rest(&app, &client, Method::GET, "user", None, None).await).await;
    assert_eq!((status, &body["username"]), (200, &json!("bench")));
    let change =
        json!({"old_password": "correct horse", "new_password1": "a", "new_password2": "b"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/change",
        Some(&change),
        t,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (
            400,
            json!({"new_password2": ["The two password fields didn\u{2019}t match."]})
        )
    );
    let response = rest(&app, &client, Method::POST, "logout", None, t).await;
    assert_eq!(
        status_json(response).await,
        (200, json!({"detail": "Successfully logged out."}))
    );
    let reset = json!({"email": "bench@example.com"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/reset",
        Some(&reset),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let confirm = json!({"uid": "!!", "token": "1-x", "new_password1": "a", "new_password2": "a"});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "password/reset/confirm",
        Some(&confirm),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (400, json!({"uid": ["Invalid value"]}))
    );
    let response = rest(&app, &client, Method::GET, "logout", None, None).await;
    assert_eq!(
        status_json(response).await,
        (405, json!({"detail": "Method \"GET\" not allowed."}))
    );
}

/// Django's default `AUTH_PASSWORD_VALIDATORS`, as latch's defaults are (the other tests
/// switch them off).
async fn strict_app_with(adjust: impl FnOnce(&mut latch::config::Config)) -> TestApp {
    let app = spawn_app_with(|c| {
        c.password = PasswordConfig {
            min_length: 8,
            reject_common: true,
            max_similarity: 0.7,
            reject_numeric: true,
            ..c.password.clone()
        };
        adjust(c);
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

async fn logged_in(app: &TestApp, client: &reqwest::Client) -> String {
    let login = json!({"username": "bench", "password": "correct horse"});
    let response = rest(app, client, Method::POST, "login/", Some(&login), None).await;
    assert_eq!(response.status(), 204);
    cookie_value(response.headers(), "csrftoken").expect("csrftoken")
}

const SHORT: &str = "This password is too short. It must contain at least 8 characters.";
const COMMON: &str = "This password is too common.";
const NUMERIC: &str = "This password is entirely numeric.";

#[tokio::test]
async fn password_errors_list_every_failing_validator_under_new_password2() {
    let app = strict_app_with(|_| {}).await;
    let client = new_client();
    let token = logged_in(&app, &client).await;
    let t = Some(token.as_str());
    for (new, expected) in [
        ("12345", json!([SHORT, COMMON, NUMERIC])),
        ("00000000123", json!([NUMERIC])),
        (
            "bench@ex",
            json!(["The password is too similar to the username."]),
        ),
    ] {
        let body =
            json!({"old_password": "correct horse", "new_password1": new, "new_password2": new});
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
            (400, json!({"new_password2": expected})),
            "{new}"
        );
    }
    // A wrong old password is reported alone, as DRF stops at field errors.
    let body = json!({"old_password": "wrong", "new_password1": "12345", "new_password2": "12345"});
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
        (
            400,
            json!({"old_password": ["Your old password was entered incorrectly. Please enter it again."]})
        )
    );
    let body = json!({"new_password1": "kumquat drift", "new_password2": "kumquat drift"});
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
        (400, json!({"old_password": ["This field is required."]}))
    );
    let body = json!({"old_password": "correct horse", "new_password1": "", "new_password2": " "});
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
        (
            400,
            json!({"new_password1": ["This field may not be blank."], "new_password2": ["This field may not be blank."]})
        )
    );
}

#[tokio::test]
async fn registration_reports_similarity_as_the_serializer_does_and_other_dialects_refuse_too() {
    let app = strict_app_with(|_| {}).await;
    let client = new_client();
    let register = |name: &str, password: &str| json!({"username": name, "email": format!("{name}@example.com"), "password1": password, "password2": password});
    let response = rest(
        &app,
        &client,
        Method::POST,
        "registration/",
        Some(&register("jeanluc", "12345")),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (400, json!({"password1": [SHORT, COMMON, NUMERIC]}))
    );
    // `password1` is validated as a field before the two copies are compared.
    let mut mismatched = register("jeanluc", "12345");
    mismatched["password2"] = json!("54321");
    let response = rest(
        &app,
        &client,
        Method::POST,
        "registration/",
        Some(&mismatched),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (400, json!({"password1": [SHORT, COMMON, NUMERIC]}))
    );
    // Validated against the new user only once every field passed: a non-field error.
    let response = rest(
        &app,
        &client,
        Method::POST,
        "registration/",
        Some(&register("jeanluc", "jeanluc!x")),
        None,
    )
    .await;
    assert_eq!(
        status_json(response).await,
        (
            400,
            json!({"non_field_errors": ["The password is too similar to the username."]})
        )
    );
    // Drupal refuses the same passwords, in its words.
    let response = app
        .register_simple("jeanluc", "jeanluc@example.com", "12345")
        .await;
    assert_eq!(response.status(), 422);
    let message = crate::helpers::body_json(&response.text().await.unwrap())["message"]
        .as_str()
        .unwrap()
        .to_string();
    for line in [
        "pass: The password must be at least 8 characters long.",
        "pass: The password is one of the most common passwords. Choose another.",
        "pass: The password cannot consist of digits only.",
    ] {
        assert!(message.contains(line), "{message}");
    }
    let response = app
        .register_simple("jeanluc", "jeanluc@example.com", "jeanluc!x")
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("The password is too similar to the username."),
    );
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn login_field_errors_are_the_serializers() {
    let app = app_with_bench().await;
    let client = new_client();
    let must = "Must include either \"username\" or \"email\" and \"password\".";
    for (body, expected) in [
        (
            json!({"username": "bench"}),
            json!({"password": ["This field is required."]}),
        ),
        (json!({}), json!({"password": ["This field is required."]})),
        (
            json!({"username": "bench", "password": ""}),
            json!({"password": ["This field may not be blank."]}),
        ),
        (
            json!({"email": "nope", "password": ""}),
            json!({"email": ["Enter a valid email address."], "password": ["This field may not be blank."]}),
        ),
        (
            json!({"password": "x"}),
            json!({"non_field_errors": [must]}),
        ),
        (
            json!({"username": "", "email": " ", "password": "x"}),
            json!({"non_field_errors": [must]}),
        ),
    ] {
        let response = rest(&app, &client, Method::POST, "login/", Some(&body), None).await;
        assert_eq!(status_json(response).await, (400, expected), "{body}");
    }
    // The address wins when both are given, as allauth's `username_email` method does.
    let both =
        json!({"username": "nobody", "email": "bench@example.com", "password": "correct horse"});
    let response = rest(&app, &client, Method::POST, "login/", Some(&both), None).await;
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn the_form_views_refuse_wrong_methods_as_django_views_do() {
    let app = spawn_app().await;
    let client = new_client();
    for (method, path, allow) in [
        (Method::PUT, LOGIN, "GET, POST"),
        (Method::GET, LOGOUT, "POST, OPTIONS"),
    ] {
        let response = client.request(method, app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 405, "{path}");
        assert_eq!(response.headers()["allow"], allow);
        assert_eq!(response.text().await.unwrap(), "", "no DRF body on {path}");
    }
    let response = rest(&app, &client, Method::PUT, "login/", None, None).await;
    assert_eq!(
        status_json(response).await,
        (405, json!({"detail": "Method \"PUT\" not allowed."}))
    );
}

/// The path of the reset link in the newest mail.
async fn reset_link_path(app: &TestApp) -> String {
    let mail = app.outbox().await.pop().expect("a reset mail");
    let text = app.mail_text(mail.id).await;
    let start = text
        .find("/dj-rest-auth/password/reset/confirm/")
        .expect("link in the mail");
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |n| start + n);
    text[start..end].to_string()
}

/// The `value` of the form field `name` in a page.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn request_reset(app: &TestApp, client: &reqwest::Client, csrf: Option<&str>) -> String {
    let body = json!({"email": "bench@example.com"});
    let response = rest(
        app,
        client,
        Method::POST,
        "password/reset/",
        Some(&body),
        csrf,
    )
    .await;
    assert_eq!(response.status(), 200);
    reset_link_path(app).await
}

#[tokio::test]
async fn the_reset_link_opens_a_script_free_form_that_resets_the_password() {
    let app = app_with_bench().await;
    let client = new_client();
    // Logged in first: a login spends the links mailed before it, as in Drupal.
    let csrf = logged_in(&app, &client).await;
    let link = request_reset(&app, &client, Some(&csrf)).await;
    let page = client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    let action = field(
        &html.replace("action=\"", "name=\"action\" value=\""),
        "action",
    );
    assert_eq!(action, "/dj-rest-auth/password/reset/confirm/");
    // Posted as the browser posts the form, with this logged-in session's CSRF token.
    let form = [
        ("csrfmiddlewaretoken", field(&html, "csrfmiddlewaretoken")),
        ("uid", field(&html, "uid")),
        ("token", field(&html, "token")),
        ("new_password1", "reset by page".to_string()),
        ("new_password2", "reset by page".to_string()),
    ];
    let response = client
        .post(app.url(&action))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_json(response).await,
        (
            200,
            json!({"detail": "Password has been reset with the new password."})
        )
    );
    app.logged_in(&new_client(), "bench", "reset by page").await;
    // Fetching the page again (a mail scanner) shows the form; the spent token is refused.
    let again = client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(again.status(), 200);
    let forged = client
        .get(app.url("/dj-rest-auth/password/reset/confirm/a%22b/c/"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
}

#[tokio::test]
async fn the_reset_link_can_lead_to_a_front_end_instead() {
    let app = strict_app_with(|c| {
        c.django.password_reset_confirm_url = "https://app.example/reset/{uid}/{token}".into();
    })
    .await;
    let client = new_client();
    let link = request_reset(&app, &client, None).await;
    let response = client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let parts: Vec<&str> = link.trim_end_matches('/').rsplitn(3, '/').collect();
    assert_eq!(
        response.headers()["location"],
        format!("https://app.example/reset/{}/{}", parts[1], parts[0]).as_str()
    );
}

const INVALID_USERNAME: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

#[tokio::test]
async fn django_registrations_follow_djangos_username_rules_and_every_name_logs_in_anywhere() {
    let app = app_with_bench().await;
    let client = new_client();
    let register = |name: &str| json!({"username": name, "email": format!("u{}@example.com", name.len()), "password1": "zx81 tolkien", "password2": "zx81 tolkien"});
    for (name, expected) in [
        ("Ann Marie", INVALID_USERNAME),
        ("o'neil", INVALID_USERNAME),
        (
            &*"a".repeat(151),
            "Ensure this field has no more than 150 characters.",
        ),
    ] {
        let response = rest(
            &app,
            &client,
            Method::POST,
            "registration/",
            Some(&register(name)),
            None,
        )
        .await;
        assert_eq!(
            status_json(response).await,
            (400, json!({"username": [expected]})),
            "{name}"
        );
    }
    let long = format!("{}.x+y@z_1-{}", "d".repeat(60), "e".repeat(81));
    assert_eq!(long.chars().count(), 150);
    let response = rest(
        &app,
        &new_client(),
        Method::POST,
        "registration/",
        Some(&register(&long)),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    // Drupal keeps its rules for its own registrations…
    let drupal = app
        .register_simple(
            &format!("{}2", "d".repeat(60)),
            "d2@example.com",
            "zx81 tolkien",
        )
        .await;
    assert_eq!(drupal.status(), 422);
    let drupal = app
        .register_simple("Ann Marie", "ann@example.com", "zx81 tolkien")
        .await;
    assert_eq!(drupal.status(), 200);
    // …and any stored name logs in through either dialect.
    app.logged_in(&new_client(), &long, "zx81 tolkien").await;
    let login = json!({"username": "Ann Marie", "password": "zx81 tolkien"});
    let response = rest(
        &app,
        &new_client(),
        Method::POST,
        "login/",
        Some(&login),
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
}
