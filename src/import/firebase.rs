//! Firebase Authentication's users as `firebase auth:export users.json` writes them, with the
//! project's password hash parameters as the console shows them (the `hash_config { … }`
//! text) or as JSON with the same keys. Firebase has no user names: an account is named by
//! its mail address, or by its `localId` when it has none. Hashes are stored as
//! `firebase-scrypt$<rounds>$<mem_cost>$<signer key>$<salt separator>$<salt>$<hash>`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;

use super::{ImportRow, SourceError};
use crate::core::accounts::AccountState;

#[derive(Deserialize)]
struct Export {
    users: Vec<User>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    local_id: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    last_signed_in_at: Option<Value>,
    #[serde(default)]
    disabled: bool,
}

/// The project's scrypt parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct HashConfig {
    signer_key: String,
    salt_separator: String,
    rounds: u32,
    mem_cost: u32,
}

pub fn read(users: &Path, hash_config: &Path) -> Result<Vec<ImportRow>, SourceError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| SourceError::Io(path.display().to_string(), e))
    };
    let config = parse_hash_config(&read(hash_config)?)
        .map_err(|problem| SourceError::Format(format!("{}: {problem}", hash_config.display())))?;
    let export: Export = serde_json::from_str(&read(users)?).map_err(|e| {
        SourceError::Format(format!(
            "{} is not a Firebase auth:export JSON file: {e}",
            users.display()
        ))
    })?;
    let now = crate::core::now();
    export
        .users
        .into_iter()
        .enumerate()
        .map(|(index, user)| {
            convert(user, &config, now).map_err(|message| SourceError::Row {
                row: index + 1,
                message,
            })
        })
        .collect()
}

fn convert(user: User, config: &HashConfig, now: i64) -> Result<ImportRow, String> {
    let mail = user.email.filter(|m| !m.trim().is_empty());
    let password_hash = match (&user.password_hash, &user.salt) {
        (None, _) => None,
        (Some(hash), _) if hash.is_empty() => None,
        (Some(hash), Some(salt)) => {
            let (Some(hash), Some(salt)) = (base64_any(hash), base64_any(salt)) else {
                return Err(format!(
                    "user {}: passwordHash or salt is not base64",
                    user.local_id
                ));
            };
            Some(
                [
                    "firebase-scrypt".to_string(),
                    config.rounds.to_string(),
                    config.mem_cost.to_string(),
                    config.signer_key.clone(),
                    config.salt_separator.clone(),
                    salt,
                    hash,
                ]
                .join("$"),
            )
        }
        (Some(_), None) => {
            return Err(format!(
                "user {}: a passwordHash without its salt",
                user.local_id
            ));
        }
    };
    let millis = |value: &Option<Value>| match value {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let login = millis(&user.last_signed_in_at).map_or(0, |ms| ms / 1000);
    Ok(ImportRow {
        name: mail.clone().unwrap_or(user.local_id),
        mail,
        password_hash,
        roles: Vec::new(),
        state: if user.disabled {
            AccountState::Blocked
        } else {
            AccountState::Active
        },
        created_at: millis(&user.created_at).map_or(now, |ms| ms / 1000),
        access_at: login,
        login_at: login,
    })
}

/// Standard base64 again, whether written in the standard or the URL-safe alphabet (the JSON
/// export uses the latter), with or without padding.
fn base64_any(text: &str) -> Option<String> {
    let mut standard: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    STANDARD
        .decode(&standard)
        .ok()
        .map(|raw| STANDARD.encode(raw))
}

/// The console's `hash_config { algorithm: SCRYPT, base64_signer_key: …, … }`, or a JSON
/// object with the same keys (at the top or under `hash_config`).
pub fn parse_hash_config(text: &str) -> Result<HashConfig, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        let object = json.get("hash_config").unwrap_or(&json);
        let Some(object) = object.as_object() else {
            return Err("the JSON is not an object of hash parameters".into());
        };
        for (key, value) in object {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            pairs.push((key.clone(), value));
        }
    } else {
        let body = text.trim();
        let body = body.strip_prefix("hash_config").unwrap_or(body).trim();
        let body = body.strip_prefix('{').and_then(|b| b.strip_suffix('}'));
        let Some(body) = body else {
            return Err(
                "expected hash_config { … } as the Firebase console shows it, or JSON".into(),
            );
        };
        for entry in body
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let Some((key, value)) = entry.split_once(':') else {
                return Err(format!("{entry:?} is not key: value"));
            };
            pairs.push((
                key.trim().to_string(),
                value.trim().trim_matches('"').to_string(),
            ));
        }
    }
    let field = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if let Some(algorithm) = field("algorithm").filter(|a| !a.eq_ignore_ascii_case("SCRYPT")) {
        return Err(format!("the algorithm is {algorithm}, not SCRYPT"));
    }
    let need = |key: &str| field(key).ok_or_else(|| format!("{key} is missing"));
    let base64 = |key: &str| {
        need(key).and_then(|v| {
            STANDARD
                .decode(v)
                .map(|_| v.to_string())
                .map_err(|_| format!("{key} is not base64"))
        })
    };
    let number = |key: &str, max: u32| {
        need(key).and_then(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{key} is not a number from 1 to {max}"))
        })
    };
    let config = HashConfig {
        signer_key: base64("base64_signer_key")?,
        salt_separator: base64("base64_salt_separator")?,
        rounds: number("rounds", 32)?,
        mem_cost: number("mem_cost", 20)?,
    };
    if config.signer_key.is_empty() {
        return Err("base64_signer_key is empty".into());
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

    #[test]
    fn the_console_text_and_json_give_the_same_parameters() {
        let text = format!(
            "hash_config {{\n  algorithm: SCRYPT,\n  base64_signer_key: {KEY},\n  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}}\n"
        );
        let json = format!(
            r#"{{"algorithm":"SCRYPT","base64_signer_key":"{KEY}","base64_salt_separator":"Bw==","rounds":8,"mem_cost":14}}"#
        );
        let expected = HashConfig {
            signer_key: KEY.into(),
            salt_separator: "Bw==".into(),
            rounds: 8,
            mem_cost: 14,
        };
        assert_eq!(parse_hash_config(&text), Ok(expected));
        assert_eq!(parse_hash_config(&json), parse_hash_config(&text));
    }

    #[test]
    fn bad_parameters_are_named() {
        for (text, problem) in [
            ("hash_config { algorithm: BCRYPT }", "BCRYPT"),
            ("hash_config { rounds: 8 }", "base64_signer_key is missing"),
            ("rounds 8", "expected hash_config"),
            (
                r#"{"base64_signer_key":"AA==","base64_salt_separator":"Bw==","rounds":8,"mem_cost":99}"#,
                "mem_cost",
            ),
        ] {
            let error = parse_hash_config(text).unwrap_err();
            assert!(error.contains(problem), "{text}: {error}");
        }
    }

    #[test]
    fn url_safe_base64_becomes_standard() {
        assert_eq!(base64_any("-_-_").as_deref(), Some("+/+/"));
        assert_eq!(base64_any("Bw").as_deref(), Some("Bw=="));
        assert_eq!(base64_any("!!"), None);
    }
}
