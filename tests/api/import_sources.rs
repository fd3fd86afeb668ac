//! `latch import wordpress|aspnet --from URL`: WordPress and ASP.NET Core Identity tables as
//! those systems create them, on SQLite always, on PostgreSQL in the PostgreSQL pass and on
//! MariaDB where one runs; the imported users log in with their old passwords (hashes made
//! by tests/fixtures/hashes/generate_imports.py) and come out with Argon2id hashes.

use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection};

use crate::helpers::{TestApp, message_of, new_client, spawn_app};
use crate::import_databases::{drop_mariadb, load, sources};
use crate::process::latch_command;

/// The fixtures of one format: (password, hash as latch stores it, the source's own fields).
pub fn fixtures(format: &str) -> Vec<(String, String, Value)> {
    let path = format!(
        "{}/tests/fixtures/hashes/imports.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases
        .into_iter()
        .filter(|c| c["format"] == format)
        .map(|c| {
            (
                c["password"].as_str().unwrap().to_string(),
                c["hash"].as_str().unwrap().to_string(),
                c["native"].clone(),
            )
        })
        .collect()
}

pub fn import(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let output = latch_command(app.dir.path())
        .arg("import")
        .args(args)
        .args(["--database", &app.config.database_url])
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// Runs each statement as it is (WordPress's serialized values hold double quotes).
async fn run(url: &str, statements: &[String]) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.unwrap();
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

fn php_string(text: &str) -> String {
    format!("s:{}:\"{text}\";", text.len())
}

/// A serialized PHP array of `key => true`.
fn php_flags(keys: &[&str]) -> String {
    let body: String = keys
        .iter()
        .map(|k| format!("{}b:1;", php_string(k)))
        .collect();
    format!("a:{}:{{{body}}}", keys.len())
}

/// WordPress's tables under the prefix `blog_`, with a custom role `shop_viewer`.
fn wordpress_sql(url: &str) -> Vec<String> {
    let datetime = if url.starts_with("postgres") {
        "TIMESTAMP"
    } else {
        "DATETIME"
    };
    let (_, phpass, _) = fixtures("wordpress_phpass").remove(0);
    let (_, bcrypt, _) = fixtures("wordpress_bcrypt").remove(0);
    let (_, unicode, _) = fixtures("wordpress_phpass").remove(1);
    let roles = [
        "administrator",
        "editor",
        "author",
        "contributor",
        "subscriber",
        "shop_viewer",
    ];
    let role_entries: String = roles
        .iter()
        .map(|r| {
            format!(
                "{}a:2:{{{}{}{}a:0:{{}}}}",
                php_string(r),
                php_string("name"),
                php_string(r),
                php_string("capabilities")
            )
        })
        .collect();
    let user_roles = format!("a:{}:{{{role_entries}}}", roles.len());
    vec![
        format!(
            "CREATE TABLE blog_users (ID BIGINT NOT NULL PRIMARY KEY, user_login VARCHAR(60) NOT NULL, \
             user_pass VARCHAR(255) NOT NULL, user_nicename VARCHAR(50) NOT NULL DEFAULT '', \
             user_email VARCHAR(100) NOT NULL DEFAULT '', user_url VARCHAR(100) NOT NULL DEFAULT '', \
             user_registered {datetime} NOT NULL, user_activation_key VARCHAR(255) NOT NULL DEFAULT '', \
             user_status INT NOT NULL DEFAULT 0, display_name VARCHAR(250) NOT NULL DEFAULT '')"
        ),
        "CREATE TABLE blog_usermeta (umeta_id BIGINT NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL, \
         meta_key VARCHAR(255), meta_value TEXT)"
            .into(),
        "CREATE TABLE blog_options (option_id BIGINT NOT NULL PRIMARY KEY, option_name VARCHAR(191) NOT NULL, \
         option_value TEXT NOT NULL, autoload VARCHAR(20) NOT NULL DEFAULT 'yes')"
            .into(),
        format!(
            "INSERT INTO blog_users (ID, user_login, user_pass, user_email, user_registered, display_name) VALUES \
             (1, 'admin', '{phpass}', 'admin@example.com', '2015-03-01 10:00:00', 'Admin'), \
             (2, 'editor', '{bcrypt}', 'editor@example.com', '2024-06-01 12:00:00', 'Ed'), \
             (3, 'reader', '{unicode}', '', '2024-06-02 12:00:00', 'Reader')"
        ),
        format!(
            "INSERT INTO blog_usermeta VALUES (1, 1, 'blog_capabilities', '{}'), \
             (2, 2, 'blog_capabilities', '{}'), (3, 3, 'blog_capabilities', '{}'), \
             (4, 3, 'blog_2_capabilities', '{}'), (5, 1, 'blog_user_level', '10')",
            php_flags(&["administrator"]),
            php_flags(&["editor", "edit_posts", "shop_viewer"]),
            php_flags(&["subscriber"]),
            php_flags(&["administrator"]),
        ),
        format!("INSERT INTO blog_options VALUES (1, 'blog_user_roles', '{user_roles}', 'yes')"),
    ]
}

#[tokio::test]
async fn wordpress_users_and_roles_import_from_every_database_and_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let (admin_password, _, _) = fixtures("wordpress_phpass").remove(0);
    let (editor_password, _, _) = fixtures("wordpress_bcrypt").remove(0);
    let (reader_password, _, _) = fixtures("wordpress_phpass").remove(1);
    for (url, _postgres, mariadb) in sources(dir.path()).await {
        let app = spawn_app().await;
        run(&url, &wordpress_sql(&url)).await;
        // The default prefix finds no tables here, and says so.
        let (ok, _, stderr) = import(&app, &["wordpress", "--from", &url]);
        assert!(
            !ok && stderr.contains("no wp_users table"),
            "{url}: {stderr}"
        );
        let (ok, stdout, stderr) =
            import(&app, &["wordpress", "--from", &url, "--prefix", "blog_"]);
        assert!(ok, "{url}: {stderr}");
        assert!(
            stdout.contains("Imported 3 rows: 3 created"),
            "{url}: {stdout}"
        );

        let admin = app.logged_in(&new_client(), "admin", &admin_password).await;
        assert_eq!(
            admin["current_user"]["roles"],
            json!(["authenticated", "administrator"]),
            "{url}"
        );
        app.logged_in(&new_client(), "editor", &editor_password)
            .await;
        app.logged_in(&new_client(), "reader", &reader_password)
            .await;
        let wrong = app
            .login(&new_client(), "editor", &format!("x{editor_password}"))
            .await;
        assert_eq!(wrong.status(), 400, "{url}");
        let editor = app.core.account_named("editor").await.unwrap();
        assert_eq!(editor.roles, vec!["editor", "shop_viewer"], "{url}");
        assert!(
            editor.password_hash.unwrap().starts_with("$argon2id$"),
            "{url}"
        );
        let reader = app.core.account_named("reader").await.unwrap();
        assert_eq!(
            (reader.roles, reader.mail),
            (vec!["subscriber".to_string()], None),
            "{url}"
        );
        let admin = app.core.account_named("admin").await.unwrap();
        assert_eq!(admin.created_at, 1_425_204_000, "{url}");
        assert!(
            admin.password_hash.unwrap().starts_with("$argon2id$"),
            "{url}"
        );
        if let Some(name) = mariadb {
            drop_mariadb(&name).await;
        }
    }
}

/// ASP.NET Core Identity's tables as Entity Framework creates them on each backend (keys of
/// 255 characters, as the MySQL provider makes them).
fn aspnet_sql(url: &str) -> String {
    let (time, forever, past) = if url.starts_with("postgres") {
        (
            "TIMESTAMPTZ",
            "9999-12-31 23:59:59+00",
            "2020-01-01 00:00:00+00",
        )
    } else if url.starts_with("mysql") {
        (
            "DATETIME(6)",
            "9999-12-31 23:59:59.999999",
            "2020-01-01 00:00:00",
        )
    } else {
        (
            "TEXT",
            "9999-12-31 23:59:59.9999999+00:00",
            "2020-01-01 00:00:00+00:00",
        )
    };
    let hash = |format: &str, index: usize| {
        fixtures(format)[index].2["PasswordHash"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (v3, v2, v3_512) = (
        hash("aspnet_v3_sha256", 0),
        hash("aspnet_v2", 1),
        hash("aspnet_v3_sha512", 0),
    );
    format!(
        "CREATE TABLE \"AspNetUsers\" (\"Id\" VARCHAR(255) NOT NULL PRIMARY KEY, \"UserName\" VARCHAR(256), \
         \"NormalizedUserName\" VARCHAR(256), \"Email\" VARCHAR(256), \"NormalizedEmail\" VARCHAR(256), \
         \"EmailConfirmed\" BOOLEAN NOT NULL, \"PasswordHash\" TEXT, \"SecurityStamp\" TEXT, \
         \"ConcurrencyStamp\" TEXT, \"PhoneNumber\" TEXT, \"PhoneNumberConfirmed\" BOOLEAN NOT NULL, \
         \"TwoFactorEnabled\" BOOLEAN NOT NULL, \"LockoutEnd\" {time}, \"LockoutEnabled\" BOOLEAN NOT NULL, \
         \"AccessFailedCount\" INT NOT NULL);
         CREATE TABLE \"AspNetRoles\" (\"Id\" VARCHAR(255) NOT NULL PRIMARY KEY, \"Name\" VARCHAR(256), \
         \"NormalizedName\" VARCHAR(256), \"ConcurrencyStamp\" TEXT);
         CREATE TABLE \"AspNetUserRoles\" (\"UserId\" VARCHAR(255) NOT NULL, \"RoleId\" VARCHAR(255) NOT NULL, \
         PRIMARY KEY (\"UserId\", \"RoleId\"));
         INSERT INTO \"AspNetRoles\" VALUES ('r1', 'Admin', 'ADMIN', 'x'), ('r2', 'Content Editor', 'CONTENT EDITOR', 'y');
         INSERT INTO \"AspNetUsers\" (\"Id\", \"UserName\", \"NormalizedUserName\", \"Email\", \"EmailConfirmed\", \
         \"PasswordHash\", \"PhoneNumberConfirmed\", \"TwoFactorEnabled\", \"LockoutEnd\", \"LockoutEnabled\", \
         \"AccessFailedCount\") VALUES
           ('6f1c', 'alice', 'ALICE', 'alice@example.com', TRUE, '{v3}', FALSE, FALSE, NULL, TRUE, 0),
           ('7a2d', 'bob', 'BOB', 'bob@example.com', TRUE, '{v2}', FALSE, FALSE, '{past}', TRUE, 3),
           ('8b3e', 'carol', 'CAROL', 'carol@example.com', FALSE, '{v3_512}', FALSE, FALSE, '{forever}', TRUE, 0),
           ('9c4f', 'dave', 'DAVE', 'dave@example.com', TRUE, NULL, FALSE, FALSE, '{forever}', FALSE, 0);
         INSERT INTO \"AspNetUserRoles\" VALUES ('6f1c', 'r1'), ('6f1c', 'r2'), ('8b3e', 'r2')"
    )
}

#[tokio::test]
async fn aspnet_identity_users_import_from_every_database_and_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let (alice_password, _, _) = fixtures("aspnet_v3_sha256").remove(0);
    let (bob_password, _, _) = fixtures("aspnet_v2").remove(1);
    let (carol_password, _, _) = fixtures("aspnet_v3_sha512").remove(0);
    for (url, _postgres, mariadb) in sources(dir.path()).await {
        let app = spawn_app().await;
        load(&url, &aspnet_sql(&url)).await;
        let (ok, stdout, stderr) = import(&app, &["aspnet", "--from", &url]);
        assert!(ok, "{url}: {stderr}");
        assert!(
            stdout.contains("Imported 4 rows: 4 created"),
            "{url}: {stdout}"
        );

        app.logged_in(&new_client(), "alice", &alice_password).await;
        let alice = app.core.account_named("alice").await.unwrap();
        assert_eq!(alice.roles, vec!["admin", "content_editor"], "{url}");
        assert!(
            alice.password_hash.unwrap().starts_with("$argon2id$"),
            "{url}"
        );
        // A lockout that has ended leaves the account active.
        app.logged_in(&new_client(), "bob", &bob_password).await;
        let bob = app.core.account_named("bob").await.unwrap();
        assert!(
            bob.password_hash.unwrap().starts_with("$argon2id$"),
            "{url}"
        );
        // Locked out for good: blocked, whatever the password.
        let carol = app.login(&new_client(), "carol", &carol_password).await;
        assert_eq!(
            message_of(carol).await,
            "The user has not been activated or is blocked.",
            "{url}"
        );
        let carol = app.core.account_named("carol").await.unwrap();
        assert!(
            carol.password_hash.unwrap().starts_with("aspnet$AQ"),
            "{url}"
        );
        // Lockout disabled: a LockoutEnd does not block; no password, no login.
        let dave = app.core.account_named("dave").await.unwrap();
        assert_eq!(
            (dave.state.as_str(), dave.password_hash),
            ("active", None),
            "{url}"
        );
        if let Some(name) = mariadb {
            drop_mariadb(&name).await;
        }
    }
}
