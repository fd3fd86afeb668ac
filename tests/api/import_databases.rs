//! `latch import drupal|django --from URL`: real-shaped Drupal 7, Drupal 8+ and Django user
//! databases, on SQLite always, on PostgreSQL in the PostgreSQL pass and on MariaDB where one
//! runs; the imported users log in with their old passwords.

use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection};

use crate::helpers::{TestApp, TestDatabase, message_of, new_client, rand_u128, skip, spawn_app};
use crate::process::latch_command;

fn hash_of(format: &str) -> (String, String) {
    let path = format!(
        "{}/tests/fixtures/hashes/php.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = cases.iter().find(|c| c["format"] == format).unwrap();
    (
        case["password"].as_str().unwrap().into(),
        case["hash"].as_str().unwrap().into(),
    )
}

/// Drupal 7's tables (the columns latch reads, and some it does not) with four users.
fn drupal7_sql() -> String {
    let (_, admin) = hash_of("drupal7_sha512");
    let (_, editor) = hash_of("drupal6_md5_upgraded");
    format!(
        "CREATE TABLE users (uid INT NOT NULL PRIMARY KEY, name VARCHAR(60) NOT NULL, pass VARCHAR(128) NOT NULL, \
         mail VARCHAR(254), theme VARCHAR(255) NOT NULL DEFAULT '', signature VARCHAR(255) NOT NULL DEFAULT '', \
         created INT NOT NULL, access INT NOT NULL, login INT NOT NULL, status SMALLINT NOT NULL, \
         timezone VARCHAR(32), language VARCHAR(12) NOT NULL DEFAULT '', init VARCHAR(254));
         CREATE TABLE role (rid INT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, weight INT NOT NULL);
         CREATE TABLE users_roles (uid INT NOT NULL, rid INT NOT NULL, PRIMARY KEY (uid, rid));
         INSERT INTO role VALUES (1, 'anonymous user', 0), (2, 'authenticated user', 1), (3, 'administrator', 2), (4, 'Content editor', 3);
         INSERT INTO users (uid, name, pass, mail, created, access, login, status) VALUES
           (0, '', '', '', 0, 0, 0, 0),
           (1, 'admin', '{admin}', 'admin@example.com', 1300000000, 1700000000, 1700000000, 1),
           (2, 'editor', '{editor}', 'editor@example.com', 1300000001, 0, 0, 1),
           (3, 'blocked', '{admin}', 'blocked@example.com', 1300000002, 0, 0, 0);
         INSERT INTO users_roles VALUES (1, 3), (2, 4), (2, 2)"
    )
}

/// Drupal 8–11's tables with three users, one with a translation row to be ignored.
fn drupal8_sql() -> String {
    let (_, admin) = hash_of("drupal8_sha512");
    let (_, editor) = hash_of("php_bcrypt");
    format!(
        "CREATE TABLE users_field_data (uid INT NOT NULL, langcode VARCHAR(12) NOT NULL, \
         preferred_langcode VARCHAR(12), name VARCHAR(60) NOT NULL, pass VARCHAR(255), mail VARCHAR(254), \
         timezone VARCHAR(32), status SMALLINT, created INT NOT NULL, changed INT, access INT NOT NULL, \
         login INT, init VARCHAR(254), default_langcode SMALLINT NOT NULL, PRIMARY KEY (uid, langcode));
         CREATE TABLE user__roles (bundle VARCHAR(128) NOT NULL, deleted SMALLINT NOT NULL, entity_id INT NOT NULL, \
         revision_id INT NOT NULL, langcode VARCHAR(32) NOT NULL, delta INT NOT NULL, \
         roles_target_id VARCHAR(255) NOT NULL, PRIMARY KEY (entity_id, deleted, delta, langcode));
         INSERT INTO users_field_data (uid, langcode, name, pass, mail, status, created, access, login, default_langcode) VALUES
           (0, 'en', '', NULL, NULL, 0, 0, 0, NULL, 1),
           (1, 'en', 'admin', '{admin}', 'admin@example.com', 1, 1500000000, 1700000000, 1700000000, 1),
           (2, 'en', 'editor', '{editor}', 'editor@example.com', 1, 1500000001, 0, NULL, 1),
           (2, 'de', 'editor', '{editor}', 'editor@example.com', 1, 1500000001, 0, NULL, 0),
           (3, 'en', 'blocked', '{admin}', 'blocked@example.com', 0, 1500000002, 0, NULL, 1);
         INSERT INTO user__roles VALUES ('user', 0, 1, 1, 'en', 0, 'administrator'), ('user', 0, 2, 2, 'en', 0, 'content_editor')"
    )
}

pub(crate) async fn load(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.unwrap();
    // Comment lines go first: one may share a chunk with the statement after it.
    let sql: String = sql
        .lines()
        .filter(|line| !line.starts_with("--"))
        .map(|line| format!("{line}\n"))
        .collect();
    for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        let statement = statement
            .trim_end_matches(';')
            .replace("\"", if url.starts_with("mysql") { "`" } else { "\"" });
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

/// Source databases to try: SQLite, the suite's PostgreSQL, and MariaDB where it runs. Each
/// comes with what drops it afterwards.
pub(crate) async fn sources(
    dir: &std::path::Path,
) -> Vec<(String, Option<TestDatabase>, Option<String>)> {
    let mut out = vec![(
        format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("src-{:x}.db", rand_u128())).display()
        ),
        None,
        None,
    )];
    if std::env::var("LATCH_TEST_POSTGRES_URL").is_ok() {
        let database = TestDatabase::create(dir);
        out.push((database.url.clone(), Some(database), None));
    }
    sqlx::any::install_default_drivers();
    match AnyConnection::connect("mysql://root@127.0.0.1:3306/test").await {
        Ok(mut server) => {
            let name = format!("latch_src_{:x}", rand_u128());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut server)
                .await
                .unwrap();
            out.push((
                format!("mysql://root@127.0.0.1:3306/{name}"),
                None,
                Some(name),
            ));
        }
        Err(e) => skip(&format!(
            "importing from MariaDB: none reachable as root@127.0.0.1:3306 ({e})"
        )),
    }
    out
}

pub(crate) async fn drop_mariadb(name: &str) {
    let mut server = AnyConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .execute(&mut server)
        .await
        .unwrap();
}

fn import(app: &TestApp, kind: &str, from: &str) -> String {
    let output = latch_command(app.dir.path())
        .args([
            "import",
            kind,
            "--from",
            from,
            "--database",
            &app.config.database_url,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{from}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn check_drupal_users(app: &TestApp, admin_format: &str, editor_format: &str, from: &str) {
    let (admin_password, _) = hash_of(admin_format);
    let (editor_password, _) = hash_of(editor_format);
    let admin = app.logged_in(&new_client(), "admin", &admin_password).await;
    assert_eq!(
        admin["current_user"]["roles"],
        json!(["authenticated", "administrator"]),
        "{from}"
    );
    let editor = new_client()
        .post(app.url("/rest/user/login.json"))
        .json(&json!({"username": "editor", "password": editor_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(editor.status(), 200, "{from}");
    let account = app.core.account_named("editor").await.unwrap();
    assert_eq!(account.roles, vec!["content_editor"], "{from}");
    assert!(
        account.password_hash.unwrap().starts_with("$argon2id$"),
        "{from}: not upgraded"
    );
    let blocked = app.login(&new_client(), "blocked", &admin_password).await;
    assert_eq!(
        message_of(blocked).await,
        "The user has not been activated or is blocked.",
        "{from}"
    );
    let admin = app.core.account_named("admin").await.unwrap();
    assert!(
        admin.created_at < 1_600_000_000,
        "{from}: created time not kept"
    );
}

/// Loads `sql` into each source database, imports from it and checks the users.
async fn import_drupal_everywhere(sql: &str, admin_format: &str, editor_format: &str) {
    let dir = tempfile::tempdir().unwrap();
    for (url, _postgres, mariadb) in sources(dir.path()).await {
        let app = spawn_app().await;
        load(&url, sql).await;
        let stdout = import(&app, "drupal", &url);
        assert!(
            stdout.contains("Imported 3 rows: 3 created"),
            "{url}: {stdout}"
        );
        check_drupal_users(&app, admin_format, editor_format, &url).await;
        if let Some(name) = mariadb {
            drop_mariadb(&name).await;
        }
    }
}

#[tokio::test]
async fn drupal_7_users_import_from_every_database_and_log_in() {
    import_drupal_everywhere(&drupal7_sql(), "drupal7_sha512", "drupal6_md5_upgraded").await;
}

#[tokio::test]
async fn drupal_8_users_import_from_every_database_and_log_in() {
    import_drupal_everywhere(&drupal8_sql(), "drupal8_sha512", "php_bcrypt").await;
}

#[tokio::test]
async fn django_users_and_groups_import_and_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("django.db").display()
    );
    let dump = include_str!("../fixtures/django/auth.sql");
    load(&url, dump).await;
    let app = spawn_app().await;
    let stdout = import(&app, "django", &url);
    assert!(stdout.contains("Imported 5 rows: 5 created"), "{stdout}");

    let alice = app
        .logged_in(&new_client(), "alice", "alice-password")
        .await;
    // Django makes superusers staff too.
    assert_eq!(
        alice["current_user"]["roles"],
        json!(["authenticated", "administrator", "staff"])
    );
    app.logged_in(&new_client(), "bob", "bob-password").await;
    let bob = app.core.account_named("bob").await.unwrap();
    assert_eq!(bob.roles, vec!["content_editors", "staff"]);
    assert!(bob.login_at > 0 && bob.password_hash.unwrap().starts_with("$argon2id$"));
    // Through the Django dialect, as the site's old clients would.
    let dave = new_client()
        .post(app.url("/dj-rest-auth/login/"))
        .json(&json!({"username": "dave.smith+test", "password": "dave-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dave.status(), 204);
    let dave = app.core.account_named("dave.smith+test").await.unwrap();
    assert!(dave.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(dave.mail, None);
    let carol = app.login(&new_client(), "carol", "carol-password").await;
    assert_eq!(
        message_of(carol).await,
        "The user has not been activated or is blocked."
    );
    // An unusable Django password never matches, whatever is tried.
    assert_eq!(app.login(&new_client(), "eve", "").await.status(), 400);
}
