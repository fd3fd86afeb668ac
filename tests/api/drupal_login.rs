use serde_json::json;

use crate::helpers::{body_json, new_client, spawn_app};

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
    assert!(response.headers().get("set-cookie").is_none(), "registration must not log in");
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
    assert_eq!(body_json(&wrong), json!({"message": "Sorry, unrecognized username or password."}));
}
