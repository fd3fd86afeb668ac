//! The user entity in Drupal's REST shape: every field a list of items, and which fields each
//! viewer may see or set.

use serde_json::{Map, Value, json};

use super::DrupalError;
use crate::core::accounts::{Account, AccountState};

/// Who is looking at an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    Owner,
    Administrator,
}

impl Viewer {
    pub fn of(actor: &Account, target: &Account) -> Self {
        if actor.is_administrator() {
            Viewer::Administrator
        } else if actor.id == target.id {
            Viewer::Owner
        } else {
            Viewer::Anonymous
        }
    }
}

/// The language accounts are created in on a Drupal site with one language: every user
/// entity's `langcode`. latch keeps one language per account, the one its holder prefers.
const SITE_LANGUAGE: &str = "en";

/// The account as `viewer` may see it. The password hash is never shown.
pub fn render(account: &Account, viewer: Viewer) -> Value {
    let value = |v: Value| json!([{ "value": v }]);
    let mut out = Map::new();
    out.insert("uid".into(), value(json!(account.id)));
    out.insert("uuid".into(), value(json!(account.uuid)));
    out.insert("langcode".into(), value(json!(SITE_LANGUAGE)));
    if viewer != Viewer::Anonymous {
        out.insert("preferred_langcode".into(), value(json!(account.langcode)));
        out.insert("preferred_admin_langcode".into(), json!([]));
    }
    out.insert("name".into(), value(json!(account.name)));
    if viewer != Viewer::Anonymous {
        out.insert(
            "mail".into(),
            account.mail.as_ref().map_or(json!([]), |m| value(json!(m))),
        );
        out.insert("timezone".into(), value(json!(account.timezone)));
    }
    if viewer == Viewer::Administrator {
        out.insert("status".into(), value(json!(account.is_active())));
    }
    out.insert("created".into(), timestamp(account.created_at));
    out.insert("changed".into(), timestamp(account.changed_at));
    if viewer == Viewer::Administrator {
        out.insert("access".into(), timestamp(account.access_at));
        out.insert("login".into(), timestamp(account.login_at));
        let roles: Vec<Value> = account
            .roles
            .iter()
            .map(|role| {
                json!({
                    "target_id": role,
                    "target_type": "user_role",
                    "target_uuid": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, role.as_bytes()).to_string(),
                })
            })
            .collect();
        out.insert("roles".into(), Value::Array(roles));
    }
    out.insert("default_langcode".into(), value(json!(true)));
    Value::Object(out)
}

fn timestamp(seconds: i64) -> Value {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    json!([{ "value": text, "format": "Y-m-d\\TH:i:sP" }])
}

/// The `pass` field: a new password in `value`, the current one in `existing`.
#[derive(Debug, Default)]
pub struct PassItem {
    pub value: Option<String>,
    pub existing: Option<String>,
}

/// The fields a client sent, parsed and type-checked.
#[derive(Debug, Default)]
pub struct UserFields {
    pub uid: Option<Value>,
    pub uuid: Option<Value>,
    pub name: Option<String>,
    /// `Some(None)`: the client sent an empty mail field.
    pub mail: Option<Option<String>>,
    pub pass: Option<PassItem>,
    pub status: Option<AccountState>,
    pub roles: Option<Vec<String>>,
    pub timezone: Option<String>,
    pub langcode: Option<String>,
    /// Fields no client may set (`created`, `access`, …), in the order sent.
    pub read_only: Vec<String>,
}

const READ_ONLY: &[&str] = &["created", "changed", "access", "login", "init"];
/// `langcode` is the entity's own language, the site's ([`SITE_LANGUAGE`]); the account's
/// language is `preferred_langcode`.
const IGNORED: &[&str] = &[
    "langcode",
    "default_langcode",
    "preferred_admin_langcode",
    "user_picture",
    "_links",
];

pub fn parse(data: &Map<String, Value>) -> Result<UserFields, DrupalError> {
    let mut fields = UserFields::default();
    for (key, raw) in data {
        match key.as_str() {
            "uid" => fields.uid = first_value(key, raw)?.cloned(),
            "uuid" => fields.uuid = first_value(key, raw)?.cloned(),
            "name" => fields.name = Some(string(key, first_value(key, raw)?)?.unwrap_or_default()),
            "mail" => {
                fields.mail = Some(string(key, first_value(key, raw)?)?.filter(|m| !m.is_empty()))
            }
            "pass" => {
                let item = first_item(key, raw)?;
                let get = |k: &str| {
                    string(
                        &format!("{key}.0.{k}"),
                        item.as_ref().and_then(|i| i.get(k)),
                    )
                };
                fields.pass = Some(PassItem {
                    value: get("value")?,
                    existing: get("existing")?,
                });
            }
            "status" => {
                fields.status = match first_value(key, raw)? {
                    None => None,
                    Some(v) => Some(if boolean(key, v)? {
                        AccountState::Active
                    } else {
                        AccountState::Blocked
                    }),
                }
            }
            "roles" => {
                let mut roles = Vec::new();
                for item in items(key, raw)? {
                    let role = string(&format!("{key}.0.target_id"), item.get("target_id"))?;
                    roles.extend(role);
                }
                fields.roles = Some(roles);
            }
            "timezone" => fields.timezone = string(key, first_value(key, raw)?)?,
            "preferred_langcode" => fields.langcode = string(key, first_value(key, raw)?)?,
            k if READ_ONLY.contains(&k) => fields.read_only.push(key.clone()),
            k if IGNORED.contains(&k) => {}
            _ => {
                return Err(DrupalError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Field {key} is unknown."),
                )
                .with_hint(
                    "A user has the fields name, mail, pass, status, roles, timezone and preferred_langcode.",
                ));
            }
        }
    }
    Ok(fields)
}

/// A field's items: a list of objects, a single object, or a bare value taken as `{"value": …}`.
fn items(key: &str, raw: &Value) -> Result<Vec<Map<String, Value>>, DrupalError> {
    match raw {
        Value::Array(list) => list
            .iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map.clone()),
                _ => Err(primitive_type(&format!("{key}.0"))),
            })
            .collect(),
        Value::Object(map) => Ok(vec![map.clone()]),
        Value::Null => Ok(Vec::new()),
        scalar => Ok(vec![Map::from_iter([(
            "value".to_string(),
            scalar.clone(),
        )])]),
    }
}

fn first_item(key: &str, raw: &Value) -> Result<Option<Map<String, Value>>, DrupalError> {
    Ok(items(key, raw)?.into_iter().next())
}

fn first_value<'a>(key: &str, raw: &'a Value) -> Result<Option<&'a Value>, DrupalError> {
    let value = match raw {
        Value::Array(list) => match list.first() {
            None => None,
            Some(Value::Object(map)) => map.get("value"),
            Some(_) => return Err(primitive_type(&format!("{key}.0"))),
        },
        Value::Object(map) => map.get("value"),
        Value::Null => None,
        scalar => Some(scalar),
    };
    Ok(value.filter(|v| !v.is_null()))
}

fn string(path: &str, value: Option<&Value>) -> Result<Option<String>, DrupalError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(primitive_type(path)),
    }
}

fn boolean(path: &str, value: &Value) -> Result<bool, DrupalError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
            Ok(n.as_i64() == Some(1))
        }
        Value::String(s) if s == "0" || s == "1" => Ok(s == "1"),
        _ => Err(primitive_type(path)),
    }
}

fn primitive_type(path: &str) -> DrupalError {
    let path = if path.contains('.') {
        path.to_string()
    } else {
        format!("{path}.0.value")
    };
    DrupalError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "Unprocessable Entity: validation failed.\n{path}: This value should be of the correct primitive type.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn lists_single_objects_and_bare_values_all_parse() {
        for body in [
            json!({"name": [{"value": "bob"}], "mail": [{"value": "b@x.org"}]}),
            json!({"name": {"value": "bob"}, "mail": {"value": "b@x.org"}}),
            json!({"name": "bob", "mail": "b@x.org"}),
        ] {
            let fields = parse(&map(body)).unwrap();
            assert_eq!(fields.name.as_deref(), Some("bob"));
            assert_eq!(fields.mail, Some(Some("b@x.org".into())));
        }
    }

    #[test]
    fn pass_carries_the_existing_password() {
        let fields = parse(&map(json!({"pass": [{"existing": "old", "value": "new"}]}))).unwrap();
        let pass = fields.pass.unwrap();
        assert_eq!(
            (pass.existing.as_deref(), pass.value.as_deref()),
            (Some("old"), Some("new"))
        );
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_refused() {
        assert!(parse(&map(json!({"name": [{"value": 5}]}))).is_err());
        assert!(parse(&map(json!({"name": [5]}))).is_err());
        assert!(parse(&map(json!({"status": [{"value": "yes"}]}))).is_err());
        assert!(parse(&map(json!({"favourite_colour": "blue"}))).is_err());
    }

    #[test]
    fn timestamps_use_drupal_offsets() {
        assert_eq!(timestamp(0)[0]["value"], "1970-01-01T00:00:00+00:00");
        assert_eq!(
            timestamp(1_714_557_600)[0]["value"],
            "2024-05-01T10:00:00+00:00"
        );
    }
}
