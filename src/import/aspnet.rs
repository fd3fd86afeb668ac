//! ASP.NET Core Identity's users (`AspNetUsers`) and roles (`AspNetUserRoles` joined to
//! `AspNetRoles`), as Entity Framework lays them out. An account locked out until a time
//! still ahead (`LockoutEnd`, where `LockoutEnabled`) comes over blocked; the identity store
//! keeps no creation time, so accounts are created now. Password hashes (v2 and v3) are
//! stored as `aspnet$<PasswordHash>`.

use std::collections::HashMap;

use super::source::{SourceDatabase, get, import_row};
use super::{ImportRow, SourceError};
use crate::core::accounts::AccountState;

pub async fn read(url: &str) -> Result<Vec<ImportRow>, SourceError> {
    let db = SourceDatabase::open(url).await?;
    let result = read_from(&db).await;
    db.close().await;
    result
}

async fn read_from(db: &SourceDatabase) -> Result<Vec<ImportRow>, SourceError> {
    let q = |name: &str| db.quote(name);
    if !db.has_table(&q("AspNetUsers")).await {
        return Err(SourceError::Format(
            "no ASP.NET Identity users here: there is no AspNetUsers table".into(),
        ));
    }
    let mut roles_of: HashMap<String, Vec<String>> = if db.has_table(&q("AspNetRoles")).await {
        let roles = format!(
            "SELECT ur.{} AS id, r.{} AS role FROM {} ur JOIN {} r ON r.{} = ur.{}",
            q("UserId"),
            q("Name"),
            q("AspNetUserRoles"),
            q("AspNetRoles"),
            q("Id"),
            q("RoleId")
        );
        super::source::roles_by_id(db, roles).await?
    } else {
        HashMap::new()
    };
    let locked = db.int(&format!(
        "CASE WHEN {} THEN {} ELSE 0 END",
        q("LockoutEnabled"),
        db.in_future(&q("LockoutEnd"))
    ));
    let users = format!(
        "SELECT {id} AS id, {name} AS name, {hash} AS hash, {mail} AS mail, {locked} AS locked, \
         {one} AS active, {now} AS created, {zero} AS access, {zero} AS login \
         FROM {users} ORDER BY {name}",
        id = q("Id"),
        name = q("UserName"),
        hash = q("PasswordHash"),
        mail = q("Email"),
        one = db.int("1"),
        zero = db.int("0"),
        now = db.int(&crate::core::now().to_string()),
        users = q("AspNetUsers"),
    );
    db.rows(users)
        .await?
        .iter()
        .map(|row| {
            let mut account = import_row(
                row,
                roles_of
                    .remove(&get::<String>(row, "id")?)
                    .unwrap_or_default(),
            )?;
            if get::<i64>(row, "locked")? == 1 {
                account.state = AccountState::Blocked;
            }
            account.password_hash = account.password_hash.map(|hash| format!("aspnet${hash}"));
            Ok(account)
        })
        .collect()
}
