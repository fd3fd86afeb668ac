//! Each action of the admin console: its effect, and its audit row naming the administrator.

use latch::core::accounts::AccountState;

use crate::admin_support::{
    admin_client, csrf, events, location, page, pending_account, post_form,
};
use crate::helpers::{new_client, spawn_app};

#[tokio::test]
async fn blocking_ends_the_users_session_and_unblocking_lets_them_back() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let bob = app.create_account("bob", "bob pass", &[]).await;
    let bobs = new_client();
    app.logged_in(&bobs, "bob", "bob pass").await;
    assert_eq!(app.login_status(&bobs).await, "1");
    let token = csrf(&app, &admin).await;
    let path = format!("/latch/admin/users/{}/state", bob.id);

    let blocked = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &token), ("action", "block")],
    )
    .await;
    assert_eq!(
        location(&blocked),
        format!("/latch/admin/users/{}?done=blocked", bob.id)
    );
    assert_eq!(app.login_status(&bobs).await, "0");
    let account = app.core.account_named("bob").await.unwrap();
    assert_eq!(account.state, AccountState::Blocked);
    let row = &events(&app, "account_block").await[0];
    assert_eq!(row.account_name.as_deref(), Some("bob"));
    assert_eq!(row.actor.as_deref(), Some("admin"));
    let (_, html) = page(
        &app,
        &admin,
        &format!("/latch/admin/users/{}?done=blocked", bob.id),
    )
    .await;
    assert!(html.contains("The account is blocked"), "{html}");
    assert!(
        html.contains("account_block"),
        "the user's audit trail on the page: {html}"
    );

    let unblocked = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &token), ("action", "unblock")],
    )
    .await;
    assert_eq!(unblocked.status(), 303);
    assert!(app.core.account_named("bob").await.unwrap().is_active());
    let row = &events(&app, "account_activate").await[0];
    assert_eq!(row.detail.as_deref(), Some("unblocked"));
    assert_eq!(row.actor.as_deref(), Some("admin"));
    app.logged_in(&new_client(), "bob", "bob pass").await;
}

#[tokio::test]
async fn approving_a_pending_registration_activates_it_and_tells_its_holder() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let id = pending_account(&app, "newbie").await;
    let (_, html) = page(&app, &admin, "/latch/admin/pending").await;
    assert!(html.contains(">newbie<"), "{html}");
    let token = csrf(&app, &admin).await;
    let path = format!("/latch/admin/users/{id}/state");
    let approved = post_form(
        &app,
        &admin,
        &path,
        &[
            ("csrf_token", &token),
            ("action", "approve"),
            ("from", "pending"),
        ],
    )
    .await;
    assert_eq!(location(&approved), "/latch/admin/pending?done=approved");
    assert!(app.core.account_named("newbie").await.unwrap().is_active());
    assert!(
        app.outbox()
            .await
            .iter()
            .any(|m| m.kind == "status_activated" && m.recipient == "newbie@example.com")
    );
    let row = &events(&app, "account_activate").await[0];
    assert_eq!(row.detail.as_deref(), Some("approved"));
    assert_eq!(row.actor.as_deref(), Some("admin"));
    let (_, html) = page(&app, &admin, "/latch/admin/pending").await;
    assert!(!html.contains(">newbie<"));
    // An active account is not approved twice.
    let again = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &token), ("action", "approve")],
    )
    .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn roles_are_set_exactly_and_a_bad_role_is_refused() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let bob = app.create_account("bob", "bob pass", &["editor"]).await;
    let token = csrf(&app, &admin).await;
    let path = format!("/latch/admin/users/{}/roles", bob.id);
    let saved = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &token), ("roles", "reviewer, administrator")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let mut roles = app.core.account_named("bob").await.unwrap().roles;
    roles.sort();
    assert_eq!(roles, ["administrator", "reviewer"]);
    let row = &events(&app, "roles_change").await[0];
    assert_eq!(row.actor.as_deref(), Some("admin"));
    assert_eq!(
        row.detail.as_deref(),
        Some("roles: authenticated, administrator, reviewer")
    );
    let bad = post_form(
        &app,
        &admin,
        &path,
        &[("csrf_token", &token), ("roles", "Bad Role!")],
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(app.core.account_named("bob").await.unwrap().roles.len(), 2);
}

#[tokio::test]
async fn ending_sessions_and_mailing_a_reset_link() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let bob = app.create_account("bob", "bob pass", &[]).await;
    let (first, second) = (new_client(), new_client());
    app.logged_in(&first, "bob", "bob pass").await;
    app.logged_in(&second, "bob", "bob pass").await;
    let token = csrf(&app, &admin).await;

    // One session, from the sessions page.
    let (_, html) = page(&app, &admin, "/latch/admin/sessions?account=bob").await;
    let sessions = app.core.live_sessions(Some("bob")).await.unwrap();
    assert_eq!(sessions.len(), 2);
    let one = &sessions[0].public_id;
    assert!(html.contains(one.as_str()), "{html}");
    let ended = post_form(
        &app,
        &admin,
        "/latch/admin/sessions/end",
        &[("csrf_token", &token), ("session", one)],
    )
    .await;
    assert_eq!(location(&ended), "/latch/admin/sessions?done=ended");
    assert_eq!(app.core.live_sessions(Some("bob")).await.unwrap().len(), 1);
    let row = &events(&app, "session_revoke").await[0];
    assert_eq!(row.actor.as_deref(), Some("admin"));
    assert_eq!(row.account_name.as_deref(), Some("bob"));

    // All of them, from the user's page.
    let path = format!("/latch/admin/users/{}/sessions", bob.id);
    let all = post_form(&app, &admin, &path, &[("csrf_token", &token)]).await;
    assert_eq!(all.status(), 303);
    assert_eq!(app.login_status(&first).await, "0");
    assert_eq!(app.login_status(&second).await, "0");
    // The administrator's own session is untouched.
    let (status, _) = page(&app, &admin, "/latch/admin/users").await;
    assert_eq!(status, 200);

    let path = format!("/latch/admin/users/{}/reset", bob.id);
    let reset = post_form(&app, &admin, &path, &[("csrf_token", &token)]).await;
    assert_eq!(
        location(&reset),
        format!("/latch/admin/users/{}?done=reset", bob.id)
    );
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.kind == "password_reset")
        .unwrap();
    assert_eq!(mail.recipient, "bob@example.com");
    assert!(app.mail_text(mail.id).await.contains("/user/reset/"));
    let row = &events(&app, "password_reset_request").await[0];
    assert_eq!(row.actor.as_deref(), Some("admin"));
    assert_eq!(row.account_name.as_deref(), Some("bob"));
}

#[tokio::test]
async fn a_dead_lettered_message_is_retried_from_the_outbox_page() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    app.execute(
        "INSERT INTO mail_outbox (kind, recipient, subject, body, created_at, next_attempt_at, \
         state, attempts, last_error) VALUES ('password_reset', 'dead@example.com', 'Hi', \
         'Body', 1, 1, 'dead', 5, 'mailbox unavailable')"
            .into(),
    )
    .await;
    let id = app
        .outbox()
        .await
        .iter()
        .find(|m| m.state == "dead")
        .unwrap()
        .id;
    let (_, html) = page(&app, &admin, "/latch/admin/outbox").await;
    assert!(
        html.contains("dead@example.com") && html.contains("mailbox unavailable"),
        "{html}"
    );
    let token = csrf(&app, &admin).await;
    let path = format!("/latch/admin/outbox/{id}/retry");
    let retried = post_form(&app, &admin, &path, &[("csrf_token", &token)]).await;
    assert_eq!(location(&retried), "/latch/admin/outbox?done=queued");
    let message = app.outbox().await.into_iter().find(|m| m.id == id).unwrap();
    assert_ne!(message.state, "dead");
    // The worker delivers it (to the mail log, in the tests).
    app.mail_text(id).await;
    let row = &events(&app, "mail_retry").await[0];
    assert_eq!(row.actor.as_deref(), Some("admin"));
    assert_eq!(
        row.detail.as_deref(),
        Some(format!("message {id}").as_str())
    );
    // A delivered message is not sent twice.
    let again = post_form(&app, &admin, &path, &[("csrf_token", &token)]).await;
    assert_eq!(location(&again), "/latch/admin/outbox?done=delivered");
}

#[tokio::test]
async fn an_application_is_added_with_its_token_shown_once_and_revoked() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    let token = csrf(&app, &admin).await;
    let added = post_form(
        &app,
        &admin,
        "/latch/admin/apps",
        &[("csrf_token", &token), ("name", "shop")],
    )
    .await;
    assert_eq!(added.status(), 200);
    let html = added.text().await.unwrap();
    let start = html.find("latch_app_").expect("the token on the page");
    let app_token: String = html[start..].chars().take_while(|c| *c != '"').collect();
    assert!(
        app.core
            .authenticate_app(&app_token)
            .await
            .unwrap()
            .is_some()
    );
    let (_, listed) = page(&app, &admin, "/latch/admin/apps").await;
    assert!(listed.contains(">shop<") && !listed.contains(&app_token));
    let taken = post_form(
        &app,
        &admin,
        "/latch/admin/apps",
        &[("csrf_token", &token), ("name", "shop")],
    )
    .await;
    assert_eq!(taken.status(), 400);
    assert!(taken.text().await.unwrap().contains("already exists"));

    let revoked = post_form(
        &app,
        &admin,
        "/latch/admin/apps/revoke",
        &[("csrf_token", &token), ("name", "shop")],
    )
    .await;
    assert_eq!(location(&revoked), "/latch/admin/apps?done=revoked");
    assert!(
        app.core
            .authenticate_app(&app_token)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        events(&app, "token_create").await[0].actor.as_deref(),
        Some("admin")
    );
    assert_eq!(
        events(&app, "token_revoke").await[0].actor.as_deref(),
        Some("admin")
    );
}

#[tokio::test]
async fn the_audit_page_filters_by_account_type_and_day() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    app.create_account("bob", "bob pass", &[]).await;
    app.logged_in(&new_client(), "bob", "bob pass").await;
    let _ = app.login(&new_client(), "carol", "nope").await;
    let (_, html) = page(&app, &admin, "/latch/admin/audit?account=bob").await;
    assert!(html.contains(">bob<") && !html.contains("carol"), "{html}");
    let (_, html) = page(&app, &admin, "/latch/admin/audit?type=login_failed").await;
    assert!(html.contains("carol") && !html.contains(">bob<"), "{html}");
    let (_, html) = page(
        &app,
        &admin,
        "/latch/admin/audit?from=2000-01-01&to=2000-01-02",
    )
    .await;
    assert!(html.contains("No events."), "{html}");
}
