//! Django's users (`auth_user`) and groups. Groups become roles by machine name; superusers
//! get `administrator` and staff `staff`.

use std::collections::HashMap;

use super::source::{SourceDatabase, get};
use super::{ImportRow, SourceError, role_machine_name};
use crate::core::accounts::{ADMINISTRATOR, AccountState};

pub async fn read(url: &str) -> Result<Vec<ImportRow>, SourceError> {
    let db = SourceDatabase::open(url).await?;
    let result = read_from(&db).await;
    db.close().await;
    result
}

async fn read_from(db: &SourceDatabase) -> Result<Vec<ImportRow>, SourceError> {
    if !db.has_table("auth_user").await {
        return Err(SourceError::Format(
            "no Django users here: there is no auth_user table".into(),
        ));
    }
    let users = format!(
        "SELECT {} AS id, username, password, email, {} AS active, {} AS superuser, {} AS staff, \
         {} AS joined, {} AS last_login FROM auth_user ORDER BY id",
        db.int("id"),
        db.flag("is_active"),
        db.flag("is_superuser"),
        db.flag("is_staff"),
        db.epoch("date_joined"),
        db.epoch("last_login")
    );
    let groups = format!(
        "SELECT {} AS id, g.name AS role FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id",
        db.int("ug.user_id")
    );
    let mut roles_of: HashMap<i64, Vec<String>> = HashMap::new();
    for row in db.rows(groups).await? {
        if let Some(role) = role_machine_name(&get::<String>(&row, "role")?) {
            roles_of.entry(get(&row, "id")?).or_default().push(role);
        }
    }
    db.rows(users)
        .await?
        .iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            let mut roles = roles_of.remove(&id).unwrap_or_default();
            if get::<i64>(row, "superuser")? == 1 {
                roles.push(ADMINISTRATOR.to_string());
            }
            if get::<i64>(row, "staff")? == 1 {
                roles.push("staff".to_string());
            }
            roles.sort();
            roles.dedup();
            let last_login = get(row, "last_login")?;
            Ok(ImportRow {
                name: get(row, "username")?,
                mail: get::<Option<String>>(row, "email")?.filter(|m| !m.is_empty()),
                password_hash: get::<Option<String>>(row, "password")?.filter(|p| !p.is_empty()),
                roles,
                state: if get::<i64>(row, "active")? == 1 {
                    AccountState::Active
                } else {
                    AccountState::Blocked
                },
                created_at: get(row, "joined")?,
                access_at: last_login,
                login_at: last_login,
            })
        })
        .collect()
}
