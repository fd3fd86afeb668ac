//! The Services dialect shares accounts and sessions with the Drupal 8+ one; formats, API
//! versions, configuration, and the actions beyond login.

use latch::config::ServicesApiVersion;
use latch::core::accounts::RegistrationMode;
use serde_json::json;

use crate::helpers::{new_client, spawn_app, spawn_app_with};
use crate::services_support::{Answer, Encoding, bare_client, text_of};

#[tokio::test]
async fn an_account_registered_here_logs_in_through_the_drupal_8_dialect() {
    let app = spawn_app().await;
    let fields = json!({"account": {"name": "dee", "mail": "dee@example.com", "pass": {"pass1": "dee-pass", "pass2": "dee-pass"}}});
    let answer = app
        .services_post("user/register", &fields, Encoding::Multipart, None, None)
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = app.logged_in(&new_client(), "dee", "dee-pass").await;
    assert_eq!(body["current_user"]["uid"], answer.json()["uid"]);
}

#[tokio::test]
async fn an_account_registered_through_drupal_8_logs_in_here() {
    let app = spawn_app().await;
    let response = app
        .register_simple("eve", "eve@example.com", "eve-pass")
        .await;
    assert_eq!(response.status(), 200);
    let (cookie, _) = app.services_login("eve", "eve-pass").await;
    assert!(cookie.starts_with("SESS"));
}

#[tokio::test]
async fn a_session_opened_here_is_recognised_by_the_drupal_8_dialect() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let (cookie, _) = app.services_login("bob", "secret-pass").await;
    let status = text_of(
        bare_client()
            .get(app.url("/user/login_status?_format=json"))
            .header("Cookie", cookie),
    )
    .await;
    assert_eq!(status, "1");
}

#[tokio::test]
async fn a_drupal_8_session_is_recognised_here() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret-pass").await;
    let token = text_of(client.get(app.url("/services/session/token"))).await;
    let connect = client
        .post(app.url("/rest/system/connect.json"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", token)
        .send()
        .await
        .unwrap();
    let answer = Answer::of(connect).await;
    assert_eq!(answer.json()["user"]["name"], "bob", "{answer:?}");
}

#[tokio::test]
async fn answers_are_xml_by_suffix_or_accept_header() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let fields = json!({"username": "bob", "password": "secret-pass"});
    let by_suffix = app
        .services_post("user/login.xml", &fields, Encoding::Xml, None, None)
        .await;
    assert!(
        by_suffix.text.contains("<result><sessid>")
            && by_suffix
                .text
                .contains("<roles is_array=\"true\"><item>authenticated user</item></roles>"),
        "{by_suffix:?}"
    );
    let by_accept = app
        .services(&bare_client(), "user/token")
        .header("Content-Type", "application/json")
        .header("Accept", "text/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_accept.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    assert_eq!(by_accept.headers()["vary"], "Accept");
    let error = app
        .services_json(
            "user/login.xml",
            &json!({"username": "bob", "password": "no"}),
        )
        .await;
    assert!(
        error
            .text
            .ends_with("<result>Wrong username or password.</result>\n"),
        "{error:?}"
    );
}

#[tokio::test]
async fn api_1_1_takes_name_and_pass_by_header_or_configuration() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    let by_header = app
        .services(&bare_client(), "user/login")
        .header("Content-Type", "application/json")
        .header("services_user_login_version", "1.1")
        .body(json!({"name": "bob", "pass": "secret-pass"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    let configured = spawn_app_with(|c| c.services.api_version = ServicesApiVersion::V1_1).await;
    configured.create_account("bob", "secret-pass", &[]).await;
    let fields = json!({"name": "bob", "pass": "secret-pass"});
    let answer = configured
        .services_post("user/login", &fields, Encoding::Multipart, None, None)
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = answer.json();
    let cookie = answer.session_cookie();
    let token = body["token"].as_str().unwrap();
    let logout = configured
        .services_post(
            "user/logout",
            &json!({}),
            Encoding::Json,
            Some(&cookie),
            Some(token),
        )
        .await;
    assert_eq!(
        logout.json()["roles"],
        json!({"1": "anonymous user"}),
        "{logout:?}"
    );
}

#[tokio::test]
async fn the_endpoint_path_is_configurable_and_the_dialect_can_be_switched_off() {
    let moved = spawn_app_with(|c| c.services.endpoint = "api/v1".into()).await;
    let connect = bare_client()
        .post(moved.url("/api/v1/system/connect"))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(connect.status(), 200);
    let off = spawn_app_with(|c| c.services.enabled = false).await;
    for path in ["/rest/system/connect", "/services/session/token"] {
        let response = bare_client().post(off.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_visitor_who_registers_without_approval_is_logged_in() {
    let app = spawn_app().await;
    let fields = json!({"name": "fay", "mail": "fay@example.com", "pass": "fay-pass"});
    let answer = app.services_json("user/register", &fields).await;
    let cookie = answer.set_cookie.expect("a session cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let token = app.services_token(Some(&cookie)).await;
    let connect = app
        .services_post(
            "system/connect",
            &json!({}),
            Encoding::Json,
            Some(&cookie),
            Some(&token),
        )
        .await;
    assert_eq!(connect.json()["user"]["name"], "fay");
}

#[tokio::test]
async fn a_visitor_awaiting_approval_or_verification_is_not_logged_in() {
    let pending =
        spawn_app_with(|c| c.registration.mode = RegistrationMode::VisitorsAdminApproval).await;
    let fields = json!({"name": "gus", "mail": "gus@example.com", "pass": "gus-pass"});
    let answer = pending.services_json("user/register", &fields).await;
    assert_eq!((answer.status, answer.set_cookie), (200, None));
    // With verification on, the visitor's password is ignored, as in Drupal 7.
    let verifying = spawn_app_with(|c| c.registration.verify_mail = true).await;
    let answer = verifying.services_json("user/register", &fields).await;
    assert_eq!(
        (answer.status, answer.set_cookie),
        (200, None),
        "{:?}",
        answer.text
    );
    let login = verifying
        .services_json(
            "user/login",
            &json!({"username": "gus", "password": "gus-pass"}),
        )
        .await;
    assert_eq!(login.status, 401);
}

#[tokio::test]
async fn administrators_create_accounts_with_status_roles_and_notice() {
    let app = spawn_app().await;
    app.create_account("ann", "secret-pass", &["administrator"])
        .await;
    let (cookie, token) = app.services_login("ann", "secret-pass").await;
    let fields = json!({"name": "hal", "mail": "hal@example.com", "pass": "hal-pass", "status": "1", "notify": "1", "roles": {"3": "3", "editor": "editor"}});
    let answer = app
        .services_post(
            "user",
            &fields,
            Encoding::Multipart,
            Some(&cookie),
            Some(&token),
        )
        .await;
    assert_eq!(
        (answer.status, answer.set_cookie.clone()),
        (200, None),
        "{answer:?}"
    );
    let hal = app.core.account_named("hal").await.unwrap();
    assert_eq!(hal.roles, ["administrator", "editor"]);
    let kinds: Vec<String> = app.outbox().await.into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["register_admin_created"]);
}

#[tokio::test]
async fn password_requests_answer_true_whether_or_not_the_account_exists() {
    let app = spawn_app().await;
    app.create_account("bob", "secret-pass", &[]).await;
    for name in ["bob", "bob@example.com", "nobody"] {
        let answer = app
            .services_json("user/request_new_password", &json!({"name": name}))
            .await;
        assert_eq!(
            (answer.status, answer.json()),
            (200, json!([true])),
            "{name}"
        );
    }
    let recipients = app.outbox_lines().await;
    assert_eq!(
        recipients,
        [
            "password_reset bob@example.com",
            "password_reset bob@example.com"
        ]
    );
    app.services_json("user/request_new_password", &json!({}))
        .await
        .assert_error(
            401,
            "Unauthorized : Missing required argument name",
            "Missing required argument name",
        );
}
