//! `GET /user/logout` as Drupal 10.3+ serves it: the logout token logs out and redirects;
//! without it, a confirmation form that POSTs, so no link on another site logs anyone out.

use reqwest::Client;

use crate::helpers::{TestApp, new_client, spawn_app};

async fn logged_in(app: &TestApp) -> (Client, String) {
    app.create_account("bob", "secret-pass", &[]).await;
    let client = new_client();
    let body = app.logged_in(&client, "bob", "secret-pass").await;
    (client, body["logout_token"].as_str().unwrap().to_string())
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn the_logout_token_logs_out_and_redirects_to_a_local_destination() {
    let app = spawn_app().await;
    let (client, token) = logged_in(&app).await;
    let response = client
        .get(app.url(&format!(
            "/user/logout?token={token}&destination=/node/1%3Fpage%3D2"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/node/1?page=2");
    assert!(
        response.headers().get("set-cookie").is_some(),
        "the cookie is expired"
    );
    assert_eq!(app.login_status(&client).await, "0");
    assert_eq!(app.session_count().await, 0);

    // Logged out already: Drupal redirects anonymous callers to the front page.
    let again = client
        .get(app.url(&format!("/user/logout?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!((again.status().as_u16(), location(&again)), (302, "/"));
}

#[tokio::test]
async fn a_destination_elsewhere_is_ignored_for_the_front_page() {
    let app = spawn_app().await;
    let (client, token) = logged_in(&app).await;
    let response = client
        .get(app.url(&format!(
            "/user/logout?token={token}&destination=https://evil.example/"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), location(&response)),
        (302, "/")
    );
    assert_eq!(app.login_status(&client).await, "0");
}

#[tokio::test]
async fn without_the_logout_token_only_a_confirmation_form_is_shown() {
    let app = spawn_app().await;
    let (client, token) = logged_in(&app).await;
    let csrf_token = app.session_token(&client).await;
    for path in [
        "/user/logout".to_string(),
        "/user/logout?token=wrong".to_string(),
        format!("/user/logout?token={csrf_token}"),
        "/user/logout?_format=json".to_string(),
    ] {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 302, "{path}");
        assert_eq!(location(&response), "/user/logout/confirm", "{path}");
        assert_eq!(app.login_status(&client).await, "1", "{path}");
    }
    let response = client
        .get(app.url("/user/logout?destination=/after"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&response),
        "/user/logout/confirm?destination=%2Fafter"
    );

    let page = client
        .get(app.url("/user/logout/confirm?destination=/after"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Are you sure you want to log out"), "{html}");
    assert!(
        html.contains(
            "<form method=\"post\" action=\"/user/logout/confirm?destination=%2Fafter\">"
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"token\" value=\"{token}\"")),
        "{html}"
    );
    assert_eq!(app.login_status(&client).await, "1");
}

#[tokio::test]
async fn the_confirmation_form_logs_out_only_from_this_site_with_the_token() {
    let app = spawn_app().await;
    let (client, token) = logged_in(&app).await;
    let own_origin = app.url("").trim_end_matches('/').to_string();
    let post = |origin: &str, body: String| {
        client
            .post(app.url("/user/logout/confirm?destination=/after"))
            .header("Origin", origin)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };

    let cross_site = post("https://evil.example", format!("token={token}"))
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(app.login_status(&client).await, "1");

    let stale = post(&own_origin, "token=stale".into()).await.unwrap();
    assert_eq!(stale.status(), 403);
    let html = stale.text().await.unwrap();
    assert!(html.contains("outdated"), "{html}");
    assert!(html.contains(&format!("value=\"{token}\"")), "{html}");
    assert_eq!(app.login_status(&client).await, "1");

    let confirmed = post(&own_origin, format!("token={token}")).await.unwrap();
    assert_eq!(confirmed.status(), 302);
    assert_eq!(location(&confirmed), "/after");
    assert_eq!(app.login_status(&client).await, "0");

    // A second press, or the page opened after logging out elsewhere, just moves on.
    let page = client
        .get(app.url("/user/logout/confirm"))
        .send()
        .await
        .unwrap();
    assert_eq!((page.status().as_u16(), location(&page)), (302, "/"));
}

#[tokio::test]
async fn the_rest_logout_is_unchanged() {
    let app = spawn_app().await;
    let (client, token) = logged_in(&app).await;
    let response = app.logout(&client, &token).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.login_status(&client).await, "0");
}
