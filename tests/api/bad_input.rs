use reqwest::Client;
use serde_json::Value;

use crate::helpers::{TestApp, body_json, message_of, new_client, spawn_app, spawn_app_with};

/// The routes that take a JSON body.
const BODY_ROUTES: [&str; 3] = [
    "/user/login?_format=json",
    "/user/register?_format=json",
    "/user/password?_format=json",
];

#[tokio::test]
async fn malformed_json_is_a_400_on_every_body_route() {
    let app = spawn_app().await;
    for route in BODY_ROUTES {
        for body in [
            r#"{"name": "bob", "pass": "#,
            "{name: bob}",
            "not json at all",
            "{}}",
        ] {
            let (status, json) = post(&app, route, body.as_bytes().to_vec()).await;
            assert_eq!(status, 400, "{route} {body}: {json}");
            let message = json["message"].as_str().unwrap();
            assert!(
                message.starts_with("The request body is not valid JSON"),
                "{route}: {message}"
            );
        }
    }
    assert_eq!(app.session_count().await, 0);
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn json_that_is_not_an_object_is_a_400_on_every_body_route() {
    let app = spawn_app().await;
    for route in BODY_ROUTES {
        for body in ["[]", r#""x""#, "5", "null", "true", r#"[{"name": "bob"}]"#] {
            let (status, json) = post(&app, route, body.as_bytes().to_vec()).await;
            assert_eq!(status, 400, "{route} {body}: {json}");
            let message = json["message"].as_str().unwrap();
            assert!(
                message.starts_with("The request body must be a JSON object"),
                "{route}: {message}"
            );
        }
    }
}

#[tokio::test]
async fn invalid_utf8_in_the_body_is_a_400_on_every_body_route() {
    let app = spawn_app().await;
    let bodies: [&[u8]; 3] = [
        b"{\"name\": \"\xff\xfe\", \"pass\": \"x\"}",
        b"\xc3\x28",
        b"\xef\xbb\xbf{}",
    ];
    for route in BODY_ROUTES {
        for body in bodies {
            let (status, json) = post(&app, route, body.to_vec()).await;
            assert_eq!(status, 400, "{route} {body:?}: {json}");
            assert!(json["message"].is_string(), "{json}");
        }
    }
}

#[tokio::test]
async fn a_body_over_the_default_limit_is_a_413() {
    let app = spawn_app().await;
    let big = format!(r#"{{"name": "bob", "pass": "{}"}}"#, "x".repeat(100 * 1024));
    for route in BODY_ROUTES {
        let (status, json) = post(&app, route, big.clone().into_bytes()).await;
        assert_eq!(status, 413, "{route}: {json}");
        assert_eq!(
            json["message"],
            "The request body is larger than the 65536-byte limit."
        );
    }
    assert_eq!(app.session_token(&new_client()).await.len(), 43);
}

#[tokio::test]
async fn the_body_limit_follows_the_configuration() {
    let app = spawn_app_with(|c| c.http.body_limit = 2048).await;
    let big = format!(r#"{{"name": "bob", "pass": "{}"}}"#, "x".repeat(4096));
    let (status, json) = post(&app, "/user/login?_format=json", big.into_bytes()).await;
    assert_eq!(status, 413);
    let message = json["message"].as_str().unwrap();
    assert!(message.contains("2048"), "{message}");
    let small = r#"{"name": "bob", "pass": "x"}"#;
    let (status, json) = post(&app, "/user/login?_format=json", small.as_bytes().to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(json["message"], "Sorry, unrecognized username or password.");
}

#[tokio::test]
async fn a_huge_header_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let response = Client::new()
        .get(app.url("/user/login_status?_format=json"))
        .header("X-Big", "a".repeat(200 * 1024))
        .send()
        .await
        .expect("hyper answers rather than dropping the connection");
    let status = response.status().as_u16();
    assert!(status == 431 || status == 400, "got {status}");
    let response = new_client()
        .get(app.url("/session/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap().len(), 43);
}

#[tokio::test]
async fn an_unknown_format_is_not_acceptable_on_every_json_route() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    let requests = [
        client.post(app.url("/user/login?_format=foo")).body("{}"),
        client.get(app.url("/user/login_status?_format=foo")),
        client.post(app.url("/user/logout?_format=foo&token=x")),
        client
            .post(app.url("/user/password?_format=xml"))
            .body("{}"),
        client
            .post(app.url("/user/register?_format=hal_json"))
            .body("{}"),
        client.get(app.url("/user/1?_format=xml")),
        client.patch(app.url("/user/1?_format=xml")).body("{}"),
    ];
    for request in requests {
        let response = request
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        let url = response.url().to_string();
        assert_eq!(response.status(), 406, "{url}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{url}"
        );
        assert_eq!(
            message_of(response).await,
            "No route found for the specified format. Supported formats: json."
        );
    }
}

#[tokio::test]
async fn registering_with_a_wrong_or_missing_content_type_is_a_415() {
    let app = spawn_app().await;
    let body = r#"{"name": {"value": "bob"}, "mail": {"value": "bob@example.com"}, "pass": {"value": "pw"}}"#;
    let url = app.url("/user/register?_format=json");
    let response = new_client()
        .post(&url)
        .header("Content-Type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        message_of(response).await,
        r#"No route found that matches "Content-Type: text/plain""#
    );
    let response = new_client().post(&url).body(body).send().await.unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        message_of(response).await,
        r#"No "Content-Type" request header specified"#
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let app = spawn_app().await;
    let response = new_client().get(app.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        message_of(response).await,
        r#"No route found for "GET /nope""#
    );
}

#[tokio::test]
async fn the_server_still_answers_after_a_barrage_of_garbage() {
    let app = spawn_app().await;
    let client = new_client();
    let garbage: [&[u8]; 6] = [
        b"\x00\x01\x02",
        b"{{{{{{{{",
        b"]",
        b"\xff",
        b"{\"name\": [1, {\"a\": null}]}",
        b"{\"pass\": {}}",
    ];
    for route in BODY_ROUTES {
        for body in garbage {
            let (status, _) = post(&app, route, body.to_vec()).await;
            assert!(
                (400..500).contains(&status),
                "{route} {body:?} gave {status}"
            );
        }
    }
    for path in [
        "/user/%ff",
        "/user/0?_format=json",
        "/user/-1",
        "/user/99999999999999999999999",
        "/%00",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert!(
            response.status().is_client_error(),
            "{path} gave {}",
            response.status()
        );
    }
    let response = client.get(app.url("/session/token")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap().len(), 43);
}

#[tokio::test]
async fn junk_cookies_are_treated_as_anonymous() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let response = app.login(&new_client(), "bob", "secret").await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let name = set_cookie.split('=').next().unwrap().to_string();
    let long: String = (0..5000)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    let cookies = [
        "SESSabc=%%%; other=1".to_string(),
        format!("{name}={long}"),
        format!("{name}=%%%; other=1"),
        format!("{name}="),
        format!("{name}=\"quoted\"; {name}=x"),
        format!("=; ;;{name}"),
    ];
    for cookie in cookies {
        let response = Client::new()
            .get(app.url("/user/login_status?_format=json"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{cookie}");
        assert_eq!(response.text().await.unwrap(), "0", "{cookie}");
        let login = Client::new()
            .post(app.url("/user/login?_format=json"))
            .header("Cookie", &cookie)
            .body(r#"{"name": "bob", "pass": "secret"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{cookie}");
    }
    assert_eq!(app.session_count().await, 7);
}

async fn post(app: &TestApp, route: &str, body: Vec<u8>) -> (u16, Value) {
    let response = new_client()
        .post(app.url(route))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, body_json(&text))
}

#[tokio::test]
async fn a_name_with_a_nul_is_an_unknown_name_not_a_server_error() {
    // PostgreSQL refuses a NUL in a text value; such a name must still read as no account.
    let app = spawn_app().await;
    let client = new_client();
    for body in [
        r#"{"name": "bo\u0000b", "pass": "secret"}"#,
        r#"{"name": "bob", "pass": "pa\u0000ss"}"#,
    ] {
        let response = app
            .post_json(&client, "/user/login?_format=json", body)
            .await;
        assert_eq!(response.status(), 400, "{body}");
    }
    let response = app
        .post_json(
            &client,
            "/user/password?_format=json",
            r#"{"name": "bo\u0000b"}"#,
        )
        .await;
    assert_eq!(response.status(), 200);
    let names = app
        .strings("SELECT account_name FROM audit_events WHERE account_name IS NOT NULL")
        .await;
    assert!(names.iter().any(|n| n == "bo\u{FFFD}b"), "{names:?}");
}
