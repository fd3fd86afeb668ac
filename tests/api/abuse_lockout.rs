//! Flood control does not tell accounts apart: the same failed logins lock an unknown name
//! exactly as they lock an existing account, with the same status and body, in every dialect.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::{Client, RequestBuilder};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};
use crate::platformos_support::login_body;

/// A client whose requests come from another loopback address: another source IP.
fn client_from(last_octet: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .build()
        .unwrap()
}

/// One dialect's login with a wrong password for a name or address.
type WrongLogin = fn(&TestApp, &Client, &str) -> RequestBuilder;

fn drupal(app: &TestApp, client: &Client, name: &str) -> RequestBuilder {
    client
        .post(app.url("/user/login?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({"name": name, "pass": "wrong"}).to_string())
}

fn services(app: &TestApp, client: &Client, name: &str) -> RequestBuilder {
    client
        .post(app.url("/rest/user/login.json"))
        .header("Content-Type", "application/json")
        .body(json!({"username": name, "password": "wrong"}).to_string())
}

fn django(app: &TestApp, client: &Client, name: &str) -> RequestBuilder {
    client
        .post(app.url("/dj-rest-auth/login/"))
        .json(&json!({"username": name, "password": "wrong"}))
}

fn django_by_mail(app: &TestApp, client: &Client, mail: &str) -> RequestBuilder {
    client
        .post(app.url("/dj-rest-auth/login/"))
        .json(&json!({"email": mail, "password": "wrong"}))
}

fn platformos(app: &TestApp, client: &Client, mail: &str) -> RequestBuilder {
    client
        .post(app.url("/api/sessions"))
        .header("Accept", "application/json")
        .json(&login_body(mail, "wrong"))
}

/// Status and body, with digits blanked: a `Retry-After` in the text may tick over a second
/// between the two sequences.
async fn answer(request: RequestBuilder) -> (u16, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let text = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    (status, text)
}

#[tokio::test]
async fn six_failed_logins_answer_an_unknown_name_exactly_as_an_existing_one_in_every_dialect() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("bob", "right password", &[]).await;
    let dialects: [(&str, WrongLogin, &str, &str); 5] = [
        ("drupal", drupal, "bob", "nobody"),
        ("services", services, "bob", "nobody"),
        ("django", django, "bob", "nobody"),
        (
            "django by mail",
            django_by_mail,
            "bob@example.com",
            "nobody@example.com",
        ),
        (
            "platformos",
            platformos,
            "bob@example.com",
            "nobody@example.com",
        ),
    ];
    for (i, (dialect, login, existing, unknown)) in dialects.into_iter().enumerate() {
        // Each name from its own address, so the per-IP count plays no part.
        let octet = 10 + 2 * i as u8;
        let (known_client, unknown_client) = (client_from(octet), client_from(octet + 1));
        let mut answers = Vec::new();
        for attempt in 1..=6 {
            let known = answer(login(&app, &known_client, existing)).await;
            let other = answer(login(&app, &unknown_client, unknown)).await;
            assert_eq!(known, other, "{dialect}, attempt {attempt}");
            answers.push(known);
        }
        assert_ne!(
            answers[5].0, answers[0].0,
            "{dialect}: the sixth attempt was not refused: {answers:?}"
        );
    }
}
