//! WordPress's users (`wp_users`) and their roles (`wp_capabilities` in `wp_usermeta`), under
//! the site's table prefix. A role is a key of the capabilities array that names a role of
//! the site (`wp_user_roles` in `wp_options`, or WordPress's five defaults), as WordPress
//! reads it. Hashes are kept as WordPress wrote them: phpass `$P$` and 6.8's `$wp$`.

use std::collections::{HashMap, HashSet};

use super::php_serialized::{self, Value};
use super::source::{SourceDatabase, get, import_row};
use super::{ImportRow, SourceError, role_machine_name};

const DEFAULT_ROLES: [&str; 5] = [
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
];

pub async fn read(url: &str, prefix: &str) -> Result<Vec<ImportRow>, SourceError> {
    // The prefix becomes part of table names: WordPress allows only these characters.
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(SourceError::Format(format!(
            "table prefix {prefix:?} may hold only letters, digits and underscores"
        )));
    }
    let db = SourceDatabase::open(url).await?;
    let result = read_from(&db, prefix).await;
    db.close().await;
    result
}

async fn read_from(db: &SourceDatabase, prefix: &str) -> Result<Vec<ImportRow>, SourceError> {
    let users_table = format!("{prefix}users");
    if !db.has_table(&users_table).await {
        return Err(SourceError::Format(format!(
            "no WordPress users here: there is no {users_table} table (is the prefix right? --prefix)"
        )));
    }
    let known = site_roles(db, prefix).await?;
    let capabilities = format!(
        "SELECT {} AS id, meta_value AS caps FROM {prefix}usermeta WHERE meta_key = '{prefix}capabilities'",
        db.int("user_id")
    );
    let mut roles_of: HashMap<i64, Vec<String>> = HashMap::new();
    for row in db.rows(capabilities).await? {
        let id: i64 = get(&row, "id")?;
        let caps: Option<String> = get(&row, "caps")?;
        let roles = roles_in(caps.as_deref().unwrap_or_default(), &known).ok_or_else(|| {
            SourceError::Format(format!(
                "user {id}: {prefix}capabilities is not a serialized PHP array"
            ))
        })?;
        roles_of.entry(id).or_default().extend(roles);
    }
    let users = format!(
        "SELECT {} AS id, user_login AS name, user_pass AS hash, user_email AS mail, {one} AS active, \
         {} AS created, {zero} AS access, {zero} AS login FROM {users_table} ORDER BY ID",
        db.int("ID"),
        db.epoch("user_registered"),
        one = db.int("1"),
        zero = db.int("0"),
    );
    db.rows(users)
        .await?
        .iter()
        .map(|row| import_row(row, roles_of.remove(&get(row, "id")?).unwrap_or_default()))
        .collect()
}

/// The site's role names: the keys of `<prefix>user_roles`, or WordPress's defaults.
async fn site_roles(db: &SourceDatabase, prefix: &str) -> Result<HashSet<String>, SourceError> {
    let defaults = || DEFAULT_ROLES.iter().map(|r| r.to_string()).collect();
    if !db.has_table(&format!("{prefix}options")).await {
        return Ok(defaults());
    }
    let sql = format!(
        "SELECT option_value AS roles FROM {prefix}options WHERE option_name = '{prefix}user_roles'"
    );
    let Some(row) = db.rows(sql).await?.into_iter().next() else {
        return Ok(defaults());
    };
    match php_serialized::parse(&get::<String>(&row, "roles")?) {
        Some(Value::Array(entries)) => Ok(entries.into_iter().map(|(key, _)| key).collect()),
        _ => Err(SourceError::Format(format!(
            "{prefix}user_roles in {prefix}options is not a serialized PHP array"
        ))),
    }
}

/// The roles in a serialized capabilities array, as machine names; `None` when it is not one.
fn roles_in(caps: &str, known: &HashSet<String>) -> Option<Vec<String>> {
    if caps.trim().is_empty() {
        return Some(Vec::new());
    }
    let Value::Array(entries) = php_serialized::parse(caps)? else {
        return None;
    };
    Some(
        entries
            .into_iter()
            .filter(|(key, _)| known.contains(key))
            .filter_map(|(key, _)| role_machine_name(&key))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_give_the_roles_the_site_knows() {
        let known: HashSet<String> = DEFAULT_ROLES.iter().map(|r| r.to_string()).collect();
        let caps = r#"a:3:{s:6:"editor";b:1;s:10:"edit_posts";b:1;s:10:"subscriber";b:1;}"#;
        assert_eq!(
            roles_in(caps, &known),
            Some(vec!["editor".to_string(), "subscriber".to_string()])
        );
        assert_eq!(roles_in("", &known), Some(vec![]));
        assert_eq!(roles_in("not php", &known), None);
        assert_eq!(roles_in(r#"O:8:"WP_Roles":0:{}"#, &known), None);
    }
}
