//! `latch import keycloak|firebase --from FILE`: a Keycloak realm export and a Firebase
//! `auth:export` file; the users log in with their old passwords, `latch user hashes` counts
//! the formats before and after, and a bad file imports nothing and never shows a hash.

use serde_json::{Value, json};

use crate::helpers::{message_of, new_client, spawn_app};
use crate::import_sources::{fixtures, import};
use crate::process::latch;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A Keycloak 11+ credential from a fixture's `secretData` and `credentialData`.
fn credential(native: &Value) -> Value {
    json!({
        "id": "c1", "type": "password", "userLabel": "My password", "createdDate": 1700000000000i64,
        "secretData": native["secretData"], "credentialData": native["credentialData"], "priority": 10
    })
}

fn keycloak_user(name: &str, enabled: bool, roles: &[&str], credentials: Value) -> Value {
    json!({
        "id": format!("id-{name}"), "username": name, "email": format!("{name}@example.com"),
        "emailVerified": true, "enabled": enabled, "createdTimestamp": 1700000000123i64,
        "totp": false, "credentials": credentials, "realmRoles": roles, "notBefore": 0, "groups": []
    })
}

#[tokio::test]
async fn keycloak_users_roles_and_every_credential_format_import_and_log_in() {
    let app = spawn_app().await;
    let formats = ["pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512", "argon2"];
    let mut users: Vec<Value> = formats
        .iter()
        .enumerate()
        .map(|(i, format)| {
            let (_, _, native) = fixtures(&format!("keycloak_{format}")).remove(i % 2);
            let roles = [
                "default-roles-demo",
                "offline_access",
                "uma_authorization",
                "Shop Admin",
            ];
            keycloak_user(
                &format!("user-{format}"),
                true,
                &roles[..1 + i],
                json!([credential(&native)]),
            )
        })
        .collect();
    // A Keycloak 10 export: the hash in fields of the credential.
    let (_, stored, _) = fixtures("keycloak_pbkdf2-sha256").remove(1);
    let parts: Vec<&str> = stored.split('$').collect();
    let old = json!([{"type": "password", "hashedSaltedValue": parts[4], "salt": parts[3],
        "hashIterations": 27500, "algorithm": "pbkdf2-sha256", "counter": 0, "digits": 0}]);
    users.push(keycloak_user("old-export", true, &[], old));
    let (_, _, native) = fixtures("keycloak_pbkdf2-sha256").remove(0);
    users.push(keycloak_user(
        "disabled",
        false,
        &[],
        json!([credential(&native)]),
    ));
    users.push(json!({"username": "service-account-api", "enabled": true, "serviceAccountClientId": "api"}));
    let export = json!({"id": "demo", "realm": "demo", "enabled": true, "users": users});
    let file = write(app.dir.path(), "realm-export.json", &export.to_string());

    let (ok, stdout, stderr) = import(&app, &["keycloak", "--from", &file]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Imported 6 rows: 6 created"), "{stdout}");
    let (_, before, _) = latch(&app, &["user", "hashes"]);
    for line in [
        "1  Keycloak pbkdf2, 20000 iterations  (upgraded at next login)",
        "3  Keycloak pbkdf2-sha256, 27500 iterations  (upgraded at next login)",
        "1  Keycloak pbkdf2-sha512, 210000 iterations  (upgraded at next login)",
        "1  argon2id m=7168,t=5,p=1",
    ] {
        assert!(before.contains(line), "{line:?} in {before}");
    }

    for (i, format) in formats.iter().enumerate() {
        let (password, _, _) = fixtures(&format!("keycloak_{format}")).remove(i % 2);
        let name = format!("user-{format}");
        let wrong = app
            .login(&new_client(), &name, &format!("x{password}"))
            .await;
        assert_eq!(wrong.status(), 400, "{format}");
        app.logged_in(&new_client(), &name, &password).await;
        let account = app.core.account_named(&name).await.unwrap();
        assert!(
            account.password_hash.unwrap().starts_with("$argon2id$"),
            "{format}"
        );
        assert_eq!(account.created_at, 1_700_000_000);
    }
    let admin = app.core.account_named("user-argon2").await.unwrap();
    assert_eq!(admin.roles, vec!["shop_admin"]);
    assert!(
        app.core
            .account_named("user-pbkdf2")
            .await
            .unwrap()
            .roles
            .is_empty()
    );
    let (password, _, _) = fixtures("keycloak_pbkdf2-sha256").remove(1);
    app.logged_in(&new_client(), "old-export", &password).await;
    let (password, _, _) = fixtures("keycloak_pbkdf2-sha256").remove(0);
    let disabled = app.login(&new_client(), "disabled", &password).await;
    assert_eq!(
        message_of(disabled).await,
        "The user has not been activated or is blocked."
    );
    assert!(app.core.account_named("service-account-api").await.is_err());

    let (_, after, _) = latch(&app, &["user", "hashes"]);
    assert!(after.contains("1  Keycloak pbkdf2-sha256"), "{after}");
    assert!(
        !after.contains("Keycloak pbkdf2,") && !after.contains("sha512"),
        "{after}"
    );
}

const HASH_CONFIG: &str = "hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}
";

#[tokio::test]
async fn firebase_users_import_with_the_consoles_hash_parameters_and_log_in() {
    let app = spawn_app().await;
    let cases = fixtures("firebase_scrypt");
    let url_safe = |s: &str| s.replace('+', "-").replace('/', "_");
    let mut users: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, _, native))| {
            // The JSON export writes base64 in the URL-safe alphabet; the CSV, standard.
            json!({"localId": format!("uid{i}"), "email": format!("user{i}@test.com"), "emailVerified": true,
                "passwordHash": url_safe(native["passwordHash"].as_str().unwrap()),
                "salt": native["salt"], "displayName": "Test", "createdAt": "1508893925000",
                "lastSignedInAt": "1508893999000", "disabled": i == 2, "providerUserInfo": []})
        })
        .collect();
    users.push(
        json!({"localId": "google1", "email": "g@test.com", "emailVerified": true,
        "providerUserInfo": [{"providerId": "google.com", "rawId": "1", "email": "g@test.com"}]}),
    );
    users.push(json!({"localId": "phoneUser7", "phoneNumber": "+15555550100", "createdAt": "1508893925000"}));
    let file = write(
        app.dir.path(),
        "users.json",
        &json!({"users": users}).to_string(),
    );
    let config = write(app.dir.path(), "hash_config.txt", HASH_CONFIG);

    let wrong_config = write(
        app.dir.path(),
        "bcrypt.txt",
        &HASH_CONFIG.replace("SCRYPT", "BCRYPT"),
    );
    let (ok, _, stderr) = import(
        &app,
        &["firebase", "--from", &file, "--hash-config", &wrong_config],
    );
    assert!(
        !ok && stderr.contains("the algorithm is BCRYPT, not SCRYPT"),
        "{stderr}"
    );
    assert_eq!(app.account_count().await, 0);

    let (ok, stdout, stderr) = import(
        &app,
        &["firebase", "--from", &file, "--hash-config", &config],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Imported 5 rows: 5 created"), "{stdout}");
    let (_, before, _) = latch(&app, &["user", "hashes"]);
    assert!(
        before.contains("3  Firebase scrypt rounds=8 mem_cost=14  (upgraded at next login)"),
        "{before}"
    );

    // The published vector of github.com/firebase/scrypt: "user1password".
    assert_eq!(cases[0].0, "user1password");
    for (i, (password, _, _)) in cases.iter().enumerate().take(2) {
        let name = format!("user{i}@test.com");
        assert_eq!(
            app.login(&new_client(), &name, &format!("{password}x"))
                .await
                .status(),
            400
        );
        app.logged_in(&new_client(), &name, password).await;
        let account = app.core.account_named(&name).await.unwrap();
        assert!(
            account.password_hash.unwrap().starts_with("$argon2id$"),
            "{name}"
        );
        assert_eq!(
            (account.created_at, account.login_at > 1_508_893_999),
            (1_508_893_925, true)
        );
    }
    let disabled = app
        .login(&new_client(), "user2@test.com", &cases[2].0)
        .await;
    assert_eq!(
        message_of(disabled).await,
        "The user has not been activated or is blocked."
    );
    let google = app.core.account_named("g@test.com").await.unwrap();
    assert_eq!(
        (google.mail.as_deref(), google.password_hash),
        (Some("g@test.com"), None)
    );
    assert!(
        app.core
            .account_named("phoneUser7")
            .await
            .unwrap()
            .mail
            .is_none()
    );
    let (_, after, _) = latch(&app, &["user", "hashes"]);
    assert!(after.contains("1  Firebase scrypt"), "{after}");
}

#[tokio::test]
async fn a_bad_credential_imports_nothing_and_its_secret_is_never_shown() {
    let app = spawn_app().await;
    let (_, stored, native) = fixtures("keycloak_pbkdf2-sha512").remove(0);
    let secret = stored.split('$').nth(4).unwrap().to_string();
    let good = keycloak_user("good", true, &[], json!([credential(&native)]));
    let mut bcrypt = credential(&native);
    bcrypt["credentialData"] = json!(r#"{"hashIterations":10,"algorithm":"bcrypt"}"#);
    let mut broken = credential(&native);
    broken["secretData"] = json!(format!("{{\"value\": \"{secret}\""));
    for (credentials, problem) in [
        (
            bcrypt,
            "row 2 (bad) cannot be imported: its password hash is in no format latch can verify",
        ),
        (
            broken,
            "row 2: user bad: the password credential has a secretData that is not JSON",
        ),
    ] {
        let bad = keycloak_user("bad", true, &[], json!([credentials]));
        let export = json!({"realm": "demo", "users": [good, bad]}).to_string();
        let file = write(app.dir.path(), "realm.json", &export);
        let (ok, stdout, stderr) = import(&app, &["keycloak", "--from", &file]);
        assert!(!ok && stderr.contains(problem), "{stderr}");
        assert!(
            !stderr.contains(&secret) && !stdout.contains(&secret),
            "{stderr}"
        );
        assert_eq!(app.account_count().await, 0);
    }
}
