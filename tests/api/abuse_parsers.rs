//! Bodies built to break the parsers: values nested tens of thousands of levels deep (which
//! overflow the stack when built or dropped, aborting the whole process) and forms of
//! thousands of fields. Each is refused with a 400 in the dialect's error shape, and the
//! server goes on serving.

use reqwest::Client;

use crate::helpers::{TestApp, new_client, spawn_app_with};
use crate::services_support::{Answer, bare_client, curl_multipart};

const TOO_DEEP: &str = "The request body is nested more than 64 levels deep. Send flatter data.";
const TOO_MANY: &str = "The request body has more than 1000 fields. Send fewer fields.";

/// Room for the deeper XML and JSON attacks, which take more bytes per level.
const BIG_BODIES: usize = 1 << 20;

async fn app() -> TestApp {
    let app = spawn_app_with(|c| {
        c.services.urlencoded = true;
        c.http.body_limit = BIG_BODIES;
    })
    .await;
    app.create_account("bob", "secret pass", &[]).await;
    app
}

/// The server still answers, and still logs people in, in every dialect touched here.
async fn still_serving(app: &TestApp) {
    app.services_login("bob", "secret pass").await;
    app.logged_in(&new_client(), "bob", "secret pass").await;
}

async fn services_post(app: &TestApp, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
    let response = app
        .services(&bare_client(), "user/login.json")
        .header("Content-Type", content_type)
        .body(body.into())
        .send()
        .await
        .expect("the server answers instead of dying");
    Answer::of(response).await
}

fn deep_json(depth: usize) -> String {
    format!(
        "{{\"name\":{}\"bob\"{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn a_multipart_field_name_nested_32000_deep_is_a_400_and_the_server_keeps_serving() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("bob", "secret pass", &[]).await;
    for name in [
        format!("a{}", "[]".repeat(32_000)),
        format!("a{}", "[b]".repeat(21_000)),
    ] {
        let (content_type, body) = curl_multipart(&[(name, "1".into())]);
        assert!(body.len() <= 65_536, "fits the default body limit");
        services_post(&app, &content_type, body).await.assert_error(
            400,
            &format!(": {TOO_DEEP}"),
            TOO_DEEP,
        );
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn deeply_nested_urlencoded_and_xml_bodies_are_a_400_and_the_server_keeps_serving() {
    let app = app().await;
    let urlencoded = "application/x-www-form-urlencoded";
    for body in [
        format!("a{}=1", "[]".repeat(32_000)),
        format!("a{}=1", "[b]".repeat(300_000)),
    ] {
        services_post(&app, urlencoded, body).await.assert_error(
            400,
            &format!(": {TOO_DEEP}"),
            TOO_DEEP,
        );
    }
    let depth = 140_000;
    let xml = format!(
        "<data>{}x{}</data>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    services_post(&app, "application/xml", xml)
        .await
        .assert_error(400, &format!(": {TOO_DEEP}"), TOO_DEEP);
    // Nesting within the limit is still read.
    let fine = format!("username{}=bob&password=x", "[a]".repeat(63));
    let answer = services_post(&app, urlencoded, fine).await;
    assert_eq!(answer.status, 401, "{answer:?}");
    still_serving(&app).await;
}

#[tokio::test]
async fn deeply_nested_json_is_a_400_in_every_dialect_and_the_server_keeps_serving() {
    let app = app().await;
    let body = deep_json(300_000);
    services_post(&app, "application/json", body.clone())
        .await
        .assert_error(400, &format!(": {TOO_DEEP}"), TOO_DEEP);
    let client = Client::new();
    let drupal = post_json(&client, &app, "/user/login?_format=json", &body).await;
    assert_eq!(drupal, (400, serde_json::json!({"message": TOO_DEEP})));
    let django = post_json(&client, &app, "/dj-rest-auth/login/", &body).await;
    assert_eq!(
        django,
        (
            400,
            serde_json::json!({"detail": format!("JSON parse error - {TOO_DEEP}")})
        )
    );
    let (status, platformos) = post_json(&client, &app, "/api/sessions", &body).await;
    assert_eq!(status, 400, "{platformos}");
    assert!(platformos.to_string().contains(TOO_DEEP), "{platformos}");
    still_serving(&app).await;
}

async fn post_json(
    client: &Client,
    app: &TestApp,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let response = app.post_json(client, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_form_of_more_than_1000_fields_is_a_400_in_every_form_dialect() {
    let app = app().await;
    let urlencoded = "application/x-www-form-urlencoded";
    // The body that took quadratic time: as many `a[]=` as fit the default body limit.
    let appends = "a[]=&".repeat(13_000);
    services_post(&app, urlencoded, appends.clone())
        .await
        .assert_error(400, &format!(": {TOO_MANY}"), TOO_MANY);
    let pairs: Vec<(String, String)> = (0..1001).map(|_| ("a[]".into(), "1".into())).collect();
    let (content_type, body) = curl_multipart(&pairs);
    services_post(&app, &content_type, body.clone())
        .await
        .assert_error(400, &format!(": {TOO_MANY}"), TOO_MANY);
    // A thousand fields are still read: the login fails on its credentials, not the form.
    let at_limit = format!("{}username=bob&password=x", "a[]=&".repeat(998));
    let answer = services_post(&app, urlencoded, at_limit).await;
    assert_eq!(answer.status, 401, "{answer:?}");

    let client = Client::new();
    for (content_type, body) in [
        (urlencoded.to_string(), appends.into_bytes()),
        (content_type, body),
    ] {
        let response = client
            .post(app.url("/dj-rest-auth/login/"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json, serde_json::json!({ "detail": TOO_MANY }));
    }
    still_serving(&app).await;
}
