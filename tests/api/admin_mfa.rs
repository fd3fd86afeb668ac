//! Second factors in the admin console: who has one, and removing it for a holder who lost it.

use crate::admin_support::{admin_client, csrf, events, location, page, post_form};
use crate::helpers::{new_client, spawn_app};
use crate::mfa_support::enrolled_account;

#[tokio::test]
async fn the_console_shows_who_has_a_second_factor_and_removes_it() {
    let app = spawn_app().await;
    let admin = admin_client(&app).await;
    enrolled_account(&app, "bob", "bob pass").await;
    let carol = app.create_account("carol", "carol pass", &[]).await;
    let bob = app.core.account_named("bob").await.unwrap();

    let (status, html) = page(&app, &admin, "/latch/admin/users?q=bob").await;
    assert_eq!(status, 200);
    assert!(html.contains("<td>TOTP</td>"), "{html}");
    let (_, html) = page(&app, &admin, "/latch/admin/users?q=carol").await;
    assert!(html.contains("<td>none</td>"), "{html}");
    let (_, html) = page(&app, &admin, &format!("/latch/admin/users/{}", carol.id)).await;
    assert!(
        !html.contains("second-factor"),
        "no removal without a factor: {html}"
    );

    let path = format!("/latch/admin/users/{}", bob.id);
    let (_, html) = page(&app, &admin, &path).await;
    assert!(html.contains("TOTP (10 recovery codes left)"), "{html}");
    // A password alone does not log bob in.
    assert_ne!(
        app.login(&new_client(), "bob", "bob pass").await.status(),
        200
    );

    let token = csrf(&app, &admin).await;
    let refused = post_form(&app, &admin, &format!("{path}/second-factor"), &[]).await;
    assert_eq!(refused.status(), 403);
    let removed = post_form(
        &app,
        &admin,
        &format!("{path}/second-factor"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(location(&removed), format!("{path}?done=mfa-removed"));
    let row = &events(&app, "mfa_remove").await[0];
    assert_eq!(row.account_name.as_deref(), Some("bob"));
    assert_eq!(row.actor.as_deref(), Some("admin"));
    let (_, html) = page(&app, &admin, "/latch/admin/users?q=bob").await;
    assert!(html.contains("<td>none</td>"), "{html}");
    app.logged_in(&new_client(), "bob", "bob pass").await;
}
