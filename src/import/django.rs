//! Django's users (`auth_user`) and groups. Groups become roles by machine name; superusers
//! get `administrator` and staff `staff`.

use super::source::{SourceDatabase, get, import_row, roles_by_id};
use super::{ImportRow, SourceError};
use crate::core::accounts::ADMINISTRATOR;

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
        "SELECT {} AS id, username AS name, password AS hash, email AS mail, {} AS active, \
         {} AS superuser, {} AS staff, {} AS created, {} AS access, {} AS login \
         FROM auth_user ORDER BY id",
        db.int("id"),
        db.flag("is_active"),
        db.flag("is_superuser"),
        db.flag("is_staff"),
        db.epoch("date_joined"),
        db.epoch("last_login"),
        db.epoch("last_login")
    );
    let groups = format!(
        "SELECT {} AS id, g.name AS role FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id",
        db.int("ug.user_id")
    );
    let mut roles_of = roles_by_id::<i64>(db, groups).await?;
    db.rows(users)
        .await?
        .iter()
        .map(|row| {
            let mut roles = roles_of.remove(&get(row, "id")?).unwrap_or_default();
            if get::<i64>(row, "superuser")? == 1 {
                roles.push(ADMINISTRATOR.to_string());
            }
            if get::<i64>(row, "staff")? == 1 {
                roles.push("staff".to_string());
            }
            import_row(row, roles)
        })
        .collect()
}
