//! Drupal 7's non-clean URLs, `/?q=PATH` and `/index.php?q=PATH`, as jDrupal 7 and many
//! jQuery and Android clients send every request.

use reqwest::Response;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::services_support::{Answer, bare_client, text_of};

#[tokio::test]
async fn a_drupal_7_client_does_the_whole_sequence_through_q() {
    let app = spawn_app().await;
    let client = bare_client();

    let anonymous = client
        .get(app.url("/?q=services/session/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.text().await.unwrap().len(), 43);

    let register = Answer::of(
        client
            .post(app.url("/?q=rest/user/register.json"))
            .header("Content-Type", "application/json")
            .body(json!({"name": "dee", "mail": "dee@example.com", "pass": "dee-pass"}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(register.status, 200, "{register:?}");

    let login = Answer::of(
        client
            .post(app.url("/index.php?q=rest/user/login.json"))
            .header("Content-Type", "application/json")
            .body(json!({"username": "dee", "password": "dee-pass"}).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(login.status, 200, "{login:?}");
    let cookie = login.session_cookie();
    let token = login.json()["token"].as_str().unwrap().to_string();
    let fetched = text_of(
        client
            .get(app.url("/index.php?q=services/session/token"))
            .header("Cookie", &cookie),
    )
    .await;
    assert_eq!(fetched, token);

    // The rest of the query string goes along: here the CSRF token, which the check reads.
    let connect = |query: String| {
        client
            .post(app.url(&query))
            .header("Cookie", &cookie)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
    };
    let refused = Answer::of(
        connect("/?q=rest/system/connect.json".into())
            .await
            .unwrap(),
    )
    .await;
    refused.assert_error(
        401,
        "Unauthorized : CSRF validation failed",
        "CSRF validation failed",
    );
    let connected = Answer::of(
        connect(format!(
            "/?services_token={token}&q=rest/system/connect.json"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(connected.status, 200, "{connected:?}");
    assert_eq!(connected.json()["user"]["name"], "dee");

    let uid = connected.json()["user"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let retrieved = Answer::of(
        client
            .get(app.url(&format!("/index.php?q=rest/user/{uid}.json")))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(retrieved.json()["mail"], "dee@example.com", "{retrieved:?}");

    let logout = Answer::of(
        connect(format!("/?q=rest/user/logout.json&services_token={token}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(logout.status, 200, "{logout:?}");
    let status = text_of(
        client
            .get(app.url("/user/login_status?_format=json"))
            .header("Cookie", &cookie),
    )
    .await;
    assert_eq!(status, "0");
}

async fn answer(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_q_naming_nothing_served_for_drupal_7_gets_the_usual_404() {
    let app = spawn_app().await;
    let get = |path: &str| bare_client().get(app.url(path)).send();
    // The home page is at `/`; a `q` naming a page not served is answered as `/` was before.
    let front = (
        404,
        r#"{"message":"No route found for \"GET /\""}"#.to_string(),
    );
    for path in [
        "/?q=node/1",
        "/index.php?q=",
        "/?q=latch/whoami",
        "/?q=user/login",
        "/?q=restful",
    ] {
        let (status, body) = answer(get(path).await.unwrap()).await;
        assert_eq!(status, 404, "{path}: {body}");
        if path.starts_with("/?") {
            assert_eq!(body, front.1, "{path}");
        }
    }
    let unknown = Answer::of(get("/?q=rest/nothing").await.unwrap()).await;
    assert_eq!(
        (unknown.status, unknown.reason.as_str()),
        (404, "Not found : Could not find resource nothing.")
    );
    // One-time login links, which Drupal 7 mails as ?q=user/reset/… without clean URLs.
    let link = "/user/reset/999/1/abc";
    let direct = answer(get(link).await.unwrap()).await;
    let through_q = answer(get(&format!("/?q={link}")).await.unwrap()).await;
    assert_eq!(direct.0, 403, "{direct:?}");
    assert_eq!(through_q, direct);
}

#[tokio::test]
async fn a_q_that_is_a_url_climbs_or_runs_long_is_refused_cleanly() {
    let app = spawn_app().await;
    for q in [
        "../rest/user/token",
        "rest/../latch/whoami",
        "rest/%2e%2e/latch/whoami",
        "http://evil.example/rest/user/token",
        "//evil.example/rest",
        "rest//user/token",
        "rest/user%3Ftoken",
        "rest/%FF",
    ] {
        for path in ["/", "/index.php"] {
            let response = bare_client()
                .post(app.url(&format!("{path}?q={q}")))
                .send()
                .await
                .unwrap();
            let refused = Answer::of(response).await;
            assert_eq!(refused.status, 400, "{q}: {refused:?}");
            let message = refused.json()[0].as_str().unwrap().to_string();
            assert!(message.contains("q "), "{q}: {message}");
        }
    }
    let long = format!("/?q=rest/user/{}", "a".repeat(2000));
    let refused = Answer::of(bare_client().get(app.url(&long)).send().await.unwrap()).await;
    assert_eq!(refused.status, 414, "{refused:?}");
    assert!(refused.text.contains("1024"), "{refused:?}");
}
