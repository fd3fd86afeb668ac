//! `X-Request-Id`: taken from the client when usable, made up otherwise, always returned, and
//! readable by the pages of an origin allowed by CORS.

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn every_answer_carries_a_request_id_that_cors_pages_may_read() {
    let app =
        spawn_app_with(|c| c.http.cors_origins = vec!["https://app.example.com".parse().unwrap()])
            .await;
    let given = app
        .client
        .get(app.url("/session/token"))
        .header("X-Request-Id", "lb-7f3a.1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-7f3a.1");

    let unknown_route = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_route.status(), 404);
    let made_up = unknown_route.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid_like(made_up), "{made_up}");

    let too_long = "a".repeat(129);
    let replaced = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", &too_long)
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid_like(id), "{id}");

    let from_page = app
        .client
        .get(app.url("/session/token"))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    let exposed = from_page.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}
