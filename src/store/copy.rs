//! Copying a whole latch database (accounts, sessions, mail and applications) to another,
//! e.g. from SQLite to PostgreSQL when a site outgrows one machine. Ids are kept, so sessions and links stay valid. Delivery claims are
//! not: the old nodes are stopped, and their claims must not hold messages back.

use super::{Store, StoreError, with_pool};

#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: i64,
    uuid: String,
    name: String,
    name_key: String,
    mail: Option<String>,
    mail_key: Option<String>,
    password_hash: Option<String>,
    state: String,
    timezone: String,
    langcode: String,
    created_at: i64,
    changed_at: i64,
    access_at: i64,
    login_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct RoleRow {
    account_id: i64,
    role: String,
}

#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    account_id: i64,
    csrf_seed: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    client_ip: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    kind: String,
    recipient: String,
    subject: String,
    body: String,
    html_body: Option<String>,
    account_id: Option<i64>,
    state: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

#[derive(Debug, sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    token_hash: String,
    token_hint: String,
    created_at: i64,
}

/// Everything a latch database holds.
pub struct Snapshot {
    accounts: Vec<AccountRow>,
    roles: Vec<RoleRow>,
    sessions: Vec<SessionRow>,
    outbox: Vec<OutboxRow>,
    apps: Vec<AppRow>,
}

/// How many rows a copy moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyCounts {
    pub accounts: usize,
    pub sessions: usize,
    pub messages: usize,
    pub apps: usize,
}

impl Snapshot {
    pub fn counts(&self) -> CopyCounts {
        CopyCounts {
            accounts: self.accounts.len(),
            sessions: self.sessions.len(),
            messages: self.outbox.len(),
            apps: self.apps.len(),
        }
    }
}

impl Store {
    /// Reads every row, inside one transaction so the copy is consistent.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let accounts = sqlx::query_as("SELECT id, uuid, name, name_key, mail, mail_key, password_hash, state, \
                 timezone, langcode, created_at, changed_at, access_at, login_at FROM accounts ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
            let roles = sqlx::query_as(
                "SELECT account_id, role FROM account_roles ORDER BY account_id, role",
            )
            .fetch_all(&mut *tx)
            .await?;
            let sessions = sqlx::query_as(
                "SELECT id_hash, account_id, csrf_seed, created_at, last_seen_at, \
                 expires_at, client_ip FROM sessions ORDER BY id_hash",
            )
            .fetch_all(&mut *tx)
            .await?;
            let outbox = sqlx::query_as(
                "SELECT id, kind, recipient, subject, body, html_body, account_id, state, attempts, \
                 created_at, next_attempt_at, last_error, sent_at FROM mail_outbox ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            let apps = sqlx::query_as(
                "SELECT id, name, token_hash, token_hint, created_at FROM apps ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Snapshot {
                accounts,
                roles,
                sessions,
                outbox,
                apps,
            })
        })
    }

    /// Writes `snapshot` into this database, which must hold no accounts yet. All or nothing.
    pub async fn restore(&self, snapshot: &Snapshot) -> Result<CopyCounts, StoreError> {
        if self.count_accounts().await? > 0 {
            return Err(StoreError::NotEmpty);
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for a in &snapshot.accounts {
                sqlx::query(
                    "INSERT INTO accounts (id, uuid, name, name_key, mail, mail_key, password_hash, state, \
                     timezone, langcode, created_at, changed_at, access_at, login_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(a.id)
                .bind(&a.uuid)
                .bind(&a.name)
                .bind(&a.name_key)
                .bind(&a.mail)
                .bind(&a.mail_key)
                .bind(&a.password_hash)
                .bind(&a.state)
                .bind(&a.timezone)
                .bind(&a.langcode)
                .bind(a.created_at)
                .bind(a.changed_at)
                .bind(a.access_at)
                .bind(a.login_at)
                .execute(&mut *tx)
                .await?;
            }
            for r in &snapshot.roles {
                sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                    .bind(r.account_id)
                    .bind(&r.role)
                    .execute(&mut *tx)
                    .await?;
            }
            for s in &snapshot.sessions {
                sqlx::query(
                    "INSERT INTO sessions (id_hash, account_id, csrf_seed, created_at, last_seen_at, \
                     expires_at, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&s.id_hash)
                .bind(s.account_id)
                .bind(&s.csrf_seed)
                .bind(s.created_at)
                .bind(s.last_seen_at)
                .bind(s.expires_at)
                .bind(&s.client_ip)
                .execute(&mut *tx)
                .await?;
            }
            for m in &snapshot.outbox {
                sqlx::query(
                    "INSERT INTO mail_outbox (id, kind, recipient, subject, body, html_body, account_id, \
                     state, attempts, created_at, next_attempt_at, last_error, sent_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(m.id)
                .bind(&m.kind)
                .bind(&m.recipient)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(&m.html_body)
                .bind(m.account_id)
                .bind(&m.state)
                .bind(m.attempts)
                .bind(m.created_at)
                .bind(m.next_attempt_at)
                .bind(&m.last_error)
                .bind(m.sent_at)
                .execute(&mut *tx)
                .await?;
            }
            for app in &snapshot.apps {
                sqlx::query(
                    "INSERT INTO apps (id, name, token_hash, token_hint, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(app.id)
                .bind(&app.name)
                .bind(&app.token_hash)
                .bind(&app.token_hint)
                .bind(app.created_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.advance_id_sequences().await?;
        Ok(snapshot.counts())
    }

    /// Rows copied with explicit ids leave PostgreSQL's identity sequences behind; move them
    /// past the highest id so the next insert does not collide. SQLite tracks this itself.
    async fn advance_id_sequences(&self) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            for table in ["accounts", "mail_outbox", "apps"] {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
            }
        }
        Ok(())
    }
}
