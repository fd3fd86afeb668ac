//! `GET` and `PATCH /user/{uid}?_format=json`: the user entity over REST (spec A7, A9, A10).

use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client, spawn_app};

const INVALID: &str = "Unprocessable Entity: validation failed.\n";
const NOT_OWN: &str =
    "Users can only update their own account, unless they have the 'administer users' permission.";
const NO_PROFILES: &str = "The 'access user profiles' permission is required.";

/// A logged-in client and its CSRF token.
struct Session {
    client: Client,
    token: String,
}

async fn session(app: &TestApp, name: &str, pass: &str) -> Session {
    let client = new_client();
    let login = app.logged_in(&client, name, pass).await;
    let token = login["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    Session { client, token }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (u16, Value) {
    let response = client
        .get(app.url(&format!("{path}?_format=json")))
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        parse(&response.text().await.unwrap()),
    )
}

async fn get_user(app: &TestApp, client: &Client, uid: i64) -> (u16, Value) {
    get(app, client, &format!("/user/{uid}")).await
}

async fn patch_with(
    app: &TestApp,
    client: &Client,
    uid: i64,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = client
        .patch(app.url(&format!("/user/{uid}?_format=json")))
        .header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("X-CSRF-Token", token);
    }
    let response = request.body(body.to_string()).send().await.unwrap();
    (
        response.status().as_u16(),
        parse(&response.text().await.unwrap()),
    )
}

async fn patch(app: &TestApp, who: &Session, uid: i64, body: Value) -> (u16, Value) {
    patch_with(app, &who.client, uid, Some(&who.token), body).await
}

/// Asserts an error status and its exact message.
fn refused((status, body): (u16, Value), expected: u16, message: &str) {
    assert_eq!(
        (status, body["message"].as_str()),
        (expected, Some(message)),
        "{body}"
    );
}

fn invalid(outcome: (u16, Value), line: &str) {
    refused(outcome, 422, &format!("{INVALID}{line}\n"));
}

fn current(field: &str) -> String {
    format!(
        "{field}: Your current password is missing or incorrect; it's required to change the {}.",
        if field == "mail" { "Email" } else { "Password" }
    )
}

#[tokio::test]
async fn a_user_sees_their_own_account_with_private_fields_but_never_the_password() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let (status, user) = get_user(&app, &me.client, bob.id).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["uid"], json!([{"value": bob.id}]));
    assert_eq!(user["mail"], json!([{"value": "bob@example.com"}]));
    assert_eq!(user["name"], json!([{"value": "bob"}]));
    for key in [
        "uuid",
        "langcode",
        "preferred_langcode",
        "preferred_admin_langcode",
        "timezone",
        "created",
        "changed",
        "default_langcode",
    ] {
        assert!(user.get(key).is_some(), "{key} missing: {user}");
    }
    for hidden in ["pass", "status", "roles"] {
        assert!(
            user.get(hidden).is_none(),
            "{hidden} shown to its owner: {user}"
        );
    }
}

#[tokio::test]
async fn an_administrator_sees_status_access_login_and_roles_of_any_account() {
    let app = spawn_app().await;
    let admin = app.create_account("admin", "pw", &["administrator"]).await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let root = session(&app, "admin", "pw").await;
    let (status, other) = get_user(&app, &root.client, bob.id).await;
    assert_eq!(status, 200, "{other}");
    assert_eq!(other["status"], json!([{"value": true}]));
    assert_eq!(other["mail"], json!([{"value": "bob@example.com"}]));
    assert!(other["access"][0]["value"].is_string() && other["login"][0]["value"].is_string());
    assert_eq!(other["roles"], json!([]), "authenticated is never listed");
    assert!(other.get("pass").is_none());
    let (_, own) = get_user(&app, &root.client, admin.id).await;
    let roles = own["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1, "{own}");
    assert_eq!(roles[0]["target_id"], "administrator");
    assert_eq!(roles[0]["target_type"], "user_role");
    assert!(
        roles[0]["target_uuid"]
            .as_str()
            .is_some_and(|u| u.len() == 36),
        "{own}"
    );
}

#[tokio::test]
async fn a_normal_user_or_anonymous_cannot_view_another_account() {
    let app = spawn_app().await;
    let admin = app.create_account("admin", "pw", &["administrator"]).await;
    app.create_account("bob", "pw", &[]).await;
    let bob = session(&app, "bob", "pw").await;
    refused(
        get_user(&app, &bob.client, admin.id).await,
        403,
        NO_PROFILES,
    );
    refused(
        get_user(&app, &new_client(), admin.id).await,
        403,
        NO_PROFILES,
    );
}

#[tokio::test]
async fn missing_or_malformed_uids_are_not_found() {
    let app = spawn_app().await;
    app.create_account("admin", "pw", &["administrator"]).await;
    let root = session(&app, "admin", "pw").await;
    assert_eq!(get_user(&app, &root.client, 999).await.0, 404);
    assert_eq!(get(&app, &root.client, "/user/abc").await.0, 404);
}

#[tokio::test]
async fn a_user_changes_their_own_timezone() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let (status, user) = patch(
        &app,
        &me,
        bob.id,
        json!({"timezone": [{"value": "Europe/Berlin"}]}),
    )
    .await;
    assert_eq!(
        (status, &user["timezone"]),
        (200, &json!([{"value": "Europe/Berlin"}])),
        "{user}"
    );
    let (_, again) = get_user(&app, &me.client, bob.id).await;
    assert_eq!(again["timezone"][0]["value"], "Europe/Berlin");

    // Saving the value it already has changes nothing, not even `changed` (as in Drupal).
    let changed = app.core.account_named("bob").await.unwrap().changed_at;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, same) = patch(
        &app,
        &me,
        bob.id,
        json!({"timezone": [{"value": "Europe/Berlin"}]}),
    )
    .await;
    assert_eq!((status, &same), (200, &again));
    assert_eq!(
        app.core.account_named("bob").await.unwrap().changed_at,
        changed
    );
}

#[tokio::test]
async fn a_patch_under_a_session_cookie_needs_a_valid_csrf_header() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let body = json!({"timezone": [{"value": "Europe/Berlin"}]});
    let missing = patch_with(&app, &me.client, bob.id, None, body.clone()).await;
    refused(missing, 403, "X-CSRF-Token request header is missing");
    let wrong = patch_with(&app, &me.client, bob.id, Some("not-the-token"), body).await;
    refused(wrong, 403, "X-CSRF-Token request header is invalid");
    let (_, user) = get_user(&app, &me.client, bob.id).await;
    assert_ne!(user["timezone"][0]["value"], "Europe/Berlin");
}

#[tokio::test]
async fn changing_the_mail_needs_the_current_password() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let mail = json!([{"value": "robert@example.com"}]);
    invalid(
        patch(&app, &me, bob.id, json!({"mail": mail})).await,
        &current("mail"),
    );
    let wrong = json!({"mail": mail, "pass": [{"existing": "nope"}]});
    invalid(patch(&app, &me, bob.id, wrong).await, &current("mail"));
    let right = json!({"mail": mail, "pass": [{"existing": "pw"}]});
    let (status, user) = patch(&app, &me, bob.id, right).await;
    assert_eq!((status, &user["mail"]), (200, &mail), "{user}");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "old", &[]).await;
    let me = session(&app, "bob", "old").await;
    let elsewhere = session(&app, "bob", "old").await;
    let no_existing = json!({"pass": [{"value": "new"}]});
    invalid(
        patch(&app, &me, bob.id, no_existing).await,
        &current("pass"),
    );
    assert_eq!(app.login_status(&elsewhere.client).await, "1");
    let change = json!({"pass": [{"existing": "old", "value": "new"}]});
    let (status, user) = patch(&app, &me, bob.id, change).await;
    assert_eq!(status, 200, "{user}");
    assert!(user.get("pass").is_none());
    assert_eq!(app.login_status(&me.client).await, "1");
    assert_eq!(app.login_status(&elsewhere.client).await, "0");
    assert_eq!(app.login(&new_client(), "bob", "old").await.status(), 400);
    app.logged_in(&new_client(), "bob", "new").await;
}

#[tokio::test]
async fn users_cannot_rename_themselves_or_set_their_own_status_or_roles() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let cases = [
        ("name", json!([{"value": "robert"}])),
        ("status", json!([{"value": false}])),
        ("roles", json!([{"target_id": "administrator"}])),
    ];
    for (field, value) in cases {
        let message = format!("Access denied on updating field '{field}'.");
        refused(
            patch(&app, &me, bob.id, json!({ field: value })).await,
            403,
            &message,
        );
    }
    let account = app.core.account_named("bob").await.unwrap();
    assert!(account.is_active() && account.roles.is_empty());
}

#[tokio::test]
async fn a_normal_user_or_anonymous_cannot_patch_another_account() {
    let app = spawn_app().await;
    let carol = app.create_account("carol", "pw", &[]).await;
    app.create_account("bob", "pw", &[]).await;
    let bob = session(&app, "bob", "pw").await;
    let body = json!({"timezone": [{"value": "Europe/Berlin"}]});
    refused(
        patch(&app, &bob, carol.id, body.clone()).await,
        403,
        NOT_OWN,
    );
    refused(
        patch_with(&app, &new_client(), carol.id, None, body).await,
        403,
        NOT_OWN,
    );
    assert_ne!(
        app.core.account_named("carol").await.unwrap().timezone,
        "Europe/Berlin"
    );
}

#[tokio::test]
async fn an_administrator_renames_remails_promotes_and_blocks_another_account() {
    let app = spawn_app().await;
    app.create_account("admin", "pw", &["administrator"]).await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let root = session(&app, "admin", "pw").await;
    let victim = session(&app, "bob", "pw").await;
    let edit = json!({
        "name": [{"value": "robert"}],
        "mail": [{"value": "robert@example.com"}],
        "roles": [{"target_id": "editor"}],
    });
    let (status, user) = patch(&app, &root, bob.id, edit).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["name"], json!([{"value": "robert"}]));
    assert_eq!(user["mail"], json!([{"value": "robert@example.com"}]));
    assert_eq!(user["roles"][0]["target_id"], "editor", "{user}");
    assert_eq!(app.login_status(&victim.client).await, "1");
    // The answer renders the account as the change left it, which is what is stored.
    let edit = json!({
        "timezone": [{"value": "Europe/Berlin"}],
        "roles": [{"target_id": "writer"}, {"target_id": "editor"}, {"target_id": "writer"}],
    });
    let (status, user) = patch(&app, &root, bob.id, edit).await;
    assert_eq!(status, 200, "{user}");
    let (_, read) = get_user(&app, &root.client, bob.id).await;
    assert_eq!(user, read, "the PATCH answer and a fresh read agree");
    let stored = app.core.account_named("robert").await.unwrap();
    assert_eq!(stored.roles, ["editor", "writer"]);
    assert_eq!(stored.timezone, "Europe/Berlin");

    let (status, user) = patch(&app, &root, bob.id, json!({"status": [{"value": false}]})).await;
    assert_eq!(
        (status, &user["status"]),
        (200, &json!([{"value": false}])),
        "{user}"
    );
    assert_eq!(app.login_status(&victim.client).await, "0");
    let blocked = app.login(&new_client(), "robert", "pw").await;
    assert_eq!(blocked.status(), 400);
}

#[tokio::test]
async fn renaming_to_a_name_taken_in_another_letter_case_is_refused() {
    let app = spawn_app().await;
    app.create_account("admin", "pw", &["administrator"]).await;
    app.create_account("carol", "pw", &[]).await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let root = session(&app, "admin", "pw").await;
    let rename = json!({"name": [{"value": "CAROL"}]});
    invalid(
        patch(&app, &root, bob.id, rename).await,
        "name: The username CAROL is already taken.",
    );
    assert_eq!(app.core.account_named("bob").await.unwrap().id, bob.id);
}

#[tokio::test]
async fn a_patch_may_not_change_the_uid_or_the_creation_time() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let me = session(&app, "bob", "pw").await;
    let other_uid = json!({"uid": [{"value": bob.id + 1}]});
    refused(
        patch(&app, &me, bob.id, other_uid).await,
        403,
        "Access denied on updating field 'uid'.",
    );
    let created = json!({"created": [{"value": "2020-01-01T00:00:00+00:00"}]});
    refused(
        patch(&app, &me, bob.id, created).await,
        403,
        "Access denied on updating field 'created'.",
    );
    let same_uid = json!({"uid": [{"value": bob.id}], "timezone": [{"value": "Asia/Tokyo"}]});
    let (status, body) = patch(&app, &me, bob.id, same_uid).await;
    assert_eq!(status, 200, "{body}");
}
