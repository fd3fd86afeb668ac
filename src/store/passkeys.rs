//! Passkeys (WebAuthn credentials) and the ceremonies that register them or log in with them.

use super::{Store, StoreError, with_pool};

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: i64,
    pub account_id: i64,
    /// The credential id, base64url.
    pub credential_id: String,
    pub name: String,
    /// The credential as the WebAuthn library serialises it.
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A ceremony begun and not yet finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CeremonyRow {
    pub account_id: Option<i64>,
    pub state: String,
    pub expires_at: i64,
}

/// A ceremony to store.
#[derive(Debug, Clone, Copy)]
pub struct NewCeremony<'a> {
    pub id_hash: &'a str,
    pub kind: &'a str,
    pub account_id: Option<i64>,
    pub state: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// A passkey to store.
#[derive(Debug, Clone, Copy)]
pub struct NewPasskey<'a> {
    pub account_id: i64,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
    pub now: i64,
}

/// What storing a passkey did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyAdded {
    /// Stored with this id; `first_factor` tells whether it is the account's first second
    /// factor, in which case the recovery codes offered were stored too.
    Added { id: i64, first_factor: bool },
    /// The credential is registered already (to this or another account); nothing changed.
    Taken,
}

const PASSKEY_COLUMNS: &str =
    "id, account_id, credential_id, name, passkey, created_at, last_used_at";

impl Store {
    /// Stores a ceremony, replacing one with the same id, and drops those that expired.
    pub async fn insert_ceremony(&self, new: NewCeremony<'_>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM mfa_passkey_ceremonies WHERE expires_at <= $1")
                .bind(new.now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO mfa_passkey_ceremonies \
                 (id_hash, kind, account_id, state, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id_hash) DO UPDATE SET kind = excluded.kind, \
                 account_id = excluded.account_id, state = excluded.state, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at",
            )
            .bind(new.id_hash)
            .bind(new.kind)
            .bind(new.account_id)
            .bind(new.state)
            .bind(new.now)
            .bind(new.expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Uses up the ceremony of this kind with this id: it is deleted whether or not it is
    /// still live, so it serves once. `None` if there is no live one.
    pub async fn take_ceremony(
        &self,
        id_hash: &str,
        kind: &str,
        now: i64,
    ) -> Result<Option<CeremonyRow>, StoreError> {
        let _turn = self.write_turn().await?;
        let row: Option<CeremonyRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "DELETE FROM mfa_passkey_ceremonies WHERE id_hash = $1 AND kind = $2 \
                 RETURNING account_id, state, expires_at",
            )
            .bind(id_hash)
            .bind(kind)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.filter(|row| row.expires_at > now))
    }

    /// The account's passkeys, oldest first.
    pub async fn passkeys_of(&self, account_id: i64) -> Result<Vec<PasskeyRow>, StoreError> {
        let sql =
            format!("SELECT {PASSKEY_COLUMNS} FROM mfa_passkeys WHERE account_id = $1 ORDER BY id");
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(account_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// How many passkeys the account has.
    pub async fn passkey_count(&self, account_id: i64) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT COUNT(*) FROM mfa_passkeys WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// The passkey with this credential id, whoever's it is.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRow>, StoreError> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM mfa_passkeys WHERE credential_id = $1");
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(credential_id)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Stores a passkey. If the account had no second factor (no confirmed TOTP, no
    /// passkey), its recovery codes are replaced with `code_hashes` in the same transaction.
    pub async fn add_passkey(
        &self,
        new: NewPasskey<'_>,
        code_hashes: &[String],
    ) -> Result<PasskeyAdded, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let factors: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM mfa_passkeys WHERE account_id = $1) + \
                 (SELECT COUNT(*) FROM mfa_totp WHERE account_id = $1 \
                 AND confirmed_at IS NOT NULL)",
            )
            .bind(new.account_id)
            .fetch_one(&mut *tx)
            .await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO mfa_passkeys \
                 (account_id, credential_id, name, passkey, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING RETURNING id",
            )
            .bind(new.account_id)
            .bind(new.credential_id)
            .bind(new.name)
            .bind(new.passkey)
            .bind(new.now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                return Ok(PasskeyAdded::Taken);
            };
            let first_factor = factors == 0;
            if first_factor {
                sqlx::query("DELETE FROM mfa_recovery_codes WHERE account_id = $1")
                    .bind(new.account_id)
                    .execute(&mut *tx)
                    .await?;
                for hash in code_hashes {
                    sqlx::query(
                        "INSERT INTO mfa_recovery_codes (account_id, code_hash, created_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(new.account_id)
                    .bind(hash)
                    .bind(new.now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(PasskeyAdded::Added { id, first_factor })
        })
    }

    /// Records a login with the passkey: its updated credential (the signature counter)
    /// and the time.
    pub async fn passkey_used(&self, id: i64, passkey: &str, now: i64) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            sqlx::query("UPDATE mfa_passkeys SET passkey = $2, last_used_at = $3 WHERE id = $1")
                .bind(id)
                .bind(passkey)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Removes one of the account's passkeys; if it was the account's last second factor,
    /// the recovery codes and waiting logins go too. False if it has no such passkey.
    pub async fn delete_passkey(&self, account_id: i64, id: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("DELETE FROM mfa_passkeys WHERE account_id = $1 AND id = $2")
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            for sql in super::mfa::WITHOUT_FACTOR_CLEANUP {
                sqlx::query(sql).bind(account_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }
}
