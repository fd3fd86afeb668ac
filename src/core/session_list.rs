//! A user's own sessions, and the operator's view of everyone's: listing the live ones and
//! ending one, all, or all but the caller's. An ended session ends on every node at once (the
//! session cache forgets it here, and other nodes through the change feed).

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::{Core, Error, now, whole_seconds};
use crate::store::LiveAt;
pub use crate::store::SessionSummary;

/// Which of an account's sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    All,
    /// Every one but the session with this id hash (the caller's own).
    AllBut(&'a str),
}

impl Core {
    fn live_now(&self) -> LiveAt {
        let now = now();
        LiveAt {
            seen_since: now.saturating_sub(whole_seconds(self.sessions.idle_timeout)),
            now,
        }
    }

    /// The account's live sessions, most recently used first.
    pub async fn sessions_of(&self, account: &Account) -> Result<Vec<SessionSummary>, Error> {
        Ok(self
            .store
            .live_sessions(Some(account.id), self.live_now())
            .await?)
    }

    /// Every live session, or the named account's, for the operator.
    pub async fn live_sessions(
        &self,
        account_name: Option<&str>,
    ) -> Result<Vec<SessionSummary>, Error> {
        let account_id = match account_name {
            Some(name) => Some(self.account_named(name).await?.id),
            None => None,
        };
        Ok(self
            .store
            .live_sessions(account_id, self.live_now())
            .await?)
    }

    /// Ends the session with this public identifier if `owner` holds it (any account's for
    /// the operator, `None`). Returns false for an unknown session or someone else's, which
    /// look the same to the caller.
    pub async fn end_session(
        &self,
        public_id: &str,
        owner: Option<&Account>,
        client: &ClientContext,
    ) -> Result<bool, Error> {
        let Some(account_id) = self
            .store
            .delete_session_by_public_id(public_id, owner.map(|a| a.id))
            .await?
        else {
            return Ok(false);
        };
        self.sessions_changed(account_id);
        let detail = format!("session {public_id}");
        match owner {
            Some(account) => {
                self.record_audit(
                    AuditEvent::SessionRevoked,
                    Subject::Account(account),
                    client,
                    Some(&detail),
                )
                .await;
            }
            None => {
                let account = self.store.account_by_id(account_id).await?;
                let subject = account.as_ref().map_or(Subject::Nobody, Subject::Account);
                self.record_audit(AuditEvent::SessionRevoked, subject, client, Some(&detail))
                    .await;
            }
        }
        Ok(true)
    }

    /// Ends the account's sessions as `ending` says; returns how many ended.
    pub async fn end_sessions(
        &self,
        account: &Account,
        ending: Ending<'_>,
        client: &ClientContext,
    ) -> Result<u64, Error> {
        let keep = match ending {
            Ending::All => None,
            Ending::AllBut(id_hash) => Some(id_hash),
        };
        let ended = self.store.delete_sessions_of(account.id, keep).await?;
        self.sessions_changed(account.id);
        let detail = match ending {
            Ending::All => format!("all {ended} sessions"),
            Ending::AllBut(_) => format!("{ended} other sessions"),
        };
        self.record_audit(
            AuditEvent::SessionRevoked,
            Subject::Account(account),
            client,
            Some(&detail),
        )
        .await;
        Ok(ended)
    }
}
