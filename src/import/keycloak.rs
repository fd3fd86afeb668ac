//! A Keycloak realm export (`kc.sh export`, or the admin console's partial export with
//! users): each user's name, mail, `enabled`, creation time, realm roles and password.
//! Keycloak's own roles (`default-roles-<realm>`, `offline_access`, `uma_authorization`) and
//! service-account users are left out. PBKDF2 credentials are stored as
//! `keycloak$<algorithm>$<iterations>$<salt>$<hash>`, Argon2 ones as PHC strings.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::Deserialize;
use serde_json::Value;

use super::{ImportRow, SourceError, role_machine_name};
use crate::core::accounts::AccountState;

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default = "enabled")]
    enabled: bool,
    #[serde(default)]
    created_timestamp: Option<i64>,
    #[serde(default)]
    realm_roles: Vec<String>,
    #[serde(default)]
    credentials: Vec<Credential>,
    #[serde(default)]
    service_account_client_id: Option<String>,
}

fn enabled() -> bool {
    true
}

/// Keycloak 11 and later keep the hash in two JSON strings; earlier exports in fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credential {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    secret_data: Option<String>,
    #[serde(default)]
    credential_data: Option<String>,
    #[serde(default)]
    hashed_salted_value: Option<String>,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    hash_iterations: Option<u32>,
    #[serde(default)]
    algorithm: Option<String>,
}

pub fn read(path: &Path) -> Result<Vec<ImportRow>, SourceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SourceError::Io(path.display().to_string(), e))?;
    let export: Export = serde_json::from_str(&text).map_err(|e| {
        SourceError::Format(format!(
            "{} is not a Keycloak realm export: {e}",
            path.display()
        ))
    })?;
    let now = crate::core::now();
    export
        .users
        .into_iter()
        .enumerate()
        .filter(|(_, user)| user.service_account_client_id.is_none())
        .map(|(index, user)| {
            convert(user, now).map_err(|message| SourceError::Row {
                row: index + 1,
                message,
            })
        })
        .collect()
}

fn convert(user: User, now: i64) -> Result<ImportRow, String> {
    let password = user.credentials.iter().find(|c| c.kind == "password");
    let password_hash = password
        .map(stored_hash)
        .transpose()
        .map_err(|problem| format!("user {}: the password credential {problem}", user.username))?;
    let mut roles: Vec<String> = user
        .realm_roles
        .iter()
        .filter(|r| !r.starts_with("default-roles-"))
        .filter(|r| !["offline_access", "uma_authorization"].contains(&r.as_str()))
        .filter_map(|r| role_machine_name(r))
        .collect();
    roles.sort();
    roles.dedup();
    Ok(ImportRow {
        name: user.username,
        mail: user.email.filter(|m| !m.trim().is_empty()),
        password_hash,
        roles,
        state: if user.enabled {
            AccountState::Active
        } else {
            AccountState::Blocked
        },
        created_at: user.created_timestamp.map_or(now, |ms| ms / 1000),
        access_at: 0,
        login_at: 0,
    })
}

/// The credential as latch stores it; the error never quotes the secret.
fn stored_hash(credential: &Credential) -> Result<String, String> {
    let (value, salt, algorithm, iterations, parameters) = match &credential.secret_data {
        Some(secret) => {
            let secret: Value = serde_json::from_str(secret)
                .map_err(|_| "has a secretData that is not JSON".to_string())?;
            let data: Value =
                serde_json::from_str(credential.credential_data.as_deref().unwrap_or("{}"))
                    .map_err(|_| "has a credentialData that is not JSON".to_string())?;
            let text = |v: &Value, key: &str| v[key].as_str().map(str::to_string);
            (
                text(&secret, "value"),
                text(&secret, "salt"),
                text(&data, "algorithm"),
                data["hashIterations"].as_u64(),
                data["additionalParameters"].clone(),
            )
        }
        None => (
            credential.hashed_salted_value.clone(),
            credential.salt.clone(),
            credential.algorithm.clone(),
            credential.hash_iterations.map(u64::from),
            Value::Null,
        ),
    };
    let (Some(value), Some(salt), Some(algorithm), Some(iterations)) =
        (value, salt, algorithm, iterations)
    else {
        return Err("lacks its value, salt, algorithm or hashIterations".into());
    };
    let (Ok(raw_value), Ok(raw_salt)) = (STANDARD.decode(&value), STANDARD.decode(&salt)) else {
        return Err("has a value or salt that is not base64".into());
    };
    if algorithm != "argon2" {
        return Ok(format!("keycloak${algorithm}${iterations}${salt}${value}"));
    }
    // additionalParameters holds each setting as a list of strings.
    let parameter =
        |key: &str, default: &str| parameters[key][0].as_str().unwrap_or(default).to_string();
    let kind = match parameter("type", "id").as_str() {
        kind @ ("id" | "i" | "d") => kind.to_string(),
        _ => return Err("names an Argon2 type other than id, i or d".into()),
    };
    let version = match parameter("version", "1.3").as_str() {
        "1.3" => 19,
        "1.0" => 16,
        _ => return Err("names an Argon2 version other than 1.3 or 1.0".into()),
    };
    let (memory, parallelism) = (parameter("memory", "7168"), parameter("parallelism", "1"));
    if memory.parse::<u32>().is_err() || parallelism.parse::<u32>().is_err() {
        return Err("has Argon2 memory or parallelism that is not a number".into());
    }
    Ok(format!(
        "$argon2{kind}$v={version}$m={memory},t={iterations},p={parallelism}${}${}",
        STANDARD_NO_PAD.encode(raw_salt),
        STANDARD_NO_PAD.encode(raw_value)
    ))
}
