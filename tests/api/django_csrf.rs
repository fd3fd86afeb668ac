//! Every CSRF failure reason of Django's middleware, in its order, as JSON for API clients and
//! as a page that explains itself for browsers; and every accepted case.

use reqwest::Client;
use serde_json::json;

use crate::django_support::*;
use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Django's masking, written independently of the server: `mask ‖ cipher`.
fn mask_with(secret: &str, mask: &str) -> String {
    let idx = |c: char| ALPHABET.find(c).unwrap();
    let cipher: String = secret
        .chars()
        .zip(mask.chars())
        .map(|(s, m)| ALPHABET.as_bytes()[(idx(s) + idx(m)) % 62] as char)
        .collect();
    format!("{mask}{cipher}")
}

/// A JSON POST to the login URL with a chosen cookie header and CSRF header.
async fn attempt(
    app: &TestApp,
    cookie: Option<&str>,
    header: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut request = Client::new()
        .post(app.url(LOGIN))
        .json(&json!({"username": "bench", "password": "correct horse"}));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("csrftoken={cookie}"));
    }
    if let Some(header) = header {
        request = request.header("X-CSRFToken", header);
    }
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    status_json(request.send().await.unwrap()).await
}

fn failed(reason: &str) -> serde_json::Value {
    json!({"detail": format!("CSRF Failed: {reason}")})
}

const SECRET: &str = "abcdefghijklmnopqrstuvwxyzABCDEF";

async fn app_with_bench() -> TestApp {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

#[tokio::test]
async fn without_the_cookie_the_reason_is_csrf_cookie_not_set() {
    let app = app_with_bench().await;
    assert_eq!(
        attempt(&app, None, Some(SECRET), &[]).await,
        (403, failed("CSRF cookie not set."))
    );
}

#[tokio::test]
async fn a_malformed_cookie_is_named_and_replaced() {
    let app = app_with_bench().await;
    assert_eq!(
        attempt(&app, Some("short"), Some(SECRET), &[]).await,
        (403, failed("CSRF cookie has incorrect length."))
    );
    let bad_chars = "-".repeat(32);
    assert_eq!(
        attempt(&app, Some(&bad_chars), Some(SECRET), &[]).await,
        (403, failed("CSRF cookie has invalid characters."))
    );
    let response = Client::new()
        .post(app.url(LOGIN))
        .header("Cookie", "csrftoken=short")
        .header("X-CSRFToken", SECRET)
        .send()
        .await
        .unwrap();
    let fresh = cookie_value(response.headers(), "csrftoken").expect("a new cookie");
    assert_eq!(fresh.len(), 32);
}

#[tokio::test]
async fn without_a_token_the_reason_is_csrf_token_missing() {
    let app = app_with_bench().await;
    assert_eq!(
        attempt(&app, Some(SECRET), None, &[]).await,
        (403, failed("CSRF token missing."))
    );
}

#[tokio::test]
async fn header_tokens_are_checked_for_length_characters_and_value() {
    let app = app_with_bench().await;
    let src = "CSRF token from the 'X-Csrftoken' HTTP header";
    for (token, reason) in [
        ("abc".to_string(), format!("{src} has incorrect length.")),
        // An empty header counts as present.
        (String::new(), format!("{src} has incorrect length.")),
        ("*".repeat(32), format!("{src} has invalid characters.")),
        ("Z".repeat(32), format!("{src} incorrect.")),
        (
            mask_with(&"Z".repeat(32), &"q".repeat(32)),
            format!("{src} incorrect."),
        ),
    ] {
        assert_eq!(
            attempt(&app, Some(SECRET), Some(&token), &[]).await,
            (403, failed(&reason)),
            "{token:?}"
        );
    }
}

#[tokio::test]
async fn form_field_tokens_are_named_post_in_reasons() {
    let app = app_with_bench().await;
    for (token, reason) in [
        (
            "abc".to_string(),
            "CSRF token from POST has incorrect length.",
        ),
        (
            "%".repeat(64),
            "CSRF token from POST has invalid characters.",
        ),
        ("Z".repeat(64), "CSRF token from POST incorrect."),
    ] {
        let response = Client::new()
            .post(app.url(LOGIN))
            .header("Cookie", format!("csrftoken={SECRET}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(urlencoded(&[
                ("username", "bench"),
                ("password", "x"),
                ("csrfmiddlewaretoken", &token),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_json(response).await,
            (403, failed(reason)),
            "{token}"
        );
    }
}

#[tokio::test]
async fn an_empty_form_field_falls_back_to_the_header() {
    let app = app_with_bench().await;
    let response = Client::new()
        .post(app.url(LOGIN))
        .header("Cookie", format!("csrftoken={SECRET}"))
        .header("X-CSRFToken", SECRET)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("username", "bench"),
            ("password", "correct horse"),
            ("csrfmiddlewaretoken", ""),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn raw_masked_and_legacy_cookie_forms_are_all_accepted() {
    let app = app_with_bench().await;
    let masked = mask_with(SECRET, &"k".repeat(32));
    // A 64-character cookie, as Django < 4.1 wrote it.
    let legacy_cookie = mask_with(SECRET, &"7".repeat(32));
    for (cookie, header) in [
        (SECRET, SECRET.to_string()),
        (SECRET, masked.clone()),
        (legacy_cookie.as_str(), SECRET.to_string()),
        (legacy_cookie.as_str(), masked.clone()),
    ] {
        let (status, body) = attempt(&app, Some(cookie), Some(&header), &[]).await;
        assert_eq!(status, 200, "{cookie} {header}: {body}");
    }
}

#[tokio::test]
async fn the_origin_is_checked_before_the_cookie_and_token() {
    let app = app_with_bench().await;
    let reason = "Origin checking failed - http://evil.example does not match any trusted origins.";
    assert_eq!(
        attempt(&app, None, None, &[("Origin", "http://evil.example")]).await,
        (403, failed(reason))
    );
    assert_eq!(
        attempt(&app, Some(SECRET), Some(SECRET), &[("Origin", "null")]).await,
        (
            403,
            failed("Origin checking failed - null does not match any trusted origins.")
        )
    );
    // Same scheme and host:port as the request: accepted.
    let own = format!("http://127.0.0.1:{}", app.port);
    assert_eq!(
        attempt(&app, Some(SECRET), Some(SECRET), &[("Origin", &own)])
            .await
            .0,
        200
    );
    // Another port is another origin.
    let other_port = format!("http://127.0.0.1:{}", app.port.wrapping_add(1));
    assert_eq!(
        attempt(&app, Some(SECRET), Some(SECRET), &[("Origin", &other_port)])
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn trusted_origins_are_accepted_exactly_or_by_subdomain_wildcard() {
    let app = spawn_app_with(|c| {
        c.django.trusted_origins = vec![
            "https://spa.example".parse().unwrap(),
            "https://*.corp.example".parse().unwrap(),
        ];
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    for (origin, accepted) in [
        ("https://spa.example", true),
        ("https://a.corp.example", true),
        ("https://corp.example", true),
        ("http://a.corp.example", false),
        ("https://spa.example.evil", false),
        ("https://evilcorp.example", false),
    ] {
        let (status, body) = attempt(&app, Some(SECRET), Some(SECRET), &[("Origin", origin)]).await;
        assert_eq!(status == 200, accepted, "{origin}: {body}");
    }
}

#[tokio::test]
async fn on_https_a_request_without_origin_needs_a_good_referer() {
    let app = spawn_app_with(|c| {
        c.public_url = "https://login.example".into();
        c.django.trusted_origins = vec!["https://spa.example".parse().unwrap()];
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    let own = format!("https://127.0.0.1:{}/auth/login/", app.port);
    for (referer, expected) in [
        (None, Err("Referer checking failed - no Referer.".to_string())),
        (Some("not a url"), Err("Referer checking failed - Referer is malformed.".into())),
        (Some("https://"), Err("Referer checking failed - Referer is malformed.".into())),
        (
            Some("http://spa.example/"),
            Err("Referer checking failed - Referer is insecure while host is secure.".into()),
        ),
        (
            Some("https://evil.example/page"),
            Err("Referer checking failed - https://evil.example/page does not match any trusted origins.".into()),
        ),
        (Some("https://spa.example/app"), Ok(())),
        (Some(own.as_str()), Ok(())),
    ] {
        let extra: Vec<(&str, &str)> = referer.iter().map(|r| ("Referer", *r)).collect();
        let (status, body) = attempt(&app, Some(SECRET), Some(SECRET), &extra).await;
        match expected {
            Ok(()) => assert_eq!(status, 200, "{referer:?}: {body}"),
            Err(reason) => assert_eq!((status, body), (403, failed(&reason)), "{referer:?}"),
        }
    }
    // With an Origin, the Referer is not consulted; on HTTPS the own origin is https://host.
    let origin = format!("https://127.0.0.1:{}", app.port);
    assert_eq!(
        attempt(&app, Some(SECRET), Some(SECRET), &[("Origin", &origin)])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn browsers_get_a_page_naming_the_reason_and_the_fix() {
    let app = app_with_bench().await;
    let response = new_client()
        .post(app.url(LOGIN))
        .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("username", "bench"),
            ("password", "correct horse"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("CSRF verification failed. Request aborted."),
        "{page}"
    );
    assert!(page.contains("CSRF cookie not set."), "{page}");
    assert!(page.contains("did not send the csrftoken cookie"), "{page}");
    assert!(page.contains("Open the form page first"), "{page}");
}

#[tokio::test]
async fn safe_methods_skip_the_checks() {
    let app = spawn_app().await;
    let response = Client::new()
        .get(app.url(LOGIN))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
