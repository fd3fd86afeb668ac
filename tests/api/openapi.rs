//! `GET /openapi.json`, the OpenAPI 3.1 description of every dialect, checked by
//! openapi-spec-validator; and `/docs`, Swagger UI served from the binary alone.

use std::collections::BTreeSet;

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{TestApp, skip, spawn_app, spawn_app_with};

async fn description(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.json().await.expect("the description is JSON")
}

/// Each operation as `METHOD path`.
fn operations(doc: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            found.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    found
}

#[tokio::test]
async fn the_description_validates_with_openapi_spec_validator() {
    let app = spawn_app().await;
    let doc = description(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let file = app.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys\n\
             from openapi_spec_validator import validate\n\
             from openapi_spec_validator.readers import read_from_filename\n\
             spec, _ = read_from_filename(sys.argv[1])\n\
             validate(spec)\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .await;
    let output = match output {
        Ok(output)
            if !String::from_utf8_lossy(&output.stderr)
                .contains("No module named 'openapi_spec_validator'") =>
        {
            output
        }
        _ => {
            return skip(
                "validating /openapi.json: python3 with openapi-spec-validator is needed \
                 (scripts/test installs it)",
            );
        }
    };
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the description: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "valid");
}

#[tokio::test]
async fn every_dialect_is_described_under_its_configured_paths() {
    let app = spawn_app_with(|config| {
        config.services.endpoint = "api/d7".into();
        config.django.rest_auth_prefix = "/api/auth/".into();
    })
    .await;
    let found = operations(&description(&app).await);
    for expected in [
        "GET /latch/verify",
        "GET /latch/whoami",
        "POST /latch/token",
        "GET /.well-known/jwks.json",
        "GET /session/token",
        "POST /user/login",
        "POST /user/logout",
        "PATCH /user/{uid}",
        "POST /user/reset/{uid}/{timestamp}/{hash}/login",
        "GET /services/session/token",
        "POST /api/d7/user/login",
        "GET /api/d7/user/{uid}",
        "POST /auth/login/",
        "POST /api/auth/login/",
        "PATCH /api/auth/user/",
        "POST /api/auth/registration/",
        "POST /api/sessions",
        "DELETE /api/sessions",
        "PUT /api/users/{id}",
    ] {
        assert!(
            found.contains(expected),
            "{expected} missing from {found:?}"
        );
    }
    assert!(
        !found.iter().any(|op| op.contains("/rest/user/")),
        "the default Services endpoint is described though another is configured: {found:?}"
    );
}

#[tokio::test]
async fn a_disabled_dialect_is_not_described() {
    let app = spawn_app_with(|config| {
        config.platformos.enabled = false;
        config.services.enabled = false;
    })
    .await;
    let found = operations(&description(&app).await);
    assert!(found.contains("POST /user/login"));
    assert!(
        !found
            .iter()
            .any(|op| op.contains("/api/sessions") || op.contains("/services/")),
        "{found:?}"
    );
}

#[tokio::test]
async fn the_cookies_and_headers_of_each_flow_are_described() {
    let app = spawn_app().await;
    let doc = description(&app).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session_token"]["in"], "header");
    assert_eq!(schemes["session_token"]["name"], "X-Session-Token");
    assert_eq!(schemes["django_session"]["name"], "sessionid");
    let standard = schemes["session_cookie"]["name"].as_str().unwrap();
    assert!(standard.starts_with("SESS"), "{standard}");

    let operation = |method: &str, path: &str| doc["paths"][path][method].clone();
    let login = operation("post", "/user/login");
    assert!(login["responses"]["200"]["headers"]["Set-Cookie"].is_object());
    let logged_in = &doc["components"]["schemas"]["drupal.LoggedIn"]["properties"];
    for token in ["csrf_token", "logout_token"] {
        assert!(logged_in[token].is_object(), "{token} in {logged_in}");
    }
    let logout = operation("post", "/user/logout");
    let params = logout["parameters"].as_array().unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "token" && p["in"] == "query" && p["required"] == true)
    );
    let register = operation("post", "/user/register");
    assert!(
        register["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "X-CSRF-Token" && p["in"] == "header")
    );
    let sessions = operation("post", "/api/sessions");
    assert!(sessions["responses"]["201"]["headers"]["X-Session-Token"].is_object());
    let django = operation("post", "/auth/login/");
    assert!(
        django["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "csrftoken" && p["in"] == "cookie")
    );
    // The layers' answers reach every operation, in the dialect's own error shape.
    let unavailable = &login["responses"]["503"];
    assert!(unavailable["headers"]["Retry-After"].is_object());
    assert_eq!(
        unavailable["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/drupal.Error"
    );
}

/// Every `src` and `href` of a page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("a closing quote");
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn the_docs_page_and_its_assets_come_from_this_server_alone() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = response.text().await.unwrap();
    let assets = references(&html);
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "{assets:?}"
    );
    for asset in &assets {
        assert!(
            !asset.contains("//") && !asset.starts_with("data:"),
            "the page loads {asset} from elsewhere"
        );
        let response = app
            .client
            .get(app.url(&format!("/docs/{}", asset.trim_start_matches("./"))))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=3600",
            "{asset}"
        );
        let text = response.text().await.unwrap();
        if asset.ends_with(".css") {
            assert!(
                !text.contains("url(http") && !text.contains("@import"),
                "{asset}"
            );
        }
    }
    // The initializer points Swagger UI at this server's description, and at no validator.
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert!(!initializer.contains("http://") && !initializer.contains("https://"));
    assert!(
        initializer
            .replace(' ', "")
            .contains("\"validatorUrl\":\"none\""),
        "{initializer}"
    )
}

#[tokio::test]
async fn the_docs_page_renders_in_a_browser_that_can_reach_no_other_host() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
    else {
        return skip("rendering /docs: no Chromium (Debian: apt-get install chromium)");
    };
    let app = spawn_app().await;
    let profile = app.dir.path().join("chromium");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Every host but this server's fails to resolve: the page must need no other.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(app.url("/docs/"))
        .output()
        .await
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    // Swagger UI has fetched the description and drawn an operation of each dialect.
    for path in [
        "/latch/whoami",
        "/user/login",
        "/rest/user/login",
        "/dj-rest-auth/login/",
        "/api/sessions",
    ] {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")),
            "{path} is not on the rendered page: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
