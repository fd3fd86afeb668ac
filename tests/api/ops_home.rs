//! The home page at `/`: what the server is, its dialects and links, and how to create the
//! first administrator until one exists.

use serde_json::Value;

use crate::helpers::spawn_app;

const CREATE_ADMINISTRATOR: &str =
    "latch user add admin --mail admin@example.com --role administrator";

#[tokio::test]
async fn the_home_page_lists_dialects_and_links_as_json_and_asks_for_an_administrator() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "latch");
    let dialects: Vec<&str> = body["dialects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        dialects,
        [
            "drupal",
            "services",
            "django",
            "platformos",
            "laravel",
            "allauth",
            "latch"
        ]
    );
    let services = &body["dialects"][1]["base_paths"];
    assert_eq!(services[0], "/rest/", "{body}");
    assert_eq!(body["links"]["docs"], "/docs");
    assert_eq!(body["links"]["login_page"], "/auth/login/");
    assert_eq!(body["setup"]["command"], CREATE_ADMINISTRATOR, "{body}");
}

#[tokio::test]
async fn the_home_page_is_html_for_browsers_and_stops_asking_once_an_administrator_exists() {
    let app = spawn_app().await;
    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = |app: &crate::helpers::TestApp| {
        app.client
            .get(app.url("/"))
            .header("Accept", browser_accept)
            .send()
    };
    let response = page(&app).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>latch</h1>"), "{html}");
    assert!(html.contains("href=\"/docs\""), "{html}");
    assert!(html.contains("<code>/api/</code>"), "{html}");
    assert!(html.contains(CREATE_ADMINISTRATOR), "{html}");

    app.create_account("root", "root pass", &["administrator"])
        .await;
    let html = page(&app).await.unwrap().text().await.unwrap();
    assert!(!html.contains(CREATE_ADMINISTRATOR), "{html}");
    assert!(!html.contains("root"), "no account data: {html}");
}

#[tokio::test]
async fn the_home_page_leaves_out_dialects_that_are_switched_off() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.django.enabled = false;
        config.services.enabled = false;
        config.laravel.enabled = false;
        config.allauth.enabled = false;
    })
    .await;
    let body: Value = app
        .client
        .get(app.url("/"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dialects: Vec<&str> = body["dialects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(dialects, ["drupal", "platformos", "latch"]);
    assert!(body["links"]["login_page"].is_null(), "{body}");
}
