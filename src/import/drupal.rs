//! Drupal's users: Drupal 8–11 (`users_field_data`, `user__roles`) or Drupal 7 (`users`,
//! `users_roles`, `role`). Role names become machine names; uid 0 (anonymous) is skipped.

use super::source::{SourceDatabase, get, import_row, roles_by_id};
use super::{ImportRow, SourceError};

pub async fn read(url: &str) -> Result<Vec<ImportRow>, SourceError> {
    let db = SourceDatabase::open(url).await?;
    let result = read_from(&db).await;
    db.close().await;
    result
}

async fn read_from(db: &SourceDatabase) -> Result<Vec<ImportRow>, SourceError> {
    let (table, only_default_translation, roles) = if db.has_table("users_field_data").await {
        (
            "users_field_data",
            "AND default_langcode = 1",
            format!(
                "SELECT {} AS id, roles_target_id AS role FROM user__roles",
                db.int("entity_id")
            ),
        )
    } else if db.has_table("users").await {
        (
            "users",
            "",
            format!(
                "SELECT {} AS id, r.name AS role FROM users_roles ur JOIN role r ON r.rid = ur.rid",
                db.int("ur.uid")
            ),
        )
    } else {
        return Err(SourceError::Format(
            "no Drupal users here: neither users_field_data (Drupal 8–11) nor users (Drupal 7)"
                .into(),
        ));
    };
    let users = format!(
        "SELECT {} AS id, name, pass AS hash, mail, {} AS active, {} AS created, {} AS access, \
         {} AS login FROM {table} WHERE uid > 0 {only_default_translation} ORDER BY uid",
        db.int("uid"),
        db.int("status"),
        db.int("created"),
        db.int("COALESCE(access, 0)"),
        db.int("COALESCE(login, 0)")
    );
    let mut roles_of = roles_by_id::<i64>(db, roles).await?;
    db.rows(users)
        .await?
        .iter()
        .map(|row| import_row(row, roles_of.remove(&get(row, "id")?).unwrap_or_default()))
        .collect()
}
