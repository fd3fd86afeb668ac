//! Who may use the admin console, and how its forms are protected: anonymous visitors go to
//! the login page and back, other accounts get 403, forms need the session's CSRF token and
//! this server's origin; every page carries the strict Content-Security-Policy.

use crate::admin_support::{admin_client, assert_policy, csrf, events, page, post_form};
use crate::django_support::{LOGIN, form_token};
use crate::helpers::{new_client, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_anonymous_visitor_is_sent_to_the_login_page_and_back() {
    let app = spawn_app().await;
    let response = new_client()
        .get(app.url("/latch/admin/users?q=bo"))
        .send()
        .await
        .unwrap();
    assert_policy(&response);
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        "/auth/login/?next=%2Flatch%2Fadmin%2Fusers%3Fq%3Dbo"
    );
    // The login page sends the administrator back there.
    app.create_account("admin", "admin pass", &["administrator"])
        .await;
    let client = new_client();
    let login_page = client
        .get(app.url(location))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        login_page.contains("/latch/admin/users?q=bo"),
        "{login_page}"
    );
    let token = form_token(&login_page);
    let answer = client
        .post(app.url(LOGIN))
        .header("Accept", "text/html")
        .header("Origin", app.address.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("csrfmiddlewaretoken", token.as_str()),
                ("username", "admin"),
                ("password", "admin pass"),
                ("next", "/latch/admin/users?q=bo"),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["location"], "/latch/admin/users?q=bo");
    let (status, _) = page(&app, &client, "/latch/admin/users?q=bo").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_the_django_login_page_an_anonymous_visitor_is_told_how_to_log_in() {
    let app = spawn_app_with(|c| c.django.enabled = false).await;
    let (status, html) = page(&app, &new_client(), "/latch/admin/users").await;
    assert_eq!(status, 401);
    assert!(html.contains("Django dialect"), "{html}");
}

#[tokio::test]
async fn an_account_without_the_administrator_role_is_refused() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let token = csrf(&app, &admin).await;
    let bob = app.create_account("bob", "bob pass", &["editor"]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "bob pass").await;
    for path in [
        "/latch/admin/users",
        "/latch/admin/audit",
        "/latch/admin/apps",
    ] {
        let (status, html) = page(&app, &client, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("administrator role"), "{html}");
    }
    let path = format!("/latch/admin/users/{}/state", bob.id);
    let response = post_form(
        &app,
        &client,
        &path,
        &[("csrf_token", &token), ("action", "block")],
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(app.core.account_named("bob").await.unwrap().is_active());
}

#[tokio::test]
async fn a_form_without_the_sessions_token_or_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let bob = app.create_account("bob", "bob pass", &[]).await;
    let path = format!("/latch/admin/users/{}/state", bob.id);

    let missing = post_form(&app, &admin, &path, &[("action", "block")]).await;
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("no CSRF token"));

    let wrong = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", "forged"), ("action", "block")],
    )
    .await;
    assert_eq!(wrong.status(), 403);
    assert!(wrong.text().await.unwrap().contains("not this session"));

    // Another session's token does not pass either.
    let other = new_client();
    app.logged_in(&other, "admin", "admin pass").await;
    let others_token = csrf(&app, &other).await;
    let foreign = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &others_token), ("action", "block")],
    )
    .await;
    assert_eq!(foreign.status(), 403);

    let token = csrf(&app, &admin).await;
    let cross = admin
        .post(app.url(&path))
        .header("Origin", "https://evil.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([("csrf_token", token.as_str()), ("action", "block")])
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_policy(&cross);
    assert_eq!(cross.status(), 403);
    assert!(
        cross
            .text()
            .await
            .unwrap()
            .contains("Cross-site request refused")
    );
    assert!(app.core.account_named("bob").await.unwrap().is_active());

    // The same token from this server's origin goes through.
    let own = admin
        .post(app.url(&path))
        .header("Origin", app.url(""))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([("csrf_token", token.as_str()), ("action", "block")])
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303);
    assert!(!app.core.account_named("bob").await.unwrap().is_active());
    // The refusals were recorded (off the request's path).
    for _ in 0..50 {
        if events(&app, "csrf_reject").await.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(events(&app, "csrf_reject").await.len() >= 4);
}

#[tokio::test]
async fn every_page_renders_without_script_and_bad_input_is_a_clear_4xx() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let css = admin
        .get(app.url("/latch/admin/admin.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    for path in [
        "/latch/admin/users",
        "/latch/admin/users?q=adm&state=active&page=1",
        "/latch/admin/pending",
        "/latch/admin/sessions",
        "/latch/admin/sessions?account=admin",
        "/latch/admin/outbox",
        "/latch/admin/audit",
        "/latch/admin/audit?account=admin&type=login&from=2020-01-01&to=2099-12-31",
        "/latch/admin/apps",
        "/latch/admin/users/1",
    ] {
        let (status, html) = page(&app, &admin, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(!html.to_lowercase().contains("<script"), "{path}");
        assert!(html.contains("<h1>"), "{path}");
    }
    for (path, expected) in [
        ("/latch/admin/users?page=abc", 400),
        ("/latch/admin/users?state=gone", 400),
        ("/latch/admin/audit?type=bogus", 400),
        ("/latch/admin/audit?from=yesterday", 400),
        ("/latch/admin/users/999999", 404),
        ("/latch/admin/users/abc", 404),
        ("/latch/admin/nothing", 404),
    ] {
        let (status, html) = page(&app, &admin, path).await;
        assert_eq!(status, expected, "{path}: {html}");
    }
    let token = csrf(&app, &admin).await;
    let response = post_form(
        &app,
        &admin,
        "/latch/admin/users/1/state",
        &[("csrf_token", &token), ("action", "explode")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let response = post_form(
        &app,
        &admin,
        "/latch/admin/outbox/999/retry",
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_users_page_finds_accounts_by_name_or_mail_a_page_at_a_time() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    for n in 0..55 {
        app.create_account(&format!("user{n:02}"), "pass", &[])
            .await;
    }
    app.create_account("Zoë_x", "pass", &[]).await;
    let (_, first) = page(&app, &admin, "/latch/admin/users?q=USER").await;
    assert!(
        first.contains(">user00<") && first.contains(">user49<"),
        "{first}"
    );
    assert!(!first.contains(">user50<"));
    assert!(first.contains("Next page"));
    let (_, second) = page(&app, &admin, "/latch/admin/users?q=user&page=2").await;
    assert!(second.contains(">user50<") && second.contains(">user54<"));
    assert!(!second.contains(">user49<"));
    assert!(!second.contains("Next page") && second.contains("Previous page"));
    let (_, by_mail) = page(&app, &admin, "/latch/admin/users?q=user07%40example").await;
    assert!(by_mail.contains(">user07<") && !by_mail.contains(">user08<"));
    // A wildcard is a character like any other, and names are escaped in the page.
    let (_, literal) = page(&app, &admin, "/latch/admin/users?q=_").await;
    assert!(
        literal.contains(">Zoë_x<") && !literal.contains(">user00<"),
        "{literal}"
    );
    let (_, none) = page(&app, &admin, "/latch/admin/users?q=%25").await;
    assert!(none.contains("No account matches."), "{none}");
    let (_, none) = page(&app, &admin, "/latch/admin/users?q=%3Cscript%3E").await;
    assert!(none.contains("&lt;script&gt;") && !none.contains("<script>"));
}
