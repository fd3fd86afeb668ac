//! Edges where latch now answers as a real Drupal 7.105 site with Services 3.28 does (issue:
//! Drupal conformance).

use serde_json::json;

use crate::helpers::spawn_app;
use crate::services_support::{Answer, bare_client, text_of};

/// Drupal 7 trims slashes at the ends of the path before routing, so `POST
/// /rest/user/login/` logs in like `/rest/user/login`.
#[tokio::test]
async fn a_trailing_slash_reaches_the_same_resource() {
    let app = spawn_app().await;
    app.create_account("slash", "pass-Word-1", &[]).await;
    let fields = json!({"username": "slash", "password": "pass-Word-1"});
    let login = app.services_json("user/login/", &fields).await;
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.json()["user"]["name"], "slash");
    let token = app.services_json("user/token.json/", &json!({})).await;
    assert_eq!(token.status, 200, "{token:?}");
    assert!(token.json()["token"].is_string());
}

/// `services/session/token` is a menu callback in Drupal 7: any method gets the token, the
/// session's with its cookie.
#[tokio::test]
async fn the_session_token_answers_any_method() {
    let app = spawn_app().await;
    app.create_account("anymethod", "pass-Word-1", &[]).await;
    let (cookie, token) = app.services_login("anymethod", "pass-Word-1").await;
    let client = bare_client();
    let posted = text_of(
        client
            .post(app.url("/services/session/token"))
            .header("Cookie", &cookie),
    )
    .await;
    assert_eq!(posted, token);
    let put = client
        .put(app.url("/services/session/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(put.text().await.unwrap().len(), 43);
}

/// Drupal 7's user object carries `changed` as a string timestamp like its other columns, but
/// `user_login_finalize` sets `login` to the request time as an integer, which the login
/// answer sends as a JSON number.
#[tokio::test]
async fn the_user_object_has_changed_and_the_login_answer_a_numeric_login() {
    let app = spawn_app().await;
    let account = app.create_account("typed", "pass-Word-1", &[]).await;
    let before = latch::core::now();
    let fields = json!({"username": "typed", "password": "pass-Word-1"});
    let login = app.services_json("user/login.json", &fields).await;
    assert_eq!(login.status, 200, "{login:?}");
    let user = &login.json()["user"];
    let at = user["login"].as_i64().expect("login is a number");
    assert!(at >= before, "{user}");
    assert_eq!(user["changed"], json!(account.changed_at.to_string()));
    assert!(user["created"].is_string());

    let cookie = login.session_cookie();
    let retrieved = Answer::of(
        bare_client()
            .get(app.url(&format!("/rest/user/{}.json", account.id)))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(retrieved.status, 200, "{retrieved:?}");
    assert_eq!(retrieved.json()["login"], json!(at.to_string()));
    assert_eq!(
        retrieved.json()["changed"],
        json!(account.changed_at.to_string())
    );
}
