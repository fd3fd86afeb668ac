//! `/api/users`: registration under the shared policy, updates, configured forms, and
//! sessions shared with the Drupal and Django dialects.

use std::collections::BTreeMap;

use latch::config::{FieldRules, FormAction, FormConfig};
use latch::core::accounts::RegistrationMode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{body_json, new_client, spawn_app, spawn_app_with};
use crate::platformos_support::*;

async fn register(app: &crate::helpers::TestApp, form: Value) -> reqwest::Response {
    let body = json!({"form_name": "reference_rest_api_create_users", "form": form});
    send(
        app,
        &new_client(),
        Method::POST,
        "/api/users",
        None,
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn registering_answers_201_with_the_id_and_the_account_logs_in_everywhere() {
    let app = spawn_app().await;
    let response = register(
        &app,
        json!({"email": "new@example.com", "password": "s3cret"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], MEDIA_TYPE);
    let body = body_json(&response.text().await.unwrap());
    let id = body["id"].as_i64().expect("numeric id");
    assert_eq!(body["errors"], json!({}));
    assert_eq!(app.account_count().await, 1);

    // Named after its mail address, it logs in through this dialect and the Drupal one.
    let client = new_client();
    assert_eq!(
        log_in(&app, &client, None, "new@example.com", "s3cret")
            .await
            .status(),
        201
    );
    assert_eq!(whoami(&app, &client).await.1["user"]["id"], id);
    app.logged_in(&new_client(), "new@example.com", "s3cret")
        .await;
}

#[tokio::test]
async fn registration_errors_are_422_per_field_and_store_nothing() {
    let app = spawn_app().await;
    app.create_account("taken", "pw", &[]).await;
    let response = register(
        &app,
        json!({"email": "taken@example.com", "password": "pw"}),
    )
    .await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(errors, json!({"email": ["has already been taken"]}));

    let response = register(&app, json!({"email": "bad@", "password": "pw"})).await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(errors, json!({"email": ["is not a valid email"]}));

    let response = register(&app, json!({"email": "ok@example.com"})).await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(errors, json!({"password": ["can't be blank"]}));

    let response = register(
        &app,
        json!({"email": "ok@example.com", "password": "pw", "name": " spaced"}),
    )
    .await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(errors, json!({"name": ["can't begin with a space"]}));
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn the_password_policy_is_worded_per_field() {
    let app = spawn_app_with(|c| {
        c.password.min_length = 8;
        c.password.reject_common = true;
    })
    .await;
    let response = register(&app, json!({"email": "a@example.com", "password": "short"})).await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors,
        json!({"password": ["is too short (minimum is 8 characters)"]})
    );
    let response = register(
        &app,
        json!({"email": "a@example.com", "password": "password123"}),
    )
    .await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert!(
        errors["password"][0].as_str().unwrap().contains("common"),
        "{errors}"
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn registration_follows_the_servers_policy() {
    let closed = spawn_app_with(|c| c.registration.mode = RegistrationMode::AdminOnly).await;
    let response = register(&closed, json!({"email": "a@example.com", "password": "pw"})).await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 403);
    assert!(errors["base"][0].as_str().unwrap().contains("closed"));
    assert_eq!(closed.account_count().await, 0);

    let approval =
        spawn_app_with(|c| c.registration.mode = RegistrationMode::VisitorsAdminApproval).await;
    let response = register(
        &approval,
        json!({"email": "a@example.com", "password": "pw"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let response = log_in(&approval, &new_client(), None, "a@example.com", "pw").await;
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 401);
    assert!(
        errors["base"][0]
            .as_str()
            .unwrap()
            .contains("not been activated")
    );
}

#[tokio::test]
async fn users_update_their_own_account_with_put() {
    let app = spawn_app().await;
    let me = app.create_account("example1", "somepassword", &[]).await;
    let other = app.create_account("other", "pw", &[]).await;
    let body = |form: Value| json!({"form_name": "reference_rest_api_update_users", "form": form});
    let path = format!("/api/users/{}", me.id);

    let anonymous = send(
        &app,
        &new_client(),
        Method::PUT,
        &path,
        None,
        Some(&body(json!({"name": "x"}))),
    )
    .await;
    assert_eq!(errors_of(anonymous).await.0, 401);

    let client = reqwest::Client::new();
    let login = send(
        &app,
        &client,
        Method::POST,
        "/api/sessions?session_token=true",
        None,
        Some(&login_body("example1@example.com", "somepassword")),
    )
    .await;
    let session = login.headers()["x-session-token"]
        .to_str()
        .unwrap()
        .to_string();
    let put = |path: String, form: Value| {
        request(&app, &client, Method::PUT, &path, None, Some(&body(form)))
            .header("X-Session-Token", session.clone())
            .send()
    };

    let response = put(path.clone(), json!({"password": "new-password"}))
        .await
        .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert!(
        errors["current_password"][0]
            .as_str()
            .unwrap()
            .contains("current password")
    );

    let response = put(
        path.clone(),
        json!({"email": "me@example.org", "current_password": "somepassword"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.core
            .store()
            .account_by_id(me.id)
            .await
            .unwrap()
            .unwrap()
            .mail
            .as_deref(),
        Some("me@example.org")
    );

    let response = put(
        format!("/api/users/{}", other.id),
        json!({"email": "x@example.org"}),
    )
    .await
    .unwrap();
    assert_eq!(errors_of(response).await.0, 403);
    let response = put(path.clone(), json!({"name": "renamed"})).await.unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert!(
        errors["name"][0]
            .as_str()
            .unwrap()
            .contains("administrator")
    );
}

#[tokio::test]
async fn configured_forms_choose_the_fields_and_their_rules() {
    let app = spawn_app_with(|c| {
        c.platformos.builtin_forms = false;
        let mut fields = BTreeMap::new();
        fields.insert(
            "email".to_string(),
            FieldRules {
                required: true,
                ..FieldRules::default()
            },
        );
        fields.insert(
            "password".to_string(),
            FieldRules {
                required: true,
                min_length: Some(10),
                ..FieldRules::default()
            },
        );
        fields.insert(
            "name".to_string(),
            FieldRules {
                required: true,
                min_length: Some(3),
                max_length: Some(20),
                ..FieldRules::default()
            },
        );
        c.platformos.forms.insert(
            "signup".to_string(),
            FormConfig {
                action: FormAction::CreateUser,
                fields,
            },
        );
    })
    .await;
    let send = |name: &str, form: Value| {
        let body = json!({"form_name": name, "form": form});
        request(
            &app,
            &new_client(),
            Method::POST,
            "/api/users",
            None,
            Some(&body),
        )
        .send()
    };
    let response = send(
        "signup",
        json!({"email": "a@example.com", "password": "short", "name": "ab"}),
    )
    .await
    .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors,
        json!({
            "name": ["is too short (minimum is 3 characters)"],
            "password": ["is too short (minimum is 10 characters)"],
        })
    );
    let response = send(
        "signup",
        json!({"email": "a@example.com", "password": "long enough!", "name": "alice"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    app.logged_in(&new_client(), "alice", "long enough!").await;

    // With the built-in forms switched off, the seed's name is unknown, and the error lists
    // what there is.
    let response = send("reference_rest_api_create_users", json!({}))
        .await
        .unwrap();
    let (status, errors) = errors_of(response).await;
    assert_eq!(status, 404);
    assert!(errors["form_name"][0].as_str().unwrap().contains("signup"));
}

#[tokio::test]
async fn a_session_made_here_is_recognised_by_the_drupal_and_django_dialects() {
    let app = spawn_app().await;
    app.create_account("example1", "somepassword", &[]).await;
    let client = new_client();
    assert_eq!(
        log_in(&app, &client, None, "example1@example.com", "somepassword")
            .await
            .status(),
        201
    );
    assert_eq!(app.login_status(&client).await, "1");
    let response = client
        .get(app.url("/dj-rest-auth/user/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_json(&response.text().await.unwrap())["username"],
        "example1"
    );

    // And one made by the Drupal dialect is recognised here.
    let drupal = new_client();
    app.logged_in(&drupal, "example1", "somepassword").await;
    assert_eq!(whoami(&app, &drupal).await.1["user"]["name"], "example1");
}

#[tokio::test]
async fn only_administrators_rename_accounts_as_in_every_dialect() {
    let app = spawn_app().await;
    app.create_account("admin", "admin-pass", &["administrator"])
        .await;
    let member = app.create_account("member", "member-pass", &[]).await;
    let client = reqwest::Client::new();
    let session = |email: &'static str, password: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            let login = request(
                app,
                &client,
                Method::POST,
                "/api/sessions?session_token=true",
                None,
                Some(&login_body(email, password)),
            )
            .send()
            .await
            .unwrap();
            assert_eq!(login.status(), 201);
            login.headers()["x-session-token"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    let rename = |session: String, name: &'static str| {
        let body = json!({"form_name": "reference_rest_api_update_users", "form": {"name": name}});
        request(
            &app,
            &client,
            Method::PUT,
            &format!("/api/users/{}", member.id),
            None,
            Some(&body),
        )
        .header("X-Session-Token", session)
        .send()
    };
    let own = session("member@example.com", "member-pass").await;
    let (status, errors) = errors_of(rename(own, "renamed").await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors,
        json!({"name": ["can only be changed by an administrator"]})
    );

    let admin = session("admin@example.com", "admin-pass").await;
    let response = rename(admin, "renamed").await.unwrap();
    assert_eq!(response.status(), 204);
    let account = app.core.store().account_by_id(member.id).await.unwrap();
    assert_eq!(account.unwrap().name, "renamed");
}
