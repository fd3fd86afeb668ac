//! Every dialect refuses a password alone for an account with a second factor, names the
//! next step, and takes the code inline.

use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::django_support::{self, client_with_token, rest, urlencoded};
use crate::helpers::{TestApp, body_json, spawn_app};
use crate::mfa_support::{Enrolled, enrolled_account};
use crate::platformos_support::{CREATE_FORM, app_token, send};

async fn drupal(app: &TestApp, code: Option<&str>) -> (u16, Value) {
    let mut body = json!({"name": "kim", "pass": "secret"});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    let response = app
        .post_json(
            &Client::new(),
            "/user/login?_format=json",
            &body.to_string(),
        )
        .await;
    (
        response.status().as_u16(),
        body_json(&response.text().await.unwrap()),
    )
}

#[tokio::test]
async fn drupal_rest_asks_for_the_code_and_takes_it_inline() {
    let app = spawn_app().await;
    let kim = enrolled_account(&app, "kim", "secret").await;
    let (status, body) = drupal(&app, None).await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("\"code\"") && message.contains("/latch/login"),
        "{message}"
    );
    let (status, body) = drupal(&app, Some("123")).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("wrong"),
        "{body}"
    );
    let (status, body) = drupal(&app, Some(&kim.code(0))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current_user"]["name"], "kim");
    // A wrong password with any code is still just a wrong password.
    let body = json!({"name": "kim", "pass": "wrong", "code": kim.code(1)}).to_string();
    let response = app
        .post_json(&Client::new(), "/user/login?_format=json", &body)
        .await;
    let text = response.text().await.unwrap();
    assert!(text.contains("unrecognized username or password"), "{text}");
}

#[tokio::test]
async fn services_asks_for_the_code_and_takes_it_inline() {
    let app = spawn_app().await;
    let kim = enrolled_account(&app, "kim", "secret").await;
    let answer = app
        .services_json(
            "user/login.json",
            &json!({"username": "kim", "password": "secret"}),
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert!(
        answer.text.contains("code") && answer.text.contains("/latch/login"),
        "{answer:?}"
    );
    assert!(answer.set_cookie.is_none());
    let fields = json!({"username": "kim", "password": "secret", "code": kim.code(0)});
    let answer = app.services_json("user/login.json", &fields).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.json()["sessid"].is_string());
}

#[tokio::test]
async fn django_rest_and_the_login_view_ask_for_the_code_and_take_it_inline() {
    let app = spawn_app().await;
    let kim = enrolled_account(&app, "kim", "secret").await;
    let client = Client::builder().cookie_store(true).build().unwrap();
    let body = json!({"username": "kim", "password": "secret"});
    let response = rest(&app, &client, Method::POST, "login/", Some(&body), None).await;
    let (status, answer) = django_support::status_json(response).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["non_field_errors"][0].as_str().unwrap();
    assert!(
        message.contains("\"code\"") && message.contains("/latch/login"),
        "{message}"
    );
    let body = json!({"username": "kim", "password": "secret", "code": kim.code(0)});
    let response = rest(&app, &client, Method::POST, "login/", Some(&body), None).await;
    assert!(response.status().is_success(), "{}", response.status());

    // Django's login view, as a form post.
    let (client, token) = client_with_token(&app).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let (app, token) = (&app, token.clone());
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client
                .post(app.url(django_support::LOGIN))
                .header("X-CSRFToken", token)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(urlencoded(&pairs))
                .send()
                .await
                .unwrap()
        }
    };
    let response = post(vec![
        ("username", "kim".into()),
        ("password", "secret".into()),
    ])
    .await;
    let (status, answer) = django_support::status_json(response).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("second factor"), "{answer}");
    let fields = vec![
        ("username", "kim".into()),
        ("password", "secret".into()),
        ("code", kim.code(1)),
    ];
    let response = post(fields).await;
    assert_eq!(response.status(), 200);
}

async fn platformos(app: &TestApp, kim: &Enrolled, code: Option<String>) -> (u16, String) {
    let token = app_token(app, &format!("mfa-{}", code.is_some())).await;
    let mut form = json!({"email": "kim@example.com", "password": "secret"});
    if let Some(code) = code {
        form["code"] = json!(code);
    }
    let _ = kim;
    let body = json!({"form_name": CREATE_FORM, "form": form});
    let response = send(
        app,
        &Client::new(),
        Method::POST,
        "/api/sessions",
        Some(&token),
        Some(&body),
    )
    .await;
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn platformos_asks_for_the_code_and_takes_it_as_a_form_field() {
    let app = spawn_app().await;
    let kim = enrolled_account(&app, "kim", "secret").await;
    let (status, text) = platformos(&app, &kim, None).await;
    assert_eq!(status, 401, "{text}");
    assert!(
        text.contains("form[code]") && text.contains("/latch/login"),
        "{text}"
    );
    let (status, text) = platformos(&app, &kim, Some(kim.code(0))).await;
    assert_eq!(status, 201, "{text}");
}
