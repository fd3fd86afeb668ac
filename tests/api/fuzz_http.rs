//! A bounded fuzz run over real HTTP: random and mutated requests to every route of every
//! dialect (bodies in each encoding, cookies, CSRF tokens, `Authorization` headers, query
//! strings, and well-formed bodies nested deeper than any parser allows). No answer may be a
//! 500, and the server must still serve a real login after.
//!
//! It runs for `LATCH_FUZZ_SECONDS` (default 3; CI gives it longer).

use std::time::{Duration, Instant};

use rand::RngExt;
use rand::seq::IndexedRandom;

use crate::helpers::{new_client, spawn_app_with};

const PATHS: &[&str] = &[
    "/session/token",
    "/user/login?_format=json",
    "/user/login_status?_format=json",
    "/user/logout?_format=json&token=",
    "/user/register?_format=json",
    "/user/password?_format=json",
    "/user/1?_format=json",
    "/user/reset/1/1767225600/AbC",
    "/user/reset/1/1767225600/AbC/login",
    "/rest/user/login.json",
    "/rest/user/login.xml",
    "/rest/user/logout",
    "/rest/user/token",
    "/rest/system/connect",
    "/rest/user/register",
    "/rest/user/request_new_password",
    "/rest/user/1",
    "/services/session/token",
    "/auth/login/",
    "/auth/logout/",
    "/dj-rest-auth/login/",
    "/dj-rest-auth/logout/",
    "/dj-rest-auth/user/",
    "/dj-rest-auth/registration/",
    "/dj-rest-auth/password/change/",
    "/dj-rest-auth/password/reset/",
    "/dj-rest-auth/password/reset/confirm/",
    "/api/sessions",
    "/api/sessions?session_token=true",
    "/api/users",
    "/api/users/1",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/xml",
    "text/xml",
    "multipart/form-data; boundary=B",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json; charset=utf-16",
];

/// Bodies that start out well formed and go wrong at a random point.
const SEEDS: &[&str] = &[
    r#"{"name":"bob","pass":"secret pass"}"#,
    r#"{"name":{"value":"x"},"mail":[{"value":"a@b.c"}],"pass":{"value":"p"}}"#,
    r#"{"username":"bob","password":"secret pass","email":"bob@example.com"}"#,
    r#"{"uid":"MQ","token":"x-y","new_password1":"a","new_password2":"a"}"#,
    "<?xml version=\"1.0\"?><data><username>bob</username><password>p</password></data>",
    "--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nbob\r\n--B--\r\n",
    "account[name]=x&account[pass][pass1]=a&roles[]=editor&csrfmiddlewaretoken=",
    r#"{"form_name":"reference_rest_api_create_sessions","form":{"email":"bob@example.com","password":"p"}}"#,
    r#"{"form_name":"user_update","form":{"name":"x","current_password":"p"},"authenticity_token":"t"}"#,
];

fn random_text(rng: &mut impl rand::Rng, max: usize) -> String {
    let len = rng.random_range(0..=max);
    (0..len)
        .map(|_| match rng.random_range(0..4) {
            0 => rng.random_range(0x20u8..0x7f) as char,
            1 => *[
                b'{', b'}', b'[', b']', b'<', b'>', b'"', b'&', b'=', b'%', b'$', b';', b'\\',
            ]
            .choose(rng)
            .unwrap() as char,
            2 => rng.random::<char>(),
            _ => rng.random_range(b'a'..=b'z') as char,
        })
        .collect()
}

fn mutated_body(rng: &mut impl rand::Rng) -> Vec<u8> {
    match rng.random_range(0..3) {
        0 => {
            let seed = SEEDS.choose(rng).unwrap();
            let cut = rng.random_range(0..=seed.len());
            let mut body = seed.as_bytes()[..cut].to_vec();
            body.extend(random_text(rng, 64).into_bytes());
            body
        }
        1 => (0..rng.random_range(0..256))
            .map(|_| rng.random())
            .collect(),
        _ => {
            // Deep nesting, the classic stack breaker.
            let depth = rng.random_range(1..5000);
            let open = if rng.random() { "[" } else { "<a>" };
            open.repeat(depth).into_bytes()
        }
    }
}

/// A well-formed body, with the matching `Content-Type`, that nests one value from a few
/// levels to as deep as the body limit allows: parsers must build (and drop) it or refuse it.
fn deep_body(rng: &mut impl rand::Rng) -> (&'static str, Vec<u8>) {
    let depth = if rng.random() {
        rng.random_range(1..100)
    } else {
        rng.random_range(1..32_000)
    };
    let body = |open: &str, inner: &str, close: &str, depth: usize| {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    };
    let (content_type, text) = match rng.random_range(0..5) {
        0 => (
            "application/json",
            format!("{{\"name\":{}}}", body("[", "\"bob\"", "]", depth)),
        ),
        1 => (
            "application/json",
            body("{\"form\":", "1", "}", depth.min(10_000)),
        ),
        2 => (
            "application/xml",
            format!(
                "<data>{}</data>",
                body("<a>", "x", "</a>", depth.min(9_000))
            ),
        ),
        3 => {
            let bracket = ["[]", "[b]"].choose(rng).unwrap();
            (
                "application/x-www-form-urlencoded",
                format!("username{}=bob&a[]=1", bracket.repeat(depth.min(21_000))),
            )
        }
        _ => (
            "multipart/form-data; boundary=B",
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"a{}\"\r\n\r\n1\r\n--B--\r\n",
                "[]".repeat(depth)
            ),
        ),
    };
    (content_type, text.into_bytes())
}

fn header_value(rng: &mut impl rand::Rng) -> String {
    let text = random_text(rng, 80);
    // Header values cannot hold control characters; keep what could go on the wire.
    text.chars().filter(|c| (' '..='~').contains(c)).collect()
}

#[tokio::test]
async fn random_requests_to_every_route_never_get_a_500_or_stop_the_server() {
    // Every body encoding the dialects read is reachable, urlencoded Services bodies too.
    let app = spawn_app_with(|c| c.services.urlencoded = true).await;
    app.create_account("bob", "secret pass", &[]).await;
    let seconds = std::env::var("LATCH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut rng = rand::rng();
    let mut sent = 0u32;
    while Instant::now() < deadline {
        let path = PATHS.choose(&mut rng).unwrap();
        let method = [
            "GET", "POST", "POST", "POST", "PATCH", "PUT", "DELETE", "OPTIONS",
        ]
        .choose(&mut rng)
        .unwrap();
        let mut method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (content_type, body) = if rng.random_range(0..4) == 0 {
            // Sent where bodies are read.
            method = reqwest::Method::POST;
            deep_body(&mut rng)
        } else {
            (
                *CONTENT_TYPES.choose(&mut rng).unwrap(),
                mutated_body(&mut rng),
            )
        };
        let mut request = client
            .request(method.clone(), app.url(path))
            .header("Content-Type", content_type)
            .body(body);
        if rng.random() {
            let names = ["SESSabc", "sessionid", "csrftoken", "SSESSx"];
            let cookie = format!(
                "{}={}",
                names.choose(&mut rng).unwrap(),
                header_value(&mut rng)
            );
            request = request.header("Cookie", cookie);
        }
        for name in [
            "X-CSRF-Token",
            "X-Session-Token",
            "X-CSRFToken",
            "Authorization",
            "Origin",
            "Accept",
        ] {
            if rng.random_range(0..3) == 0 {
                let value = match name {
                    "Authorization" => format!(
                        "{} {}",
                        ["Basic", "Bearer", "Token", "Token token=", ""]
                            .choose(&mut rng)
                            .unwrap(),
                        header_value(&mut rng)
                    ),
                    _ => header_value(&mut rng),
                };
                request = request.header(name, value);
            }
        }
        let response = request.send().await.unwrap_or_else(|e| {
            panic!("{method} {path}: the server did not answer: {e}");
        });
        let status = response.status().as_u16();
        assert!(status != 500 && status < 600, "{method} {path}: {status}");
        sent += 1;
    }
    println!("sent {sent} random requests in {seconds} s");
    assert!(sent > 0);
    app.logged_in(&new_client(), "bob", "secret pass").await;
}
