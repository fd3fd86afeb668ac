//! Copying a whole latch database, every table, to another: e.g. from SQLite to PostgreSQL
//! when a site outgrows one machine. Ids are kept, so sessions and links stay valid.
//!
//! The tables and their columns are listed once, in [`tables!`]; a copy refuses a database
//! with a table or column the list lacks, so a new migration cannot be left behind quietly.

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, with_pool};

/// Columns deliberately left behind. Delivery claims belong to the old nodes, which are
/// stopped; a claim copied over would hold its message back until it lapsed.
const NOT_COPIED: &[(&str, &str)] = &[
    ("mail_outbox", "claimed_by"),
    ("mail_outbox", "claimed_until"),
    // What changed recently, for running servers only (SQLite).
    ("session_changes", "seq"),
    ("session_changes", "account_id"),
    ("session_changes", "changed_at"),
    ("webhook_outbox", "claimed_by"),
    ("webhook_outbox", "claimed_until"),
];

/// Declares each table's row type, its columns and the order it is read in, in the order a
/// copy writes them (a table before those that refer to it).
macro_rules! tables {
    ($($table:ident ($order:literal) => $row:ident { $($column:ident: $ty:ty),* $(,)? })*) => {
        $(
            #[derive(Debug, sqlx::FromRow)]
            struct $row { $($column: $ty),* }
        )*

        /// Every table and column a copy carries.
        const TABLES: &[(&str, &[&str])] = &[$((stringify!($table), &[$(stringify!($column)),*])),*];

        /// Everything a latch database holds.
        pub struct Snapshot { $($table: Vec<$row>,)* }

        impl Snapshot {
            /// Rows per table, in copy order.
            pub fn counts(&self) -> CopyCounts {
                vec![$((stringify!($table), self.$table.len())),*]
            }
        }

        impl Store {
            /// Reads every row, inside one transaction so the copy is consistent.
            async fn read_tables(&self) -> Result<Snapshot, StoreError> {
                with_pool!(self, |pool| {
                    let mut tx = pool.begin().await?;
                    $(
                        let sql = select_sql(stringify!($table), $order);
                        let $table = sqlx::query_as(AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
                    )*
                    tx.commit().await?;
                    Ok(Snapshot { $($table),* })
                })
            }

            /// Writes every row in one transaction, replacing a fingerprint the empty target
            /// may have recorded.
            async fn write_tables(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
                with_pool!(self, |pool| {
                    let mut tx = pool.begin().await?;
                    sqlx::query("DELETE FROM secret_fingerprint").execute(&mut *tx).await?;
                    $(
                        let sql = insert_sql(stringify!($table));
                        for row in &snapshot.$table {
                            sqlx::query(AssertSqlSafe(sql.clone()))
                                $(.bind(&row.$column))*
                                .execute(&mut *tx)
                                .await?;
                        }
                    )*
                    tx.commit().await?;
                    Ok(())
                })
            }
        }
    };
}

tables! {
    accounts ("id") => AccountRow {
        id: i64, uuid: String, name: String, name_key: String, mail: Option<String>,
        mail_key: Option<String>, password_hash: Option<String>, state: String,
        timezone: String, langcode: String, created_at: i64, changed_at: i64, access_at: i64,
        login_at: i64, name_fold: Option<String>,
    }
    account_roles ("account_id, role") => RoleRow { account_id: i64, role: String }
    sessions ("id_hash") => SessionRow {
        id_hash: String, account_id: i64, csrf_seed: String, created_at: i64,
        last_seen_at: i64, expires_at: i64, client_ip: Option<String>,
        dialect: Option<String>, public_id: Option<String>, user_agent: Option<String>,
        note: Option<String>,
    }
    access_tokens ("id") => AccessTokenCopyRow {
        id: String, account_id: i64, name: String, token_hash: String, token_hint: String,
        scopes: String, created_at: i64, last_used_at: Option<i64>, expires_at: Option<i64>,
        keep_on_password_change: bool,
    }
    mfa_totp ("account_id") => TotpCopyRow {
        account_id: i64, secret: String, created_at: i64, confirmed_at: Option<i64>,
        last_step: Option<i64>,
    }
    mfa_recovery_codes ("account_id, code_hash") => RecoveryCodeRow {
        account_id: i64, code_hash: String, created_at: i64, used_at: Option<i64>,
    }
    mfa_pending_logins ("token_hash") => PendingLoginRow {
        token_hash: String, account_id: i64, created_at: i64, expires_at: i64,
    }
    mfa_passkeys ("id") => PasskeyCopyRow {
        id: i64, account_id: i64, credential_id: String, name: String, passkey: String,
        created_at: i64, last_used_at: Option<i64>,
    }
    mfa_passkey_ceremonies ("id_hash") => CeremonyCopyRow {
        id_hash: String, kind: String, account_id: Option<i64>, state: String,
        created_at: i64, expires_at: i64,
    }
    mail_outbox ("id") => OutboxRow {
        id: i64, kind: String, recipient: String, subject: String, body: String,
        html_body: Option<String>, account_id: Option<i64>, state: String, attempts: i64,
        created_at: i64, next_attempt_at: i64, last_error: Option<String>,
        sent_at: Option<i64>,
    }
    webhook_outbox ("id") => WebhookCopyRow {
        id: i64, message_id: String, url: String, event: String, payload: String,
        state: String, attempts: i64, created_at: i64, next_attempt_at: i64,
        last_error: Option<String>, delivered_at: Option<i64>,
    }
    apps ("id") => AppRow {
        id: i64, name: String, token_hash: String, token_hint: String, created_at: i64,
    }
    flood_events ("id") => FloodRow {
        id: i64, event: String, identifier: String, created_at: i64, expires_at: i64,
    }
    audit_events ("id") => AuditEventRow {
        id: i64, created_at: i64, kind: String, account_id: Option<i64>,
        account_name: Option<String>, client_ip: Option<String>, user_agent: Option<String>,
        detail: Option<String>, repeats: i64, last_at: Option<i64>, actor: Option<String>,
    }
    legacy_migrations ("account_id") => LegacyMigrationRow {
        account_id: i64, how: String, migrated_at: i64,
    }
    secret_fingerprint ("id") => FingerprintRow {
        id: i64, fingerprint: String, recorded_at: i64,
    }
    signing_keys ("kid") => SigningKeyCopyRow {
        kid: String, algorithm: String, public_key: String, sealed_private_key: String,
        created_at: i64, retired_at: Option<i64>,
    }
}

/// How many rows a copy moved, per table in copy order.
pub type CopyCounts = Vec<(&'static str, usize)>;

fn columns_of(table: &str) -> &'static [&'static str] {
    TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .map_or(&[], |(_, columns)| columns)
}

fn select_sql(table: &str, order: &str) -> String {
    let columns = columns_of(table).join(", ");
    format!("SELECT {columns} FROM {table} ORDER BY {order}")
}

fn insert_sql(table: &str) -> String {
    let columns = columns_of(table);
    let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    )
}

impl Store {
    /// Reads every row; refuses a database with tables or columns a copy would leave behind.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let uncopied = self.uncopied_columns().await?;
        if !uncopied.is_empty() {
            return Err(StoreError::Uncopied(uncopied.join(", ")));
        }
        self.read_tables().await
    }

    /// Writes `snapshot` into this database, which must be empty. All or nothing.
    pub async fn restore(&self, snapshot: &Snapshot) -> Result<CopyCounts, StoreError> {
        for (table, _) in TABLES {
            // A target that was started once holds a fingerprint, which the copy replaces.
            if *table != "secret_fingerprint" && self.has_rows(table).await? {
                return Err(StoreError::NotEmpty(table.to_string()));
            }
        }
        self.write_tables(snapshot).await?;
        self.advance_id_sequences().await?;
        Ok(snapshot.counts())
    }

    /// `table.column` of every column in this database that a copy does not carry.
    pub async fn uncopied_columns(&self) -> Result<Vec<String>, StoreError> {
        let schema: Vec<(String, String)> = with_pool!(self, |pool| sqlx::query_as(match self {
            Store::Sqlite(_) => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                     AND m.name <> '_sqlx_migrations' ORDER BY m.name, p.cid"
            }
            Store::Postgres(_) => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
                     ORDER BY table_name, ordinal_position"
            }
        })
        .fetch_all(pool)
        .await?);
        Ok(schema
            .into_iter()
            .filter(|(table, column)| {
                !columns_of(table).contains(&column.as_str())
                    && !NOT_COPIED.contains(&(table.as_str(), column.as_str()))
            })
            .map(|(table, column)| format!("{table}.{column}"))
            .collect())
    }

    async fn has_rows(&self, table: &str) -> Result<bool, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 1) t");
        with_pool!(self, |pool| {
            let rows: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                .fetch_one(pool)
                .await?;
            Ok(rows > 0)
        })
    }

    /// Rows copied with explicit ids leave PostgreSQL's identity sequences behind; move them
    /// past the highest id so the next insert does not collide. SQLite tracks this itself.
    async fn advance_id_sequences(&self) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            for (table, columns) in TABLES {
                if !columns.contains(&"id") {
                    continue;
                }
                // Only identity columns have a sequence (a text id such as a token's has none,
                // and its MAX would not add to a number).
                let sequence: Option<String> =
                    sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
                        .bind(*table)
                        .fetch_one(pool)
                        .await?;
                let Some(sequence) = sequence else {
                    continue;
                };
                let sql = format!(
                    "SELECT setval($1::regclass, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(sequence)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }
}
