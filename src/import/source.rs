//! Another system's database, read through whichever driver its URL names. Only plain
//! `SELECT`s run here; the few places where SQL dialects differ are spelled per backend.

use std::collections::HashMap;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::{ImportRow, SourceError, role_machine_name};
use crate::core::accounts::AccountState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

pub struct SourceDatabase {
    pool: AnyPool,
    backend: Backend,
}

impl SourceDatabase {
    /// Opens `sqlite://…`, `postgres://…` or `mysql://…` (also MariaDB) for reading.
    pub async fn open(url: &str) -> Result<Self, SourceError> {
        let backend = match url.split(':').next().unwrap_or_default() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            "mysql" | "mariadb" => Backend::MySql,
            _ => {
                return Err(SourceError::Format(format!(
                    "unsupported source URL {url:?}: use sqlite://FILE, postgres://… or mysql://…"
                )));
            }
        };
        sqlx::any::install_default_drivers();
        let url = url.replacen("mariadb://", "mysql://", 1);
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .map_err(|e| SourceError::Format(format!("cannot open the source database: {e}")))?;
        Ok(Self { pool, backend })
    }

    /// `expr` as a 64-bit integer.
    pub fn int(&self, expr: &str) -> String {
        match self.backend {
            Backend::MySql => format!("CAST({expr} AS SIGNED)"),
            _ => format!("CAST({expr} AS BIGINT)"),
        }
    }

    /// A true/false column as 1/0, whatever the backend stores booleans as.
    pub fn flag(&self, column: &str) -> String {
        self.int(&format!("CASE WHEN {column} THEN 1 ELSE 0 END"))
    }

    /// A timestamp column as Unix seconds; NULL as 0.
    pub fn epoch(&self, column: &str) -> String {
        let seconds = match self.backend {
            Backend::Sqlite => format!("strftime('%s', {column})"),
            Backend::Postgres => format!("EXTRACT(EPOCH FROM {column})"),
            Backend::MySql => format!("UNIX_TIMESTAMP({column})"),
        };
        format!("COALESCE({}, 0)", self.int(&seconds))
    }

    /// A table or column name quoted, for names in mixed case (ASP.NET Identity's).
    pub fn quote(&self, name: &str) -> String {
        match self.backend {
            Backend::MySql => format!("`{name}`"),
            _ => format!("\"{name}\""),
        }
    }

    /// 1 when the time in `column` lies in the future, else 0 (NULL too).
    pub fn in_future(&self, column: &str) -> String {
        self.flag(&match self.backend {
            Backend::Sqlite => format!("julianday({column}) > julianday('now')"),
            Backend::Postgres => format!("{column} > now()"),
            Backend::MySql => format!("{column} > UTC_TIMESTAMP()"),
        })
    }

    pub async fn has_table(&self, table: &str) -> bool {
        let sql = format!("SELECT 1 FROM {table} WHERE 1 = 0");
        sqlx::query(AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await
            .is_ok()
    }

    pub async fn rows(&self, sql: String) -> Result<Vec<AnyRow>, SourceError> {
        sqlx::query(AssertSqlSafe(sql.clone()))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| SourceError::Format(format!("reading the source failed ({e}) in: {sql}")))
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// A column of a source row, with an error that names it.
pub fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, SourceError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column)
        .map_err(|e| SourceError::Format(format!("column {column}: {e}")))
}

/// Roles by account id (a number, or a string such as ASP.NET Identity's), from a query
/// selecting `id` and `role`, as machine names.
pub async fn roles_by_id<K>(
    db: &SourceDatabase,
    sql: String,
) -> Result<HashMap<K, Vec<String>>, SourceError>
where
    K: Eq + std::hash::Hash + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let mut roles: HashMap<K, Vec<String>> = HashMap::new();
    for row in db.rows(sql).await? {
        if let Some(role) = role_machine_name(&get::<String>(&row, "role")?) {
            roles.entry(get(&row, "id")?).or_default().push(role);
        }
    }
    Ok(roles)
}

/// An account from a query selecting `name`, `mail`, `hash`, `active` (1 or 0), `created`,
/// `access` and `login`; empty mails and hashes count as none.
pub fn import_row(row: &AnyRow, mut roles: Vec<String>) -> Result<ImportRow, SourceError> {
    roles.sort();
    roles.dedup();
    let active = get::<i64>(row, "active")? == 1;
    Ok(ImportRow {
        name: get(row, "name")?,
        mail: get::<Option<String>>(row, "mail")?.filter(|m| !m.is_empty()),
        password_hash: get::<Option<String>>(row, "hash")?.filter(|h| !h.is_empty()),
        roles,
        state: if active {
            AccountState::Active
        } else {
            AccountState::Blocked
        },
        created_at: get(row, "created")?,
        access_at: get(row, "access")?,
        login_at: get(row, "login")?,
    })
}
