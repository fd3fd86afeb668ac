//! Second factors: TOTP secrets, the hashes of recovery codes, and logins waiting for a code.

use super::{Store, StoreError, with_pool};

/// An account's TOTP enrolment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpRow {
    pub secret: String,
    pub created_at: i64,
    /// `None` while the enrolment waits for its first code.
    pub confirmed_at: Option<i64>,
    /// The time step of the last code accepted.
    pub last_step: Option<i64>,
}

/// Statements (taking the account id) that drop the recovery codes and waiting logins of an
/// account left with no second factor.
pub(super) const WITHOUT_FACTOR_CLEANUP: [&str; 2] = [
    "DELETE FROM mfa_recovery_codes WHERE account_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM mfa_passkeys WHERE account_id = $1) \
     AND NOT EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL)",
    "DELETE FROM mfa_pending_logins WHERE account_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM mfa_passkeys WHERE account_id = $1) \
     AND NOT EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL)",
];

/// What an account has enrolled, read in one statement: a login asks it every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct MfaCounts {
    /// Whether a TOTP enrolment exists, confirmed or not.
    pub totp: bool,
    pub totp_confirmed_at: Option<i64>,
    pub recovery_codes_left: i64,
    pub passkeys: i64,
}

impl Store {
    /// What the account has enrolled.
    pub async fn mfa_counts(&self, account_id: i64) -> Result<MfaCounts, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = $1) AS totp, \
                 (SELECT confirmed_at FROM mfa_totp WHERE account_id = $1) AS totp_confirmed_at, \
                 (SELECT COUNT(*) FROM mfa_recovery_codes WHERE account_id = $1 \
                  AND used_at IS NULL) AS recovery_codes_left, \
                 (SELECT COUNT(*) FROM mfa_passkeys WHERE account_id = $1) AS passkeys",
            )
            .bind(account_id)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The account's TOTP enrolment, confirmed or not.
    pub async fn totp_of(&self, account_id: i64) -> Result<Option<TotpRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT secret, created_at, confirmed_at, last_step FROM mfa_totp \
                 WHERE account_id = $1",
            )
            .bind(account_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Stores a new, unconfirmed TOTP secret, replacing an unconfirmed one; returns false,
    /// changing nothing, if the account has a confirmed one.
    pub async fn start_totp(
        &self,
        account_id: i64,
        secret: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "INSERT INTO mfa_totp (account_id, secret, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET secret = excluded.secret, \
                 created_at = excluded.created_at, last_step = NULL \
                 WHERE mfa_totp.confirmed_at IS NULL",
            )
            .bind(account_id)
            .bind(secret)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Confirms the unconfirmed secret `secret` with the code of `step`, and replaces the
    /// account's recovery codes with `code_hashes`, in one transaction. Returns false,
    /// changing nothing, if that secret is no longer the one waiting.
    pub async fn confirm_totp(
        &self,
        account_id: i64,
        secret: &str,
        step: i64,
        code_hashes: &[String],
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE mfa_totp SET confirmed_at = $3, last_step = $4 \
                 WHERE account_id = $1 AND secret = $2 AND confirmed_at IS NULL",
            )
            .bind(account_id)
            .bind(secret)
            .bind(now)
            .bind(step)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            for hash in code_hashes {
                sqlx::query(
                    "INSERT INTO mfa_recovery_codes (account_id, code_hash, created_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(account_id)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that the code of `step` was used; false if that step or a later one was used
    /// already (a replay) or the enrolment is gone.
    pub async fn use_totp_step(&self, account_id: i64, step: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE mfa_totp SET last_step = $2 WHERE account_id = $1 \
                 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)",
            )
            .bind(account_id)
            .bind(step)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Uses up the recovery code with this hash; false if it is not an unused one.
    pub async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE mfa_recovery_codes SET used_at = $3 \
                 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(account_id)
            .bind(code_hash)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Removes the account's TOTP enrolment, confirmed or not; the recovery codes and
    /// waiting logins go too unless a passkey remains. Returns whether TOTP was confirmed.
    pub async fn delete_totp(&self, account_id: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let confirmed = sqlx::query(
                "DELETE FROM mfa_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL",
            )
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0;
            sqlx::query("DELETE FROM mfa_totp WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            for sql in WITHOUT_FACTOR_CLEANUP {
                sqlx::query(sql).bind(account_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(confirmed)
        })
    }

    /// Removes every second factor of the account (TOTP, passkeys), its recovery codes,
    /// waiting logins and passkey ceremonies, in one transaction; returns whether it had a
    /// confirmed one.
    pub async fn delete_mfa(&self, account_id: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut confirmed = false;
            for sql in [
                "DELETE FROM mfa_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL",
                "DELETE FROM mfa_passkeys WHERE account_id = $1",
            ] {
                let done = sqlx::query(sql).bind(account_id).execute(&mut *tx).await?;
                confirmed |= done.rows_affected() > 0;
            }
            for sql in [
                "DELETE FROM mfa_totp WHERE account_id = $1",
                "DELETE FROM mfa_recovery_codes WHERE account_id = $1",
                "DELETE FROM mfa_pending_logins WHERE account_id = $1",
                "DELETE FROM mfa_passkey_ceremonies WHERE account_id = $1",
            ] {
                sqlx::query(sql).bind(account_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(confirmed)
        })
    }

    /// Stores a login waiting for its second factor, and drops those that expired.
    pub async fn insert_pending_login(
        &self,
        token_hash: &str,
        account_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM mfa_pending_logins WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO mfa_pending_logins (token_hash, account_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The account of the live waiting login with this hash.
    pub async fn pending_login(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT account_id FROM mfa_pending_logins WHERE token_hash = $1 \
                 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Uses up the waiting login; false if it was used or expired meanwhile.
    pub async fn take_pending_login(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await?;
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "DELETE FROM mfa_pending_logins WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
