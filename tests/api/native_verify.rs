//! `GET /latch/verify`: forward auth for proxies, with every credential latch issues.

use latch::config::{AccessPolicy, AccessRule};
use latch::core::accounts::AccountState;
use reqwest::Client;

use crate::django_support::{LOGIN, client_with_token, urlencoded};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::native_support::{
    django_session, drupal_session, header, platformos_session, services_session, verify,
};

#[tokio::test]
async fn without_a_session_verify_is_401_with_an_empty_body() {
    let app = spawn_app().await;
    let response = verify(&app, "", None, &[]).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("x-latch-user-id").is_none());
    assert_eq!(response.text().await.unwrap(), "");
}

#[tokio::test]
async fn a_live_session_passes_with_the_account_in_headers() {
    let app = spawn_app().await;
    let account = app.create_account("alice", "secret", &["editor"]).await;
    let cookie = drupal_session(&app, "alice", "secret").await;
    let response = verify(&app, "", Some(&cookie), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-latch-user-id"), account.id.to_string());
    assert_eq!(header(&response, "x-latch-user-uuid"), account.uuid);
    assert_eq!(header(&response, "x-latch-user-name"), "alice");
    assert_eq!(header(&response, "x-latch-user-mail"), "alice@example.com");
    assert_eq!(
        header(&response, "x-latch-user-roles"),
        "authenticated,editor"
    );
    let expires: i64 = header(&response, "x-latch-session-expires")
        .parse()
        .unwrap();
    assert!(expires > latch::core::now());
    assert_eq!(header(&response, "cache-control"), "no-store");
}

#[tokio::test]
async fn every_credential_kind_latch_issues_is_accepted() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let credentials = [
        drupal_session(&app, "bob", "secret").await,
        django_session(&app, "bob", "secret").await,
        services_session(&app, "bob", "secret").await,
        platformos_session(&app, "bob@example.com", "secret").await,
    ];
    for credential in &credentials {
        let response = verify(&app, "", Some(credential), &[]).await;
        assert_eq!(response.status(), 200, "{credential:?}");
        assert_eq!(header(&response, "x-latch-user-name"), "bob");
    }
}

#[tokio::test]
async fn logging_out_and_blocking_refuse_at_once() {
    let app = spawn_app().await;
    app.create_account("carol", "secret", &[]).await;
    let client = crate::helpers::new_client();
    let login = app.logged_in(&client, "carol", "secret").await;
    let cookie = drupal_session(&app, "carol", "secret").await;
    let bare = |c: &Client| c.get(app.url("/latch/verify"));
    assert_eq!(bare(&client).send().await.unwrap().status(), 200);
    let logout = app
        .logout(&client, login["logout_token"].as_str().unwrap())
        .await;
    assert_eq!(logout.status(), 204);
    assert_eq!(bare(&client).send().await.unwrap().status(), 401);

    assert_eq!(verify(&app, "", Some(&cookie), &[]).await.status(), 200);
    app.core
        .set_account_state("carol", AccountState::Blocked)
        .await
        .unwrap();
    assert_eq!(verify(&app, "", Some(&cookie), &[]).await.status(), 401);
}

#[tokio::test]
async fn a_role_asked_for_in_the_query_is_needed() {
    let app = spawn_app().await;
    app.create_account("dave", "secret", &["editor"]).await;
    let cookie = drupal_session(&app, "dave", "secret").await;
    for (query, status) in [
        ("?role=editor", 200),
        ("?role=admin&role=editor", 200),
        ("?role=authenticated", 200),
        ("?role=admin", 403),
        ("?role=admin&role=", 403),
    ] {
        let response = verify(&app, query, Some(&cookie), &[]).await;
        assert_eq!(response.status(), status, "{query}");
    }
    // Without a session, a role check is still 401: logging in may help.
    assert_eq!(verify(&app, "?role=admin", None, &[]).await.status(), 401);
}

#[tokio::test]
async fn malformed_cookies_and_headers_are_401_never_500() {
    let app = spawn_app().await;
    let long = "a".repeat(5000);
    let cookies = [
        "SESSabc=%%%",
        "sessionid=é\\0",
        "sessionid=",
        "SESS; ; ;=;",
        long.as_str(),
    ];
    for cookie in cookies {
        let credential = ("Cookie", format!("{cookie}; sessionid={cookie}"));
        let response = verify(&app, "", Some(&credential), &[]).await;
        assert_eq!(response.status(), 401, "{cookie:?}");
    }
    for token in ["", "not-a-session", long.as_str(), "é"] {
        let credential = ("X-Session-Token", token.to_string());
        let response = verify(&app, "", Some(&credential), &[]).await;
        assert_eq!(response.status(), 401, "{token:?}");
    }
    // A header value that is not ASCII at all.
    let response = Client::new()
        .get(app.url("/latch/verify"))
        .header(
            "X-Session-Token",
            reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn names_that_no_header_can_hold_are_percent_encoded() {
    let app = spawn_app().await;
    app.create_account("Zoë Ñandú", "secret", &[]).await;
    let cookie = drupal_session(&app, "Zoë Ñandú", "secret").await;
    let response = verify(&app, "", Some(&cookie), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-latch-user-name"),
        "Zo%C3%AB%20%C3%91and%C3%BA"
    );
}

fn behind_proxy(config: &mut latch::config::Config) {
    config.http.trusted_proxies = vec![latch::config::Network::parse("127.0.0.1").unwrap()];
    config.forward_auth.return_hosts = vec!["app.test".into(), "*.apps.test".into()];
}

const HTML: (&str, &str) = ("Accept", "text/html,application/xhtml+xml");

#[tokio::test]
async fn redirect_mode_sends_browsers_to_the_login_page_with_the_original_url() {
    let app = spawn_app_with(behind_proxy).await;
    let login = format!("{}{LOGIN}", app.config.public_url);
    let forwarded = |host: &'static str| {
        [
            HTML,
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", host),
            ("X-Forwarded-Uri", "/reports?year=2026"),
        ]
    };
    let response = verify(&app, "?redirect=1", None, &forwarded("app.test")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        header(&response, "location"),
        format!("{login}?next=https%3A%2F%2Fapp.test%2Freports%3Fyear%3D2026")
    );
    let response = verify(&app, "?redirect=1", None, &forwarded("x.apps.test:8443")).await;
    assert_eq!(
        header(&response, "location"),
        format!("{login}?next=https%3A%2F%2Fx.apps.test%3A8443%2Freports%3Fyear%3D2026")
    );
    // A host off the allow-list is never a destination: the login page without `next`.
    let response = verify(&app, "?redirect=1", None, &forwarded("evil.test")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(header(&response, "location"), login);
    // An API client (no HTML) and the plain mode get 401.
    let response = verify(&app, "?redirect=1", None, &forwarded("app.test")[1..]).await;
    assert_eq!(response.status(), 401);
    let response = verify(&app, "", None, &forwarded("app.test")).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(|config| {
        config.forward_auth.return_hosts = vec!["app.test".into()];
    })
    .await;
    let response = verify(
        &app,
        "?redirect=1",
        None,
        &[
            HTML,
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "app.test"),
            ("X-Forwarded-Uri", "/"),
        ],
    )
    .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        header(&response, "location"),
        format!("{}{LOGIN}", app.config.public_url)
    );
}

#[tokio::test]
async fn without_access_rules_the_original_request_does_not_matter() {
    let app = spawn_app_with(behind_proxy).await;
    app.create_account("hank", "secret", &[]).await;
    let cookie = drupal_session(&app, "hank", "secret").await;
    for headers in [
        [("X-Original-URI", "/a"), ("X-Forwarded-Uri", "/b")],
        [
            ("X-Forwarded-Host", "app.test"),
            ("X-Forwarded-Uri", "/100%"),
        ],
    ] {
        let response = verify(&app, "", Some(&cookie), &headers).await;
        assert_eq!(response.status(), 200, "{headers:?}");
    }
}

#[tokio::test]
async fn the_login_page_returns_only_to_allowed_hosts() {
    let app = spawn_app_with(behind_proxy).await;
    app.create_account("erin", "secret", &[]).await;
    for (next, location) in [
        ("https://app.test/reports", "https://app.test/reports"),
        ("https://evil.test/", LOGIN),
        ("https://app.test@evil.test/", LOGIN),
    ] {
        let (client, token) = client_with_token(&app).await;
        let response = client
            .post(app.url(LOGIN))
            .header("Accept", "text/html")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(urlencoded(&[
                ("csrfmiddlewaretoken", &token),
                ("username", "erin"),
                ("password", "secret"),
                ("next", next),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{next}");
        assert_eq!(header(&response, "location"), location, "{next}");
    }
}

fn rule(host: &str, path: &str, policy: Option<AccessPolicy>, roles: &[&str]) -> AccessRule {
    AccessRule {
        host: host.into(),
        path: path.into(),
        policy,
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

#[tokio::test]
async fn access_rules_decide_by_host_and_path_first_match_wins() {
    let app = spawn_app_with(|config| {
        behind_proxy(config);
        config.access = vec![
            rule("app.test", "/public", Some(AccessPolicy::Bypass), &[]),
            rule("*", "/admin", None, &["admin"]),
            rule("open.test", "/", Some(AccessPolicy::Bypass), &[]),
        ];
    })
    .await;
    app.create_account("frank", "secret", &["editor"]).await;
    app.create_account("grace", "secret", &["admin"]).await;
    let frank = drupal_session(&app, "frank", "secret").await;
    let grace = drupal_session(&app, "grace", "secret").await;
    let cases = [
        ("app.test", "/public/a.css", None, 200),
        ("app.test", "/publications", None, 401),
        ("app.test", "/", None, 401),
        ("app.test", "/", Some(&frank), 200),
        ("app.test", "/admin/users", Some(&frank), 403),
        ("app.test", "/admin/users", Some(&grace), 200),
        ("open.test", "/anything", None, 200),
        ("open.test", "/admin", None, 401),
        // Matched as the proxy routes it: /admin.
        ("app.test", "/public/../admin", None, 401),
        ("app.test", "/public/..%2Fadmin", Some(&frank), 403),
        ("app.test", "/%61dmin", Some(&frank), 403),
        // A path that does not decode names no one request.
        ("app.test", "/public/%zz", None, 403),
    ];
    for (host, uri, credential, status) in cases {
        let headers = [("X-Forwarded-Host", host), ("X-Forwarded-Uri", uri)];
        let response = verify(&app, "", credential, &headers).await;
        assert_eq!(response.status(), status, "{host}{uri}");
    }
    // nginx's X-Original-URI counts as well; one that disagrees with X-Forwarded-Uri is a
    // client's forgery passed through, and refused.
    let nginx = [
        ("X-Forwarded-Host", "app.test"),
        ("X-Original-URI", "/public/x"),
    ];
    assert_eq!(verify(&app, "", None, &nginx).await.status(), 200);
    let forged = [
        ("X-Forwarded-Host", "app.test"),
        ("X-Original-URI", "/public/x"),
        ("X-Forwarded-Uri", "/admin"),
    ];
    assert_eq!(verify(&app, "", None, &forged).await.status(), 403);
    // `?role=` applies on top of a bypass rule.
    let headers = [
        ("X-Forwarded-Host", "app.test"),
        ("X-Forwarded-Uri", "/public"),
    ];
    let response = verify(&app, "?role=admin", Some(&frank), &headers).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_rule_shadowed_by_an_earlier_one_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latch.toml");
    std::fs::write(
        &file,
        "[[access]]\nhost = \"*.example.com\"\nroles = [\"staff\"]\n\n\
         [[access]]\nhost = \"app.example.com\"\npath = \"/admin\"\nroles = [\"admin\"]\n",
    )
    .unwrap();
    let error = latch::config::Config::load(Some(&file), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("rule 2"), "{error}");
    assert!(
        error.contains("rule 1") && error.contains("never apply"),
        "{error}"
    );
}
