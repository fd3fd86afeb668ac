//! Password-reset requests are flood-controlled as Drupal's password form is: a few mails per
//! account within the window, silently (the answer stays the same, so the limit reveals
//! nothing), and a bounded number of requests per client IP, in every dialect.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, spawn_app_with};

const IP_BLOCKED: &str = "Too many password recovery requests from your IP address. It is \
     temporarily blocked. Try again later or contact the site administrator.";

fn client_from(last_octet: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .build()
        .unwrap()
}

/// Each dialect's reset endpoint and the body naming an account.
const DRUPAL: &str = "/user/password?_format=json";
const SERVICES: &str = "/rest/user/request_new_password.json";
const DJANGO: &str = "/dj-rest-auth/password/reset/";

/// Status, reason phrase, body and `Retry-After` of one request.
async fn request(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: Value,
) -> (u16, String, String, Option<String>) {
    let response = app.post_json(client, path, &body.to_string()).await;
    let status = response.status().as_u16();
    let reason = crate::services_support::reason(&response);
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, reason, response.text().await.unwrap(), retry_after)
}

async fn mails_to(app: &TestApp, recipient: &str) -> usize {
    app.outbox()
        .await
        .iter()
        .filter(|m| m.recipient == recipient && m.kind == "password_reset")
        .count()
}

#[tokio::test]
async fn the_sixth_request_for_one_address_queues_no_mail_but_answers_as_the_first() {
    let app = spawn_app_with(|_| {}).await;
    for name in ["carol", "dave", "erin"] {
        app.create_account(name, "pw", &[]).await;
    }
    // Drupal's requests name the account by name, then by address: one account, one count.
    let drupal: Vec<Value> = (0..6)
        .map(|i| match i < 3 {
            true => json!({"name": "carol"}),
            false => json!({"mail": "carol@example.com"}),
        })
        .collect();
    let services = vec![json!({"name": "dave@example.com"}); 6];
    let django = vec![json!({"email": "erin@example.com"}); 6];
    let client = new_client();
    for (path, bodies, recipient) in [
        (DRUPAL, drupal, "carol@example.com"),
        (SERVICES, services, "dave@example.com"),
        (DJANGO, django, "erin@example.com"),
    ] {
        let mut answers = Vec::new();
        for body in bodies {
            answers.push(request(&app, &client, path, body).await);
        }
        assert_eq!(answers[0].0, 200, "{path}: {answers:?}");
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "{path}: {answers:?}"
        );
        assert_eq!(mails_to(&app, recipient).await, 5, "{path}");
    }
}

#[tokio::test]
async fn a_client_ip_past_its_request_limit_is_refused_in_each_dialects_words() {
    let app = spawn_app_with(|c| c.flood.password_request_ip_limit = 3).await;
    app.create_account("bob", "pw", &[]).await;
    let client = client_from(31);
    for _ in 0..3 {
        let (status, ..) = request(&app, &client, DRUPAL, json!({"name": "nobody"})).await;
        assert_eq!(status, 200);
    }
    let (status, _, body, retry_after) =
        request(&app, &client, DRUPAL, json!({"name": "bob"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body_json(&body)["message"], IP_BLOCKED);
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=3600).contains(&seconds), "{seconds}");

    let (status, reason, body, _) = request(&app, &client, SERVICES, json!({"name": "bob"})).await;
    assert_eq!(status, 406, "{body}");
    assert_eq!(reason, format!("Not Acceptable : {IP_BLOCKED}"));

    let (status, _, body, retry_after) =
        request(&app, &client, DJANGO, json!({"email": "bob@example.com"})).await;
    assert_eq!(status, 429, "{body}");
    assert!(retry_after.is_some());
    assert_eq!(mails_to(&app, "bob@example.com").await, 0);

    // Another address is not affected.
    let (status, ..) = request(&app, &client_from(32), DRUPAL, json!({"name": "bob"})).await;
    assert_eq!(status, 200);
    assert_eq!(mails_to(&app, "bob@example.com").await, 1);
}

#[tokio::test]
async fn using_a_reset_link_lets_its_holder_ask_again_at_once() {
    let app = spawn_app_with(|c| c.flood.password_request_user_limit = 2).await;
    app.create_account("bob", "pw", &[]).await;
    let client = new_client();
    for _ in 0..3 {
        request(&app, &client, DRUPAL, json!({"name": "bob"})).await;
    }
    assert_eq!(mails_to(&app, "bob@example.com").await, 2);
    let newest = app.outbox().await.pop().unwrap();
    let text = app.mail_text(newest.id).await;
    let start = text.find("/user/reset/").expect("a link in the mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let response = new_client()
        .post(app.url(&format!("{link}/login")))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    request(&app, &client, DRUPAL, json!({"name": "bob"})).await;
    assert_eq!(mails_to(&app, "bob@example.com").await, 3);
}
