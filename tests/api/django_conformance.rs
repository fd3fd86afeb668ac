//! Where latch's Django dialect was compared with a real Django + DRF + dj-rest-auth project
//! and differed: each test pins the reference behaviour.

use reqwest::Method;
use serde_json::json;

use crate::django_support::*;
use crate::helpers::{TestApp, new_client, spawn_app};

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
