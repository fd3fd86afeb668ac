//! `POST /latch/token` and `/.well-known/jwks.json`: short-lived JWTs that a backend verifies
//! on its own, checked here by PyJWT as a Python backend would and by the jsonwebtoken crate.

use tokio::process::Command;

use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, skip, spawn_app, spawn_app_with};
use crate::process::latch;

/// What PyJWT makes of `token`: the claims, or why it refused.
/// Runs asynchronously: the server under test shares this test's runtime and must answer
/// PyJWT's request for the keys meanwhile.
async fn pyjwt(app: &TestApp, token: &str) -> Option<Result<Value, String>> {
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/jwt/verify.py"))
        .args([
            &app.url("/.well-known/jwks.json"),
            &app.config.public_url,
            token,
        ])
        .output()
        .await;
    let output = match output {
        Ok(output)
            if !String::from_utf8_lossy(&output.stderr).contains("No module named 'jwt'") =>
        {
            output
        }
        _ => {
            skip(
                "verifying JWTs with PyJWT: python3 with PyJWT is needed (scripts/test installs it)",
            );
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Some(if output.status.success() {
        Ok(body_json(&stdout))
    } else {
        assert!(
            stdout.starts_with("refused:"),
            "the verifier failed: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Err(stdout)
    })
}

/// The key set as a verifier fetches it.
async fn published_keys(app: &TestApp, client: &Client) -> Value {
    let response = client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body_json(&response.text().await.unwrap())
}

/// Logs `name` in over Drupal's REST login; the client keeps the cookie.
async fn logged_in_client(app: &TestApp, name: &str) -> Client {
    app.create_account(name, "pass", &["editor"]).await;
    let client = new_client();
    assert_eq!(app.login(&client, name, "pass").await.status(), 200);
    client
}

async fn issue(app: &TestApp, client: &Client, csrf: Option<&str>) -> reqwest::Response {
    let mut request = client.post(app.url("/latch/token"));
    if let Some(token) = csrf {
        request = request.header("X-CSRF-Token", token);
    }
    request.send().await.unwrap()
}

async fn token_of(app: &TestApp, client: &Client) -> String {
    let csrf = app.session_token(client).await;
    let response = issue(app, client, Some(&csrf)).await;
    assert_eq!(response.status(), 200);
    let body = body_json(&response.text().await.unwrap());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_session_gets_a_token_that_pyjwt_verifies_against_the_published_keys() {
    let app = spawn_app().await;
    let client = logged_in_client(&app, "alice").await;
    let token = token_of(&app, &client).await;

    let Some(verified) = pyjwt(&app, &token).await else {
        return;
    };
    let claims = verified.unwrap_or_else(|e| panic!("PyJWT refused latch's token: {e}"));
    let account = app
        .core
        .store()
        .account_by_name("alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], account.uuid);
    assert_eq!(claims["name"], "alice");
    assert_eq!(claims["roles"], json!(["authenticated", "editor"]));
    assert_eq!(claims["iss"], app.config.public_url.trim_end_matches('/'));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let sid = claims["sid"].as_str().unwrap();
    assert!(sid.len() >= 16, "sid names the session: {sid}");
    let stored = app.strings("SELECT id_hash FROM sessions").await;
    assert!(
        !stored
            .iter()
            .any(|hash| hash == sid || token.contains(hash.as_str())),
        "the token does not carry the session's stored hash"
    );

    let jwks = published_keys(&app, &client).await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &json!("OKP"),
            &json!("Ed25519"),
            &json!("EdDSA"),
            &json!("sig")
        )
    );
    assert!(key.get("d").is_none(), "the private key is never published");
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused_by_the_verifier() {
    let app =
        spawn_app_with(|config| config.token.lifetime = std::time::Duration::from_secs(1)).await;
    let client = logged_in_client(&app, "bob").await;
    let csrf = app.session_token(&client).await;
    let response = issue(&app, &client, Some(&csrf)).await;
    let token = body_json(&response.text().await.unwrap())["token"]
        .as_str()
        .unwrap()
        .to_string();

    // The payload rewritten to claim another role: the signature no longer matches.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    payload["roles"] = json!(["authenticated", "administrator"]);
    parts[1] = engine.encode(payload.to_string());
    let forged = parts.join(".");
    let Some(verdict) = pyjwt(&app, &forged).await else {
        return;
    };
    let refusal = verdict.expect_err("a forged token must be refused");
    assert!(refusal.contains("Signature"), "{refusal}");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let refusal = pyjwt(&app, &token)
        .await
        .unwrap()
        .expect_err("an expired token must be refused");
    assert!(refusal.contains("Expired"), "{refusal}");
}

#[tokio::test]
async fn a_cookie_alone_gets_no_token_but_the_csrf_token_or_the_own_origin_does() {
    let app = spawn_app().await;
    let client = logged_in_client(&app, "carol").await;

    let bare = issue(&app, &client, None).await;
    assert_eq!(bare.status(), 403);
    let message = body_json(&bare.text().await.unwrap())["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("X-CSRF-Token"), "{message}");

    let wrong = issue(&app, &client, Some("not-the-token")).await;
    assert_eq!(wrong.status(), 403);

    let cross_site = client
        .post(app.url("/latch/token"))
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    let same_origin = client
        .post(app.url("/latch/token"))
        .header("Origin", app.address.clone())
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn no_session_or_a_malformed_one_is_a_401_never_a_500() {
    let app = spawn_app().await;
    let anonymous = new_client();
    let response = issue(&app, &anonymous, None).await;
    assert_eq!(response.status(), 401);
    let message = body_json(&response.text().await.unwrap())["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("X-Session-Token"), "{message}");

    for header in ["", "garbage", &"x".repeat(5000), "a b c"] {
        let response = anonymous
            .post(app.url("/latch/token"))
            .header("X-Session-Token", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "X-Session-Token {header:.20}");
    }
    let response = anonymous
        .post(app.url("/latch/token"))
        .header(
            "Cookie",
            reqwest::header::HeaderValue::from_bytes(b"SESSdeadbeef=%%%; sessionid=\"; SSESS=\xe9")
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_platformos_session_header_gets_a_token_without_a_csrf_token() {
    let app = spawn_app().await;
    app.create_account("dave", "pass", &[]).await;
    let client = Client::new();
    let login = client
        .post(app.url("/api/sessions?session_token=true"))
        .json(&json!({"form_name": "reference_rest_api_create_sessions", "form": {"email": "dave@example.com", "password": "pass"}}))
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success(), "{login:?}");
    let session_token = login
        .headers()
        .get("x-session-token")
        .expect("the login answers a session token")
        .to_str()
        .unwrap()
        .to_string();
    let response = client
        .post(app.url("/latch/token"))
        .header("X-Session-Token", &session_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn after_a_key_rotation_new_tokens_use_the_new_key_and_old_ones_still_verify() {
    let app = spawn_app().await;
    let client = logged_in_client(&app, "erin").await;
    let before = token_of(&app, &client).await;
    let kid_of = |token: &str| {
        jsonwebtoken::decode_header(token)
            .unwrap()
            .kid
            .expect("every token names its key")
    };

    let (ok, stdout, stderr) = latch(&app, &["key", "rotate"]);
    assert!(ok, "latch key rotate: {stderr}");
    let new_kid = kid_of(&before);
    assert!(
        !stdout.contains(&new_kid),
        "a new key, not the old one: {stdout}"
    );

    // This server reloads keys once a minute; a fresh server on the same database signs with
    // the new key at once.
    let (ok, listing, _) = latch(&app, &["key", "list"]);
    assert!(ok);
    assert_eq!(
        listing.lines().count(),
        3,
        "a header, the new key and the retired one: {listing}"
    );

    let jwks = published_keys(&app, &client).await;
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        published.contains(&kid_of(&before).as_str()),
        "{published:?}"
    );

    let Some(verdict) = pyjwt(&app, &before).await else {
        return;
    };
    verdict.expect("a token signed before the rotation still verifies");

    // The rotating node itself signs with the new key at once.
    let rotated = app.core.rotate_signing_key().await.unwrap();
    let after = token_of(&app, &client).await;
    assert_eq!(kid_of(&after), rotated);
    pyjwt(&app, &after)
        .await
        .unwrap()
        .expect("a token signed after the rotation verifies");
}
