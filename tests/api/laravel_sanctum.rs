//! The Laravel dialect as a Sanctum SPA and a mobile app use it: the `XSRF-TOKEN` cookie and
//! its checks, Fortify's and Breeze's answers, the stateful-origin rule, and app tokens.

use serde_json::json;

use crate::helpers::{new_client, spawn_app, spawn_app_with};
use crate::laravel_support::{FRONT_END, PASSWORD, Spa, answer, set_cookie, set_cookie_line};

fn registration(name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "email": format!("{name}@example.com"),
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    })
}

#[tokio::test]
async fn an_spa_registers_logs_out_and_in_with_the_xsrf_cookie() {
    let app = spawn_app().await;
    let mut spa = Spa::start(&app).await;
    let anonymous = spa.xsrf.clone();
    let cookie = set_cookie_line(&spa.get("/sanctum/csrf-cookie").await, "XSRF-TOKEN").unwrap();
    assert!(
        !cookie.contains("HttpOnly"),
        "scripts must read it: {cookie}"
    );
    assert!(
        cookie.contains("Path=/") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let response = spa.post("/register", &registration("taylor")).await;
    assert_eq!(response.status(), 201, "Fortify's registration answer");
    let session = set_cookie_line(&response, "laravel_session").expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert_ne!(spa.xsrf, anonymous, "the token changes with the session");

    let (status, user) = spa.user().await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["name"], "taylor");
    assert_eq!(user["email"], "taylor@example.com");
    let created = user["created_at"].as_str().unwrap();
    assert!(
        created.len() == 27 && created.ends_with(".000000Z") && created.as_bytes()[10] == b'T',
        "{created}"
    );
    assert_eq!(user["email_verified_at"], user["created_at"]);
    assert!(
        user.get("password").is_none() && user.get("roles").is_none(),
        "{user}"
    );

    let response = spa.post("/logout", &json!({})).await;
    assert_eq!(response.status(), 204);
    assert!(
        set_cookie_line(&response, "laravel_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        spa.user().await,
        (401, json!({"message": "Unauthenticated."}))
    );
    let again = spa.post("/logout", &json!({})).await;
    assert_eq!(answer(again).await.0, 401, "no session to end");

    assert_eq!(
        spa.login("taylor@example.com").await,
        (200, json!({"two_factor": false}))
    );
    assert_eq!(spa.user().await.0, 200);
}

#[tokio::test]
async fn unsafe_requests_without_the_sessions_token_get_419_and_say_what_to_send() {
    let app = spawn_app().await;
    app.create_account("otwell", PASSWORD, &[]).await;
    let spa = Spa::start(&app).await;
    let anonymous = spa.xsrf.clone();
    let plain = |token: Option<&str>| {
        let mut request = spa
            .client
            .post(app.url("/login"))
            .header("Accept", "application/json")
            .json(&json!({"email": "otwell@example.com", "password": PASSWORD}));
        if let Some(token) = token {
            request = request.header("X-XSRF-TOKEN", token);
        }
        request.send()
    };
    for token in [None, Some(""), Some("not-the-token")] {
        let (status, body) = answer(plain(token).await.unwrap()).await;
        assert_eq!(status, 419, "{token:?}");
        assert_eq!(body["message"], "CSRF token mismatch.");
        assert!(
            body["hint"].as_str().unwrap().contains("X-XSRF-TOKEN"),
            "{body}"
        );
    }
    // Another client's token is no good with this client's cookie.
    let other = Spa::start(&app).await;
    assert_eq!(plain(Some(&other.xsrf)).await.unwrap().status(), 419);

    // The form field and the plain header are Laravel's other places for it.
    let form = spa
        .client
        .post(app.url("/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=otwell%40example.com&password={}&_token={anonymous}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let session_token = set_cookie(&form, "XSRF-TOKEN").unwrap();
    // The token from before the login is void now: the session's own is needed.
    let stale = spa
        .client
        .post(app.url("/logout"))
        .header("X-XSRF-TOKEN", &anonymous)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 419);
    let by_header = spa
        .client
        .post(app.url("/logout"))
        .header("X-CSRF-TOKEN", &session_token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 204);
}

#[tokio::test]
async fn the_session_cookie_authenticates_api_requests_only_from_a_stateful_front_end() {
    let app = spawn_app().await;
    app.create_account("abigail", PASSWORD, &[]).await;
    let mut spa = Spa::start(&app).await;
    assert_eq!(spa.login("abigail@example.com").await.0, 200);
    assert_eq!(spa.user().await.0, 200);
    let user = |origin: Option<(&'static str, &'static str)>| {
        let mut request = spa.client.get(app.url("/api/user"));
        if let Some((name, value)) = origin {
            request = request.header(name, value);
        }
        request.send()
    };
    assert_eq!(
        user(None).await.unwrap().status(),
        401,
        "no Origin or Referer"
    );
    let elsewhere = user(Some(("Origin", "https://evil.example")))
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 401);
    let referer = user(Some(("Referer", "http://localhost:3000/dashboard"))).await;
    assert_eq!(referer.unwrap().status(), 200);
    let own = user(Some(("Origin", "http://127.0.0.1:3000")))
        .await
        .unwrap();
    assert_eq!(own.status(), 401, "127.0.0.1 is listed without that port");

    // A listed wildcard covers subdomains.
    let app = spawn_app_with(|c| c.laravel.stateful = vec!["*.example.com".into()]).await;
    app.create_account("wild", PASSWORD, &[]).await;
    let mut spa = Spa::start(&app).await;
    assert_eq!(spa.login("wild@example.com").await.0, 200);
    let response = spa
        .client
        .get(app.url("/api/user"))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn wrong_or_missing_fields_get_laravels_validation_errors() {
    let app = spawn_app_with(|c| c.password.min_length = 8).await;
    app.create_account("jess", PASSWORD, &[]).await;
    let mut spa = Spa::start(&app).await;
    let (status, body) = answer(spa.post("/login", &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({
            "message": "The email field is required. (and 1 more error)",
            "errors": {
                "email": ["The email field is required."],
                "password": ["The password field is required."],
            },
        })
    );
    let wrong = json!({"email": "jess@example.com", "password": "wrong password"});
    let (status, body) = answer(spa.post("/login", &wrong).await).await;
    assert_eq!(status, 422);
    let failed = "These credentials do not match our records.";
    assert_eq!(
        body,
        json!({"message": failed, "errors": {"email": [failed]}})
    );
    let unknown = json!({"email": "nobody@example.com", "password": "wrong password"});
    assert_eq!(
        answer(spa.post("/login", &unknown).await).await,
        (422, body)
    );

    let mut bad = registration("jess");
    bad["password"] = json!("short");
    let (status, body) = answer(spa.post("/register", &bad).await).await;
    assert_eq!(status, 422, "{body}");
    let password = body["errors"]["password"].as_array().unwrap();
    assert!(password.contains(&json!("The password field confirmation does not match.")));
    assert!(
        password.iter().any(|m| m
            .as_str()
            .unwrap()
            .starts_with("The password field must be at least")),
        "{body}"
    );
    let (status, body) = answer(spa.post("/register", &registration("jess")).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"]["email"],
        json!(["The email has already been taken."])
    );
    assert_eq!(
        body["errors"]["name"],
        json!(["The name has already been taken."])
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .ends_with("has already been taken. (and 1 more error)"),
        "{body}"
    );
    assert_eq!(app.account_count().await, 1, "nothing was created");
}

#[tokio::test]
async fn an_account_made_here_logs_in_through_drupal_and_an_account_from_there_here() {
    let app = spawn_app().await;
    let mut spa = Spa::start(&app).await;
    assert_eq!(
        spa.post("/register", &registration("crossing"))
            .await
            .status(),
        201
    );
    let drupal = app.login(&new_client(), "crossing", PASSWORD).await;
    assert_eq!(drupal.status(), 200);

    app.create_account("Drupal Person", PASSWORD, &[]).await;
    let mut spa = Spa::start(&app).await;
    let (status, _) = spa.login("drupal.person@example.com").await;
    assert_eq!(status, 200);
    assert_eq!(spa.user().await.1["name"], "Drupal Person");
}

#[tokio::test]
async fn breezes_stack_answers_with_204s_and_status() {
    let app = spawn_app_with(|c| c.laravel.stack = latch::config::LaravelStack::Breeze).await;
    let mut spa = Spa::start(&app).await;
    let response = spa.post("/register", &registration("breezy")).await;
    assert_eq!(answer(response).await, (204, serde_json::Value::Null));
    assert_eq!(spa.post("/logout", &json!({})).await.status(), 204);
    let (status, body) = spa.login("breezy@example.com").await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    // Breeze checks the address's form at login, which Fortify leaves to the lookup.
    let odd = json!({"email": "not-an-address", "password": PASSWORD});
    let (status, body) = answer(spa.post("/login", &odd).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["email"],
        json!(["The email field must be a valid email address."])
    );
    let forgot = spa
        .post("/forgot-password", &json!({"email": "breezy@example.com"}))
        .await;
    assert_eq!(
        answer(forgot).await,
        (
            200,
            json!({"status": "We have emailed your password reset link."})
        )
    );
}

#[tokio::test]
async fn apps_trade_an_address_and_password_for_a_bearer_token() {
    let app = spawn_app().await;
    app.create_account("mobile", PASSWORD, &[]).await;
    let client = new_client();
    let ask = |body: serde_json::Value| {
        client
            .post(app.url("/sanctum/token"))
            .header("Accept", "application/json")
            .json(&body)
            .send()
    };
    let good = json!({"email": "mobile@example.com", "password": PASSWORD, "device_name": "phone"});
    let response = ask(good.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "a plain text token"
    );
    assert!(
        set_cookie(&response, "laravel_session").is_none(),
        "no session for apps"
    );
    let token = response.text().await.unwrap();
    let (id, secret) = token.split_once('|').unwrap();
    assert_eq!(id.len(), 32);
    assert!(secret.starts_with("latch_pat_"), "{token}");

    let bearer = |value: String| {
        new_client()
            .get(app.url("/api/user"))
            .header("Authorization", format!("Bearer {value}"))
            .send()
    };
    let (status, user) = answer(bearer(token.clone()).await.unwrap()).await;
    assert_eq!((status, user["name"].as_str()), (200, Some("mobile")));
    assert_eq!(bearer(secret.to_string()).await.unwrap().status(), 200);
    let other_id = format!("{}|{secret}", "0".repeat(32));
    assert_eq!(bearer(other_id).await.unwrap().status(), 401);
    assert_eq!(bearer("1|garbage".into()).await.unwrap().status(), 401);
    // The token is a latch personal access token: forward auth takes it too.
    let verify = new_client()
        .get(app.url("/latch/verify"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 200);
    assert_eq!(verify.headers()["x-latch-user-name"], "mobile");

    let (status, body) = answer(ask(json!({"email": "mobile@example.com"})).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["password"],
        json!(["The password field is required."])
    );
    assert_eq!(
        body["errors"]["device_name"],
        json!(["The device name field is required."])
    );
    let mut wrong = good.clone();
    wrong["password"] = json!("wrong password");
    let (status, body) = answer(ask(wrong).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["email"],
        json!(["The provided credentials are incorrect."])
    );
    // From a stateful front end the route is CSRF-checked, as Sanctum's middleware does.
    let from_front_end = client
        .post(app.url("/sanctum/token"))
        .header("Origin", FRONT_END)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(from_front_end.status(), 419);
}

#[tokio::test]
async fn broken_bodies_and_wrong_methods_get_clear_answers() {
    let app = spawn_app().await;
    let spa = Spa::start(&app).await;
    let send = |content_type: &'static str, body: &'static str| {
        spa.client
            .post(app.url("/login"))
            .header("Content-Type", content_type)
            .header("X-XSRF-TOKEN", &spa.xsrf)
            .body(body)
            .send()
    };
    let (status, body) = answer(send("application/json", "{\"email\":").await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    let (status, body) = answer(send("text/xml", "<login/>").await.unwrap()).await;
    assert_eq!(status, 415, "{body}");
    let (status, body) = answer(spa.get("/login").await).await;
    assert_eq!(status, 405);
    assert_eq!(
        body["message"],
        "The GET method is not supported for route login."
    );
    assert_eq!(app.account_count().await, 0);
}
