//! The mail flows end to end, each completed by following the link taken from the message a
//! real SMTP server received: verification at registration, password reset, approval.

use std::time::Duration;

use latch::core::accounts::RegistrationMode;
use latch::core::mail::OneTimeLinks;
use latch::core::secret::ServerSecret;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, spawn_app_with};
use crate::mail_sink::{Reply, SmtpSink, latch_cli};

async fn set_password(app: &TestApp, client: &Client, link: &str, pass: &str) -> (u16, Value) {
    let response = client
        .post(app.url(&format!("{link}?_format=json")))
        .header("Content-Type", "application/json")
        .body(json!({ "pass": pass }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, body_json(&response.text().await.unwrap()))
}

async fn get(client: &Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Logs in with a one-time link, as its confirmation form does.
async fn use_link(client: &Client, url: String) -> (u16, String) {
    let response = client.post(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_visitor_verifies_their_mail_by_the_link_and_sets_a_password_over_rest() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.registration.verify_mail = true;
        c.site_name = "Example".into();
    })
    .await;
    let body = json!({"name": {"value": "vera"}, "mail": {"value": "vera@example.com"}});
    assert_eq!(app.register(&new_client(), &body).await.status(), 200);

    let message = sink
        .wait_for("vera@example.com", "Account details for vera")
        .await;
    assert!(message.subject.contains("Example"), "{}", message.subject);
    let link = message.link_path();
    let client = new_client();
    let (status, text) = get(&client, app.url(&format!("{link}?_format=json"))).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(body_json(&text)["name"], "vera");

    let (status, login) = set_password(&app, &client, &link, "chosen-pass").await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["current_user"]["name"], "vera");
    assert!(login["logout_token"].is_string());
    assert_eq!(app.login_status(&client).await, "1");
    app.logged_in(&new_client(), "vera", "chosen-pass").await;

    let (status, refused) = set_password(&app, &new_client(), &link, "again").await;
    assert_eq!(status, 403, "a used link must be refused: {refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("has either been used")
    );
}

#[tokio::test]
async fn a_password_reset_link_sets_a_new_password_and_ends_every_other_session() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| sink.configure(c)).await;
    app.create_account("rita", "old-pass", &[]).await;
    let (laptop, phone) = (new_client(), new_client());
    app.logged_in(&laptop, "rita", "old-pass").await;
    app.logged_in(&phone, "rita", "old-pass").await;

    let response = new_client()
        .post(app.url("/user/password?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({"mail": "rita@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let message = sink.wait_for("rita@example.com", "Replacement login").await;

    let browser = new_client();
    let (status, login) = set_password(&app, &browser, &message.link_path(), "new-pass").await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(app.login_status(&browser).await, "1");
    assert_eq!(app.login_status(&laptop).await, "0");
    assert_eq!(app.login_status(&phone).await, "0");
    assert_eq!(
        app.login(&new_client(), "rita", "old-pass").await.status(),
        400
    );
    app.logged_in(&new_client(), "rita", "new-pass").await;
}

/// A site where visitors' accounts wait for approval, with an administrator, boss.
async fn approval_site() -> (SmtpSink, TestApp) {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.registration.mode = RegistrationMode::VisitorsAdminApproval;
    })
    .await;
    app.create_account("boss", "boss-pass", &["administrator"])
        .await;
    (sink, app)
}

#[tokio::test]
async fn an_approved_account_is_told_and_logs_in_by_the_mailed_link() {
    let (sink, app) = approval_site().await;
    assert_eq!(
        app.register_simple("paula", "paula@example.com", "her-pass")
            .await
            .status(),
        200
    );
    sink.wait_for("paula@example.com", "pending admin approval")
        .await;
    let notice = sink.wait_for("boss@example.com", "paula").await;
    assert!(
        notice.text.contains("latch user approve 'paula'"),
        "{}",
        notice.text
    );
    assert_eq!(
        app.login(&new_client(), "paula", "her-pass").await.status(),
        400
    );

    latch_cli(&app, &["user", "approve", "paula"]);
    let activated = sink.wait_for("paula@example.com", "(approved)").await;
    let client = new_client();
    let (status, text) = use_link(
        &client,
        app.url(&format!("{}/login", activated.link_path())),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(body_json(&text)["current_user"]["name"], "paula");
    assert_eq!(app.login_status(&client).await, "1");
    let (status, _) = use_link(
        &new_client(),
        app.url(&format!("{}/login", activated.link_path())),
    )
    .await;
    assert_eq!(status, 403, "the link works once");
}

#[tokio::test]
async fn an_administrator_approving_over_the_api_notifies_the_account_holder() {
    let (sink, app) = approval_site().await;
    let response = app
        .register_simple("pia", "pia@example.com", "pia-pass")
        .await;
    let uid = body_json(&response.text().await.unwrap())["uid"][0]["value"]
        .as_i64()
        .unwrap();
    let admin = new_client();
    let login = app.logged_in(&admin, "boss", "boss-pass").await;
    let response = admin
        .patch(app.url(&format!("/user/{uid}?_format=json")))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", login["csrf_token"].as_str().unwrap())
        .body(json!({"status": [{"value": true}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    sink.wait_for("pia@example.com", "(approved)").await;
    app.logged_in(&new_client(), "pia", "pia-pass").await;
}

#[tokio::test]
async fn expired_links_and_links_older_than_a_password_change_are_refused() {
    let app = spawn_app_with(|_| {}).await;
    let account = app.create_account("eve", "first-pass", &[]).await;
    let secret = ServerSecret::load_or_create(None, &app.config.secret_file)
        .unwrap()
        .0;
    let links = OneTimeLinks::new(&secret);
    let now = latch::core::now();
    let old = now - 2 * 86_400;
    let expired = format!(
        "/user/reset/{}/{old}/{}",
        account.id,
        links.sign(&account, old)
    );
    let (status, text) = set_password(&app, &new_client(), &expired, "x-pass").await;
    assert_eq!(status, 403);
    assert!(
        text["message"].as_str().unwrap().contains("has expired"),
        "{text}"
    );

    let fresh = format!(
        "/user/reset/{}/{now}/{}",
        account.id,
        links.sign(&account, now)
    );
    let forged = format!("{fresh}x");
    assert_eq!(
        set_password(&app, &new_client(), &forged, "x-pass").await.0,
        403
    );
    latch_cli(
        &app,
        &["user", "set-password", "eve", "--password", "second-pass"],
    );
    let (status, text) = set_password(&app, &new_client(), &fresh, "x-pass").await;
    assert_eq!(status, 403, "a password change voids older links: {text}");
    app.logged_in(&new_client(), "eve", "second-pass").await;
}

/// A site without SMTP, an account `bea` and the path of a reset link mailed to her, read
/// from the mail log where a developer finds it.
async fn site_with_reset_link() -> (TestApp, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let log_setting = log.display().to_string();
    // No SMTP server: the message goes to the log file, where a developer finds the link.
    let app = spawn_app_with(|c| {
        c.mail.log_file = log_setting;
        c.mail.poll_interval = Duration::from_millis(200);
    })
    .await;
    app.create_account("bea", "bea-pass", &[]).await;
    app.core
        .request_password_reset(
            latch::core::AccountLookup::Name("bea".into()),
            &latch::core::ClientContext::command_line(),
        )
        .await
        .unwrap();
    let text = wait_for_file(&log).await;
    let start = text.find("/user/reset/").expect("a link in the mail log");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    (app, link, dir)
}

#[tokio::test]
async fn a_browser_sees_a_confirmation_page_that_does_not_use_the_link_up() {
    let (app, link, _dir) = site_with_reset_link().await;
    let browser = new_client();
    for _ in 0..2 {
        let page = browser
            .get(app.url(&link))
            .header("Accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("one-time login for <em>bea</em>"), "{html}");
        assert!(html.contains(&format!("action=\"{link}/login\"")), "{html}");
    }
    // Following `…/login` itself (a link on another site, a prefetch) only shows the form.
    let page = browser
        .get(app.url(&format!("{link}/login")))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("method=\"post\""));
    assert_eq!(app.login_status(&browser).await, "0");
    let page = browser
        .post(app.url(&format!("{link}/login")))
        .header("Accept", "text/html")
        .header("Origin", &app.address)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("logged in as <em>bea</em>")
    );
    assert_eq!(app.login_status(&browser).await, "1");
    let states = app.strings("SELECT state FROM mail_outbox").await;
    assert_eq!(states, ["logged"]);
}

#[tokio::test]
async fn a_one_time_link_logs_in_only_by_a_post_from_this_site_or_an_app() {
    let (app, link, _dir) = site_with_reset_link().await;
    let client = new_client();
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let response = client
            .request(
                method.clone(),
                app.url(&format!("{link}/login?_format=json")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST");
    }
    let (status, text) = get(&client, app.url(&format!("{link}/login"))).await;
    assert!(body_json(&text)["hint"].as_str().unwrap().contains("POST"));
    assert_eq!(status, 405);
    // A form on another site posting the link is refused by the cross-site screen.
    let response = client
        .post(app.url(&format!("{link}/login")))
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.login_status(&client).await, "0");
    // None of that used the link up.
    let (status, text) = use_link(&client, app.url(&format!("{link}/login"))).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(body_json(&text)["current_user"]["name"], "bea");
    assert_eq!(app.login_status(&client).await, "1");
}

async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.contains("======")
        {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("nothing was written to {}", path.display());
}

#[tokio::test]
async fn a_verified_account_logged_in_by_link_sets_its_first_password_without_a_current_one() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.registration.verify_mail = true;
    })
    .await;
    let body = json!({"name": {"value": "val"}, "mail": {"value": "val@example.com"}});
    let response = app.register(&new_client(), &body).await;
    let uid = body_json(&response.text().await.unwrap())["uid"][0]["value"]
        .as_i64()
        .unwrap();
    let message = sink.wait_for("val@example.com", "Account details").await;
    let client = new_client();
    let (status, text) =
        use_link(&client, app.url(&format!("{}/login", message.link_path()))).await;
    assert_eq!(status, 200, "{text}");
    let csrf = body_json(&text)["csrf_token"].as_str().unwrap().to_string();
    let response = client
        .patch(app.url(&format!("/user/{uid}?_format=json")))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", csrf)
        .body(json!({"pass": [{"value": "first-pass"}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app.logged_in(&new_client(), "val", "first-pass").await;
}
