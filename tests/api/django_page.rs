//! The login page as a browser uses it: the form, `next` (same-origin only), the error for
//! wrong credentials and the logout button. The first tests speak HTTP as a browser would; the
//! last drives headless Chromium through chromedriver.

use reqwest::Client;

use crate::django_support::*;
use crate::helpers::{TestApp, new_client, spawn_app};

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn app_with_bench() -> TestApp {
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    app
}

/// Loads the page (with `query`) and submits its form as a browser does.
async fn submit_form(
    app: &TestApp,
    client: &Client,
    query: &str,
    name: &str,
    pass: &str,
) -> reqwest::Response {
    let page = client
        .get(app.url(&format!("{LOGIN}{query}")))
        .header("Accept", HTML)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = form_token(&page);
    let mut fields = vec![
        ("csrfmiddlewaretoken", token.as_str()),
        ("username", name),
        ("password", pass),
    ];
    let next = page
        .split("name=\"next\" value=\"")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"));
    if let Some(next) = &next {
        fields.push(("next", next));
    }
    client
        .post(app.url(LOGIN))
        .header("Accept", HTML)
        .header("Origin", app.address.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&fields))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_is_an_accessible_self_contained_form() {
    let app = spawn_app().await;
    let response = new_client()
        .get(app.url(LOGIN))
        .header("Accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("<label for=\"id_username\">") && page.contains("id=\"id_username\""));
    assert!(
        page.contains("<label for=\"id_password\">")
            && page.contains("autocomplete=\"current-password\"")
    );
    assert!(
        !page.contains("<script") && !page.contains("src=\"http") && !page.contains("href=\"http")
    );
    assert_eq!(form_token(&page).len(), 64);
}

#[tokio::test]
async fn submitting_the_form_logs_in_and_redirects_to_a_local_next() {
    let app = app_with_bench().await;
    let client = new_client();
    let response = submit_form(
        &app,
        &client,
        "?next=/account/settings%3Ftab%3D2",
        "bench",
        "correct horse",
    )
    .await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/account/settings?tab=2");
    assert!(set_cookie(response.headers(), "sessionid").is_some());
    let page = client
        .get(app.url(LOGIN))
        .header("Accept", HTML)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("You are logged in as <strong>bench</strong>"),
        "{page}"
    );
}

#[tokio::test]
async fn without_next_the_browser_lands_on_the_logged_in_page() {
    let app = app_with_bench().await;
    let response = submit_form(&app, &new_client(), "", "bench", "correct horse").await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], LOGIN);
}

#[tokio::test]
async fn next_pointing_elsewhere_is_not_followed() {
    let app = app_with_bench().await;
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://127.0.0.1.evil.example/",
    ] {
        let query = format!(
            "?next={}",
            urlencoded(&[("x", next)]).trim_start_matches("x=")
        );
        let response = submit_form(&app, &new_client(), &query, "bench", "correct horse").await;
        assert_eq!(response.status(), 302, "{next}");
        assert_eq!(response.headers()["location"], LOGIN, "{next}");
    }
    // An absolute URL back to this very server is fine.
    let own = format!("{}/home", app.address);
    let query = format!(
        "?next={}",
        urlencoded(&[("x", &own)]).trim_start_matches("x=")
    );
    let response = submit_form(&app, &new_client(), &query, "bench", "correct horse").await;
    assert_eq!(response.headers()["location"], own.as_str());
}

#[tokio::test]
async fn wrong_credentials_show_the_form_again_with_djangos_message() {
    let app = app_with_bench().await;
    let client = new_client();
    let response = submit_form(&app, &client, "?next=/x", "bench", "wrong").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains(
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    ));
    assert!(page.contains("role=\"alert\""));
    assert!(page.contains("value=\"bench\""), "the name is kept");
    assert!(page.contains("name=\"next\" value=\"/x\""), "next is kept");
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn a_form_from_another_origin_is_refused_with_an_explanation() {
    let app = app_with_bench().await;
    let client = new_client();
    let token = csrf_token(&app, &client).await;
    let response = client
        .post(app.url(LOGIN))
        .header("Accept", HTML)
        .header("Origin", "https://evil.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[
            ("csrfmiddlewaretoken", &token),
            ("username", "bench"),
            ("password", "correct horse"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let page = response.text().await.unwrap();
    assert!(page.contains(
        "Origin checking failed - https://evil.example does not match any trusted origins."
    ));
    assert!(page.contains("django.trusted_origins"));
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn the_logout_button_logs_out_and_returns_to_the_form() {
    let app = app_with_bench().await;
    let client = new_client();
    submit_form(&app, &client, "", "bench", "correct horse").await;
    let page = client
        .get(app.url(LOGIN))
        .header("Accept", HTML)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = client
        .post(app.url(LOGOUT))
        .header("Accept", HTML)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[("csrfmiddlewaretoken", &form_token(&page))]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], LOGIN);
    assert_eq!(app.login_status(&client).await, "0");
}
