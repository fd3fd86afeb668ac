//! Drupal's users: Drupal 8–11 (`users_field_data`, `user__roles`) or Drupal 7 (`users`,
//! `users_roles`, `role`). Role names become machine names; uid 0 (anonymous) is skipped.

use std::collections::HashMap;

use super::source::{SourceDatabase, get};
use super::{ImportRow, SourceError, role_machine_name};
use crate::core::accounts::AccountState;

pub async fn read(url: &str) -> Result<Vec<ImportRow>, SourceError> {
    let db = SourceDatabase::open(url).await?;
    let result = read_from(&db).await;
    db.close().await;
    result
}

async fn read_from(db: &SourceDatabase) -> Result<Vec<ImportRow>, SourceError> {
    let (users, roles) = if db.has_table("users_field_data").await {
        (
            format!(
                "SELECT {} AS uid, name, pass, mail, {} AS status, {} AS created, {} AS access, \
                 {} AS login FROM users_field_data WHERE uid > 0 AND default_langcode = 1 ORDER BY uid",
                db.int("uid"),
                db.int("status"),
                db.int("created"),
                db.int("COALESCE(access, 0)"),
                db.int("COALESCE(login, 0)")
            ),
            format!(
                "SELECT {} AS uid, roles_target_id AS role FROM user__roles",
                db.int("entity_id")
            ),
        )
    } else if db.has_table("users").await {
        (
            format!(
                "SELECT {} AS uid, name, pass, mail, {} AS status, {} AS created, {} AS access, \
                 {} AS login FROM users WHERE uid > 0 ORDER BY uid",
                db.int("uid"),
                db.int("status"),
                db.int("created"),
                db.int("COALESCE(access, 0)"),
                db.int("COALESCE(login, 0)")
            ),
            format!(
                "SELECT {} AS uid, r.name AS role FROM users_roles ur JOIN role r ON r.rid = ur.rid",
                db.int("ur.uid")
            ),
        )
    } else {
        return Err(SourceError::Format(
            "no Drupal users here: neither users_field_data (Drupal 8–11) nor users (Drupal 7)"
                .into(),
        ));
    };
    let mut roles_of: HashMap<i64, Vec<String>> = HashMap::new();
    for row in db.rows(roles).await? {
        if let Some(role) = role_machine_name(&get::<String>(&row, "role")?) {
            roles_of.entry(get(&row, "uid")?).or_default().push(role);
        }
    }
    db.rows(users)
        .await?
        .iter()
        .map(|row| {
            let uid: i64 = get(row, "uid")?;
            let mut roles = roles_of.remove(&uid).unwrap_or_default();
            roles.sort();
            roles.dedup();
            let login = get(row, "login")?;
            Ok(ImportRow {
                name: get(row, "name")?,
                mail: get::<Option<String>>(row, "mail")?.filter(|m| !m.is_empty()),
                password_hash: get::<Option<String>>(row, "pass")?.filter(|p| !p.is_empty()),
                roles,
                state: if get::<i64>(row, "status")? == 1 {
                    AccountState::Active
                } else {
                    AccountState::Blocked
                },
                created_at: get(row, "created")?,
                access_at: get(row, "access")?,
                login_at: login,
            })
        })
        .collect()
}
