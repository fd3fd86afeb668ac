//! The Drupal 7 user object: numeric columns as strings, roles as an object keyed by role id.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use crate::core::accounts::{ADMINISTRATOR, Account};
use crate::core::now;

/// Drupal 7's fixed role ids.
const ANONYMOUS_RID: &str = "1";
const AUTHENTICATED_RID: &str = "2";
/// The standard install profile's administrator role.
const ADMINISTRATOR_RID: &str = "3";

/// `account` as `viewer_is_admin` may see it: never the password hash; `init` only for
/// administrators.
pub fn user_object(account: &Account, viewer_is_admin: bool) -> Value {
    let text = |n: i64| Value::String(n.to_string());
    let mut out = Map::new();
    out.insert("uid".into(), text(account.id));
    out.insert("name".into(), json!(account.name));
    out.insert(
        "mail".into(),
        json!(account.mail.clone().unwrap_or_default()),
    );
    out.insert("theme".into(), json!(""));
    out.insert("signature".into(), json!(""));
    out.insert("signature_format".into(), json!("filtered_html"));
    out.insert("created".into(), text(account.created_at));
    out.insert("changed".into(), text(account.changed_at));
    out.insert("access".into(), text(account.access_at));
    out.insert("login".into(), text(account.login_at));
    out.insert("status".into(), text(i64::from(account.is_active())));
    out.insert("timezone".into(), json!(account.timezone));
    out.insert("language".into(), json!(account.langcode));
    out.insert("picture".into(), json!("0"));
    if viewer_is_admin {
        out.insert(
            "init".into(),
            json!(account.mail.clone().unwrap_or_default()),
        );
    }
    out.insert("data".into(), json!(false));
    out.insert("roles".into(), Value::Object(roles(account)));
    Value::Object(out)
}

/// `{"2": "authenticated user", "3": "administrator"}`. Roles beyond the standard profile's
/// have no Drupal id, so their machine name serves as key and label.
fn roles(account: &Account) -> Map<String, Value> {
    let mut roles = Map::new();
    roles.insert(AUTHENTICATED_RID.into(), json!("authenticated user"));
    for role in &account.roles {
        let key = if role == ADMINISTRATOR {
            ADMINISTRATOR_RID
        } else {
            role
        };
        roles.insert(key.into(), json!(role));
    }
    roles
}

/// A role as a client names it: a role id (`"3"`) or a machine name. The built-in ids of
/// anonymous and authenticated users name no role one can grant.
pub fn role_name(key: &str, label: &str) -> Option<String> {
    match key {
        ANONYMOUS_RID | AUTHENTICATED_RID => None,
        ADMINISTRATOR_RID => Some(ADMINISTRATOR.into()),
        _ if key.parse::<u64>().is_ok() => Some(label.to_string()),
        _ => Some(key.to_string()),
    }
}

/// The anonymous user object `system/connect` returns to callers without a session.
pub fn anonymous_object(client_ip: Option<IpAddr>) -> Value {
    json!({
        "uid": 0,
        "hostname": client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        "roles": {ANONYMOUS_RID: "anonymous user"},
        "cache": 0,
        "timestamp": now(),
    })
}
