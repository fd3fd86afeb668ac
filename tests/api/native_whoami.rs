//! `GET /latch/whoami`: the caller's account, session and CSRF token.

use crate::helpers::{body_json, message_of, spawn_app};
use crate::native_support::{
    django_session, drupal_session, get_with, platformos_session, services_session,
};

#[tokio::test]
async fn whoami_describes_the_account_and_the_session() {
    let app = spawn_app().await;
    let account = app.create_account("alice", "secret", &["editor"]).await;
    let (name, cookie) = drupal_session(&app, "alice", "secret").await;
    let response = get_with(&app, "/latch/whoami", &[(name, &cookie)]).await;
    assert_eq!(response.status(), 200);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(body["id"], account.id);
    assert_eq!(body["uuid"], account.uuid.as_str());
    assert_eq!(body["name"], "alice");
    assert_eq!(body["mail"], "alice@example.com");
    assert_eq!(
        body["roles"],
        serde_json::json!(["authenticated", "editor"])
    );
    assert_eq!(body["session"]["dialect"], "drupal");
    let created = body["session"]["created_at"].as_i64().unwrap();
    let expires = body["session"]["expires_at"].as_i64().unwrap();
    assert!(created <= latch::core::now() && created < expires);
    // The token Drupal's /session/token gives for the same session, which every dialect
    // that reads X-CSRF-Token accepts.
    let token = get_with(&app, "/session/token", &[(name, &cookie)])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body["csrf_token"], token.as_str());
    let response = app
        .patch_user(
            &reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::COOKIE,
                        reqwest::header::HeaderValue::from_str(&cookie).unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
            body["csrf_token"].as_str().unwrap(),
            account.id,
            &serde_json::json!({"timezone": [{"value": "Europe/Paris"}]}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn whoami_names_the_dialect_that_opened_the_session() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    for (credential, dialect) in [
        (django_session(&app, "bob", "secret").await, "django"),
        (services_session(&app, "bob", "secret").await, "services"),
        (
            platformos_session(&app, "bob@example.com", "secret").await,
            "platformos",
        ),
    ] {
        let (name, value) = &credential;
        let response = get_with(&app, "/latch/whoami", &[(name, value)]).await;
        assert_eq!(response.status(), 200, "{dialect}");
        let body = body_json(&response.text().await.unwrap());
        assert_eq!(body["name"], "bob");
        assert_eq!(body["session"]["dialect"], dialect);
    }
}

#[tokio::test]
async fn without_a_session_whoami_says_what_to_send() {
    let app = spawn_app().await;
    for headers in [
        vec![],
        vec![("Cookie", "sessionid=%%%")],
        vec![("X-Session-Token", "unknown")],
    ] {
        let response = get_with(&app, "/latch/whoami", &headers).await;
        assert_eq!(response.status(), 401, "{headers:?}");
        let message = message_of(response).await;
        assert!(message.contains("X-Session-Token"), "{message}");
    }
}
