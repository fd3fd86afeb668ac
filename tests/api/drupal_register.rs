//! `POST /user/register?_format=json` and `POST /user/password?_format=json` (spec A5, A6, A10).

use latch::core::accounts::{AccountState, RegistrationMode};
use latch::store::QueuedMail;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, spawn_app, spawn_app_with};

const INVALID: &str = "Unprocessable Entity: validation failed.\n";

/// A list-shaped registration body.
fn user(name: impl Into<Value>, mail: &str, pass: &str) -> Value {
    let item = |v: Value| json!([{ "value": v }]);
    json!({"name": item(name.into()), "mail": item(mail.into()), "pass": item(pass.into())})
}

fn bob(pass: &str) -> Value {
    user("bob", "bob@example.com", pass)
}

fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().unwrap().remove(field);
    body
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

async fn post(app: &TestApp, path: &str, body: String) -> (u16, String) {
    let request = new_client().post(app.url(path));
    let request = request
        .header("Content-Type", "application/json")
        .body(body);
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Registers anonymously; returns the status and the JSON body.
async fn register(app: &TestApp, body: &Value) -> (u16, Value) {
    let (status, text) = post(app, "/user/register?_format=json", body.to_string()).await;
    (status, body_json(&text))
}

/// Asserts a refusal with exactly `message` that leaves no account and no mail behind.
async fn refused(app: &TestApp, body: &Value, status: u16, message: &str) {
    let (accounts, mails) = (app.account_count().await, app.outbox().await.len());
    let (got, json) = register(app, body).await;
    let left = (app.account_count().await, app.outbox().await.len());
    let (outcome, expected) = ((got, json["message"].as_str()), (status, Some(message)));
    assert_eq!((outcome, left), (expected, (accounts, mails)), "{body}");
}

async fn invalid(app: &TestApp, body: &Value, line: &str) {
    refused(app, body, 422, &format!("{INVALID}{line}\n")).await;
}

/// The status and the `message` of an answer.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, body_json(&text)["message"].clone())
}

async fn login_message(app: &TestApp, name: &str, pass: &str) -> (u16, Value) {
    answer(app.login(&new_client(), name, pass).await).await
}

async fn set_state(app: &TestApp, name: &str, state: AccountState) {
    app.core.set_account_state(name, state).await.unwrap();
}

fn mails_of(outbox: &[QueuedMail], kind: &str) -> Vec<String> {
    outbox
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| m.recipient.clone())
        .collect()
}

fn assert_drupal_date(field: &Value) {
    let value = field[0]["value"].as_str().unwrap_or_default();
    let shape: String = value
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99+99:99", "{field}");
    assert!(value.ends_with("+00:00"), "{value}");
    assert_eq!(field[0]["format"], "Y-m-d\\TH:i:sP");
}

#[tokio::test]
async fn a_visitor_registers_an_active_account_and_sees_it_as_anonymous_without_logging_in() {
    let app = spawn_app().await;
    let client = new_client();
    let response = app.register(&client, &bob("s3cret")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    let user = body_json(&response.text().await.unwrap());
    let account = app.core.account_named("bob").await.unwrap();
    assert_eq!(user["uid"], json!([{"value": account.id}]));
    assert_eq!(user["uuid"][0]["value"], account.uuid);
    assert_eq!(user["name"], json!([{"value": "bob"}]));
    assert!(user["langcode"][0]["value"].is_string());
    assert!(user["default_langcode"][0]["value"].is_boolean());
    assert_drupal_date(&user["created"]);
    assert_drupal_date(&user["changed"]);
    for hidden in ["mail", "pass", "roles", "status"] {
        assert!(
            user.get(hidden).is_none(),
            "{hidden} shown to anonymous: {user}"
        );
    }
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        mails_of(&outbox, "register_no_approval_required"),
        ["bob@example.com"]
    );
    assert!(account.is_active());
    assert_eq!(app.login_status(&client).await, "0");
    app.logged_in(&client, "bob", "s3cret").await;
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn the_seed_curl_body_with_single_objects_registers_an_account() {
    let app = spawn_app().await;
    let response = new_client()
        .post(app.url("/user/register?_format=json"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", "57sTS-KS7UoYAWAPyzt0iJmo300CFct3jdKyWM-UiiQ")
        .body(r#"{"name": {"value": "thename123"}, "pass": {"value": "thepass"}, "mail": {"value": "someone@example.com"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let user = body_json(&response.text().await.unwrap());
    assert_eq!(user["name"][0]["value"], "thename123");
    assert!(
        user["uuid"][0]["value"]
            .as_str()
            .is_some_and(|u| u.len() == 36)
    );
    let login = app.logged_in(&new_client(), "thename123", "thepass").await;
    assert_eq!(login["current_user"]["name"], "thename123");
}

#[tokio::test]
async fn an_empty_body_or_a_uid_is_refused_with_400() {
    let app = spawn_app().await;
    let (status, text) = post(&app, "/user/register?_format=json", String::new()).await;
    let message = "No user account data for registration received.";
    assert_eq!(
        (status, body_json(&text)["message"].clone()),
        (400, json!(message))
    );
    let body = with(bob("s3cret"), "uid", json!([{"value": 7}]));
    let message = "An ID has been set and only new user accounts can be registered.";
    refused(&app, &body, 400, message).await;
}

#[tokio::test]
async fn a_logged_in_caller_needs_the_csrf_header_and_then_cannot_register() {
    let app = spawn_app().await;
    app.create_account("alice", "pw", &[]).await;
    let client = new_client();
    app.logged_in(&client, "alice", "pw").await;
    let send = |token: Option<String>, body: Value| {
        let mut request = client
            .post(app.url("/user/register?_format=json"))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("X-CSRF-Token", token);
        }
        async move { answer(request.body(body.to_string()).send().await.unwrap()).await }
    };
    let missing = json!("X-CSRF-Token request header is missing");
    assert_eq!(send(None, bob("s3cret")).await, (403, missing));
    let token = app.session_token(&client).await;
    let only_anonymous = json!("Only anonymous users can register a user.");
    assert_eq!(
        send(Some(token.clone()), bob("s3cret")).await,
        (403, only_anonymous)
    );
    let with_uid = with(bob("s3cret"), "uid", json!([{"value": 9}]));
    let (status, _) = send(Some(token), with_uid).await;
    assert_eq!(status, 400, "the uid check comes first");
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn admin_only_mode_refuses_visitors() {
    let app = spawn_app_with(|c| c.registration.mode = RegistrationMode::AdminOnly).await;
    let message = "You cannot register a new user account.";
    refused(&app, &bob("s3cret"), 403, message).await;
}

#[tokio::test]
async fn a_password_is_required_unless_mails_are_verified() {
    let app = spawn_app().await;
    let no_pass = without(bob(""), "pass");
    refused(&app, &no_pass, 422, "No password provided.").await;
    refused(&app, &bob(""), 422, "No password provided.").await;
    let with_roles = with(no_pass, "roles", json!([{"target_id": "administrator"}]));
    refused(&app, &with_roles, 422, "No password provided.").await;
}

#[tokio::test]
async fn with_verify_mail_a_password_is_refused_and_a_login_link_is_mailed_instead() {
    let app = spawn_app_with(|c| {
        c.registration.verify_mail = true;
        c.public_url = "https://login.example.test".into();
    })
    .await;
    let message = "A Password cannot be specified. It will be generated on login.";
    refused(&app, &bob("s3cret"), 422, message).await;
    let (status, user) = register(&app, &without(bob(""), "pass")).await;
    assert_eq!(status, 200, "{user}");
    let uid = user["uid"][0]["value"].as_i64().unwrap();
    let unrecognized = json!("Sorry, unrecognized username or password.");
    for guess in ["s3cret", "anything", "bob"] {
        assert_eq!(
            login_message(&app, "bob", guess).await,
            (400, unrecognized.clone())
        );
    }
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        mails_of(&outbox, "register_no_approval_required"),
        ["bob@example.com"]
    );
    let body = &app.mail_text(outbox[0].id).await;
    let prefix = format!("https://login.example.test/user/reset/{uid}/");
    let start = body
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link: {body}"));
    let tail = body[start + prefix.len()..]
        .split_whitespace()
        .next()
        .unwrap();
    let (timestamp, hash) = tail.split_once('/').unwrap_or_else(|| panic!("{tail}"));
    assert!(
        timestamp.parse::<i64>().is_ok_and(|t| t > 1_600_000_000),
        "{tail}"
    );
    assert!(!hash.is_empty() && !hash.contains('/'), "{tail}");
}

#[tokio::test]
async fn anonymous_visitors_cannot_set_roles_status_created_or_unknown_fields() {
    let app = spawn_app().await;
    let cases = [
        ("roles", json!([{"target_id": "administrator"}])),
        ("status", json!([{"value": true}])),
        ("created", json!([{"value": "2020-01-01T00:00:00+00:00"}])),
    ];
    for (field, value) in cases {
        let message = format!("Access denied on creating field '{field}'.");
        refused(&app, &with(bob("s3cret"), field, value), 403, &message).await;
    }
    let body = with(bob("pw"), "favourite_colour", json!([{"value": "blue"}]));
    refused(&app, &body, 422, "Field favourite_colour is unknown.").await;
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn username_rules_are_enforced_with_drupal_messages() {
    let app = spawn_app().await;
    let long = "a".repeat(61);
    let too_long =
        format!("name: The username {long} is too long: it must be 60 characters or less.");
    let cases = [
        (" bob", "name: The username cannot begin with a space."),
        ("bob ", "name: The username cannot end with a space."),
        (
            "b  ob",
            "name: The username cannot contain multiple spaces in a row.",
        ),
        (
            "bob<script>",
            // Drupal 10.3's wording (UserNameConstraint::$illegalMessage).
            "name: The username contains an illegal character.",
        ),
        (long.as_str(), too_long.as_str()),
    ];
    for (name, line) in cases {
        invalid(&app, &user(name, "bob@example.com", "pw"), line).await;
    }
    let missing = without(bob("pw"), "name");
    invalid(&app, &missing, "name: You must enter a username.").await;
}

#[tokio::test]
async fn mail_rules_are_enforced_with_drupal_messages() {
    let app = spawn_app().await;
    let long = format!("{}@example.com", "a".repeat(243));
    let too_long = "mail: Email: the email address can not be longer than 254 characters.";
    let cases = [
        (
            "not-an-email",
            "mail: This value is not a valid email address.",
        ),
        (long.as_str(), too_long),
    ];
    for (mail, line) in cases {
        invalid(&app, &user("bob", mail, "pw"), line).await;
    }
    let missing = without(bob("pw"), "mail");
    invalid(&app, &missing, "mail: Email field is required.").await;
}

#[tokio::test]
async fn taken_names_and_mails_are_refused_whatever_their_letter_case() {
    let app = spawn_app().await;
    app.create_account("bob", "pw", &[]).await;
    for name in ["bob", "BOB"] {
        let line = format!("name: The username {name} is already taken.");
        invalid(&app, &user(name, "new@example.com", "pw"), &line).await;
    }
    let mail_line = "mail: The email address Bob@Example.com is already taken.";
    invalid(&app, &user("robert", "Bob@Example.com", "pw"), mail_line).await;
    let both = format!("name: The username Bob is already taken.\n{mail_line}");
    invalid(&app, &user("Bob", "Bob@Example.com", "pw"), &both).await;
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn a_wrongly_typed_name_or_an_overlong_password_is_unprocessable() {
    let app = spawn_app().await;
    let line = "name.0.value: This value should be of the correct primitive type.";
    invalid(&app, &user(5, "bob@example.com", "pw"), line).await;
    let (status, json) = register(&app, &bob(&"p".repeat(513))).await;
    let message = json["message"].as_str().unwrap_or_default();
    assert_eq!(status, 422, "{json}");
    assert!(message.starts_with(INVALID), "{message}");
    let line = "pass: The password cannot be longer than 512 bytes.\n";
    assert!(message.contains(line), "{message}");
    assert_eq!(
        app.account_count().await + app.outbox().await.len() as i64,
        0
    );
}

/// Registers bob, who then cannot log in yet.
async fn pending_registration(app: &TestApp) {
    let (status, user) = register(app, &bob("s3cret")).await;
    assert_eq!(status, 200, "{user}");
    let inactive = json!("The user has not been activated or is blocked.");
    assert_eq!(login_message(app, "bob", "s3cret").await, (400, inactive));
}

#[tokio::test]
async fn admin_approval_mode_keeps_the_account_pending_and_tells_the_site_mail() {
    let app = spawn_app_with(|c| {
        c.registration.mode = RegistrationMode::VisitorsAdminApproval;
        c.site_mail = "site@example.org".into();
    })
    .await;
    app.create_account("admin", "pw", &["administrator"]).await;
    pending_registration(&app).await;
    let outbox = app.outbox().await;
    let to = |kind| mails_of(&outbox, kind);
    assert_eq!(to("register_pending_approval"), ["bob@example.com"]);
    assert_eq!(to("register_pending_approval_admin"), ["site@example.org"]);
    assert!(to("register_no_approval_required").is_empty());

    set_state(&app, "bob", AccountState::Active).await;
    app.logged_in(&new_client(), "bob", "s3cret").await;
    let activated = mails_of(&app.outbox().await, "status_activated");
    assert_eq!(activated, ["bob@example.com"]);
}

#[tokio::test]
async fn admin_approval_mode_without_a_site_mail_tells_every_active_administrator() {
    let app =
        spawn_app_with(|c| c.registration.mode = RegistrationMode::VisitorsAdminApproval).await;
    for name in ["root", "chief", "retired"] {
        app.create_account(name, "pw", &["administrator"]).await;
    }
    app.create_account("editor", "pw", &["editor"]).await;
    set_state(&app, "retired", AccountState::Blocked).await;
    pending_registration(&app).await;
    let mut admins = mails_of(&app.outbox().await, "register_pending_approval_admin");
    admins.sort();
    assert_eq!(admins, ["chief@example.com", "root@example.com"]);
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_name_create_exactly_one_account() {
    let app = spawn_app().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = app.url("/user/register?_format=json");
        let body = user("bob", &format!("bob{i}@example.com"), "pw");
        tasks.spawn(async move {
            let request = new_client()
                .post(url)
                .header("Content-Type", "application/json");
            let response = request.body(body.to_string()).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let taken = results
        .iter()
        .filter(|(s, t)| *s == 422 && t.contains("is already taken"));
    assert_eq!((ok, taken.count()), (1, 19), "{results:?}");
    assert_eq!(app.account_count().await, 1);
}

/// Asks for a reset link; the answer is always an empty 200.
async fn ask_reset(app: &TestApp, body: Value) {
    let outcome = post(app, "/user/password?_format=json", body.to_string()).await;
    assert_eq!(outcome, (200, String::new()), "{body}");
}

#[tokio::test]
async fn a_password_request_without_name_or_mail_is_refused() {
    let app = spawn_app().await;
    let (status, text) = post(&app, "/user/password?_format=json", "{}".into()).await;
    let expected = json!("Missing credentials.name or credentials.mail");
    assert_eq!(
        (status, body_json(&text)["message"].clone()),
        (400, expected)
    );
}

#[tokio::test]
async fn a_password_request_by_name_or_mail_queues_a_reset_link_and_the_name_wins() {
    let app = spawn_app().await;
    let bob = app.create_account("bob", "pw", &[]).await;
    app.create_account("carol", "pw", &[]).await;
    ask_reset(&app, json!({"name": " bob "})).await;
    ask_reset(&app, json!({"mail": " BOB@Example.com "})).await;
    ask_reset(&app, json!({"name": "bob", "mail": "carol@example.com"})).await;
    let outbox = app.outbox().await;
    assert_eq!(mails_of(&outbox, "password_reset"), ["bob@example.com"; 3]);
    let link = format!("/user/reset/{}/", bob.id);
    for mail in &outbox {
        assert!(app.mail_text(mail.id).await.contains(&link), "{mail:?}");
    }
}

#[tokio::test]
async fn unknown_or_blocked_accounts_get_the_same_silent_200() {
    let app = spawn_app().await;
    app.create_account("bob", "pw", &[]).await;
    app.create_account("mallory", "pw", &[]).await;
    set_state(&app, "mallory", AccountState::Blocked).await;
    ask_reset(&app, json!({"name": "nobody"})).await;
    ask_reset(&app, json!({"mail": "nobody@example.com"})).await;
    ask_reset(&app, json!({"name": "mallory"})).await;
    assert!(app.outbox().await.is_empty());
}
