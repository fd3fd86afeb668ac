//! Edges where latch now answers as a real Drupal 10 core REST site does (issue: Drupal
//! conformance).

use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, spawn_app};

/// Logs `name` in through `/user/login/` (with Drupal's ignored trailing slash).
async fn login_with_slash(app: &TestApp, client: &Client, name: &str, pass: &str) -> Value {
    let response = client
        .post(app.url("/user/login/?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({"name": name, "pass": pass}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body_json(&response.text().await.unwrap())
}

/// Drupal's router trims one trailing slash before matching, so `/session/token/`,
/// `/user/login/`, `/user/login_status/`, `/user/{uid}/`, `/user/logout/`, `/user/register/` and
/// `/user/password/` are the same resources as without it (and logout really logs out).
#[tokio::test]
async fn one_trailing_slash_is_ignored_as_drupal_router_trims_it() {
    let app = spawn_app().await;
    let account = app.create_account("slash", "pass-Word-1", &[]).await;
    let client = new_client();

    let token = client.get(app.url("/session/token/")).send().await.unwrap();
    assert_eq!(token.status(), 200);
    assert_eq!(token.text().await.unwrap().len(), 43);

    let login = login_with_slash(&app, &client, "slash", "pass-Word-1").await;
    assert_eq!(login["current_user"]["name"], "slash");
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let logout_token = login["logout_token"].as_str().unwrap().to_string();

    let status = client
        .get(app.url("/user/login_status/?_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.text().await.unwrap(), "1");

    let uid = account.id;
    let user = client
        .get(app.url(&format!("/user/{uid}/?_format=json")))
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 200);
    assert_eq!(
        body_json(&user.text().await.unwrap())["name"][0]["value"],
        "slash"
    );

    let patched = client
        .patch(app.url(&format!("/user/{uid}/?_format=json")))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &csrf)
        .body(json!({"timezone": [{"value": "Europe/Berlin"}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let logout = client
        .post(app.url(&format!("/user/logout/?_format=json&token={logout_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(app.login_status(&client).await, "0");
    assert_eq!(app.session_count().await, 0);

    let register = client
        .post(app.url("/user/register/?_format=json"))
        .header("Content-Type", "application/json")
        .body(
            json!({"name": {"value": "slashed"}, "mail": {"value": "slashed@example.com"},
                   "pass": {"value": "pass-Word-2"}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 200, "{}", register.text().await.unwrap());

    let password = client
        .post(app.url("/user/password/?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({"mail": "slash@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), 200);
}

/// Only one slash is trimmed: Drupal answers 404 for `/user/login//`.
#[tokio::test]
async fn two_trailing_slashes_are_not_a_route() {
    let app = spawn_app().await;
    let response = app
        .post_json(&new_client(), "/user/login//?_format=json", "{}")
        .await;
    assert_eq!(response.status(), 404);
}

/// PATCH as the account's holder, with its CSRF token.
async fn patch_own(app: &TestApp, name: &str, body: Value) -> (u16, Value) {
    let client = new_client();
    let login = app.logged_in(&client, name, "pass-Word-1").await;
    let uid = login["current_user"]["uid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let token = login["csrf_token"].as_str().unwrap();
    let response = app.patch_user(&client, token, uid, &body).await;
    let status = response.status().as_u16();
    (status, body_json(&response.text().await.unwrap()))
}

/// Drupal validates `timezone` against PHP's list of zones and `preferred_langcode` against
/// its languages: anything else is a 422 "The value you selected is not a valid choice."
/// under the field, and nothing is stored.
#[tokio::test]
async fn unknown_time_zones_and_languages_are_refused_as_drupal_does() {
    let app = spawn_app().await;
    app.create_account("zoned", "pass-Word-1", &[]).await;
    for (field, value) in [
        ("timezone", "Mars/Olympus"),
        ("preferred_langcode", "xx-invalid"),
    ] {
        let (status, body) = patch_own(&app, "zoned", json!({ field: [{"value": value}] })).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["message"],
            format!(
                "Unprocessable Entity: validation failed.\n{field}: The value you selected is not a valid choice.\n"
            ),
            "{body}"
        );
    }
    let stored = app
        .strings("SELECT timezone || ' ' || langcode FROM accounts WHERE name = 'zoned'")
        .await;
    assert_eq!(stored, ["UTC en"]);
}

/// `preferred_langcode` is the account's language; the entity's own `langcode` stays the
/// site's, as Drupal keeps it when only the preferred language changes.
#[tokio::test]
async fn the_preferred_language_changes_without_the_entity_language() {
    let app = spawn_app().await;
    app.create_account("polyglot", "pass-Word-1", &[]).await;
    let (status, user) = patch_own(
        &app,
        "polyglot",
        json!({"preferred_langcode": [{"value": "de"}], "timezone": [{"value": "Europe/Berlin"}]}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["preferred_langcode"][0]["value"], "de");
    assert_eq!(user["langcode"][0]["value"], "en");
    assert_eq!(user["timezone"][0]["value"], "Europe/Berlin");
}
