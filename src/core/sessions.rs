//! Sessions: 256-bit random ids handed to the client and stored only as SHA-256 hashes; a new
//! id at every login; idle and absolute expiry; last-access writes throttled.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::session_cache::{CachedSession, SessionKey, session_key};
use super::{Core, Error, csrf, later, now, whole_seconds};
pub use crate::domain::sessions::StoredSession;
use crate::store::{LinkUse, NewSession};

/// Longest cookie value worth looking up; real ids are 43 characters.
const MAX_SESSION_ID_LEN: usize = 128;

/// The live session a request presented, with its account.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub id_hash: String,
    pub csrf_seed: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The interface the session was opened through (a dialect's name); none if unrecorded.
    pub dialect: Option<String>,
    pub account: Account,
}

/// The result of a successful login: the new session's id (for the cookie only) and account.
#[derive(Debug)]
pub struct LoggedIn {
    pub session_id: String,
    pub csrf_seed: String,
    pub expires_at: i64,
    pub account: Account,
}

/// The stored form of a session id.
pub fn hash_session_id(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(session_key(id))
}

pub(super) fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Core {
    /// Opens a session for an active account whose holder has just proven themselves: by
    /// password, by a one-time link (`link`, used up here), or by registering where no
    /// approval is needed. Replaces `previous` if given. Fails with [`Error::LinkInvalid`] if
    /// the link was used up by a concurrent request.
    pub async fn open_session(
        &self,
        mut account: Account,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
        link: Option<LinkUse<'_>>,
    ) -> Result<LoggedIn, Error> {
        if !account.is_active() {
            return Err(Error::AccountInactive);
        }
        let session_id = new_session_id();
        let csrf_seed = csrf::new_seed();
        // A link login must move login_at forward, even within the second the link was
        // made or last used, since that is what voids the link.
        let now = match &link {
            Some(link) => now().max(link.login_at_was + 1),
            None => now(),
        };
        let expires_at = later(now, self.sessions.lifetime);
        let id_hash = hash_session_id(&session_id);
        let public_id = super::prefixed_tokens::public_id();
        let user_agent = client
            .user_agent
            .as_deref()
            .map(|ua| super::audit::cut(ua, super::audit::MAX_USER_AGENT_CHARS));
        let new = NewSession {
            id_hash: &id_hash,
            public_id: &public_id,
            user_agent: user_agent.as_deref(),
            account_id: account.id,
            csrf_seed: &csrf_seed,
            now,
            expires_at,
            client_ip: client.ip.map(|ip| ip.to_string()),
            dialect: client.dialect,
        };
        let opened = self
            .store
            .insert_session(&new, previous.map(|p| p.id_hash.as_str()), link.as_ref())
            .await?;
        if !opened {
            return Err(Error::LinkInvalid);
        }
        if let Some(previous) = previous {
            self.sessions_changed(previous.account.id);
        }
        if link.is_some() {
            self.sessions_changed(account.id);
        }
        if let Some(hash) = link.as_ref().and_then(|l| l.new_password_hash) {
            account.password_hash = Some(hash.to_string());
        }
        account.login_at = now;
        account.access_at = now;
        Ok(LoggedIn {
            session_id,
            csrf_seed,
            expires_at,
            account,
        })
    }

    /// The live session with this id, if any. Expired sessions and sessions of accounts that
    /// are no longer active count as none.
    ///
    /// A session this node has read lately is answered from memory until its last-access time
    /// is due to be written; see [`super::session_cache`] for why that never outlives a
    /// revocation.
    pub async fn authenticate(
        &self,
        session_id: &str,
    ) -> Result<Option<Arc<CurrentSession>>, Error> {
        if session_id.is_empty() || session_id.len() > MAX_SESSION_ID_LEN {
            return Ok(None);
        }
        let key = session_key(session_id);
        let now = now();
        if let Some(cached) = self.session_cache.get(&key)
            && now < cached.session.expires_at
            && now - cached.last_seen_at < self.touch_interval()
        {
            super::meters::session_check(true);
            return Ok(Some(Arc::clone(&cached.session)));
        }
        super::meters::session_check(false);
        // Boxed: the database's future is large, and inline it would make every caller's
        // future as large, to be copied on each move even when the cache answers.
        Box::pin(self.authenticate_from_store(key, now)).await
    }

    /// A session's last-access time is written at most this often: so that read-only traffic
    /// does not write on every request, but often enough that an active session never
    /// reaches its idle timeout.
    fn touch_interval(&self) -> i64 {
        whole_seconds(
            self.sessions
                .write_interval
                .min(self.sessions.idle_timeout / 2),
        )
    }

    async fn authenticate_from_store(
        &self,
        key: SessionKey,
        now: i64,
    ) -> Result<Option<Arc<CurrentSession>>, Error> {
        let seen = self.session_cache.generation();
        let id_hash = URL_SAFE_NO_PAD.encode(key);
        let Some((stored, account)) = self.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let idle = now - stored.last_seen_at >= whole_seconds(self.sessions.idle_timeout);
        if idle || now >= stored.expires_at {
            // Expired either way; the purge deletes it later if the database cannot now.
            self.session_cache.forget_session(&key);
            match self.store.delete_session(&id_hash).await {
                Ok(true) => self.announce_expired_sessions(&[account.id]).await,
                Ok(false) => {}
                Err(e) if e.is_unavailable() => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(None);
        }
        if !account.is_active() {
            return Ok(None);
        }
        let mut last_seen_at = stored.last_seen_at;
        if now - stored.last_seen_at >= self.touch_interval() {
            match self.store.touch_session(&id_hash, account.id, now).await {
                Ok(()) => last_seen_at = now,
                // The session was read and is valid; a last-access time that cannot be
                // written (a full disk, a busy database) must not refuse it.
                Err(e) if e.is_unavailable() => tracing::warn!(
                    error = %e,
                    "could not record a session's last access; it stays valid"
                ),
                Err(e) => return Err(e.into()),
            }
        }
        let current = Arc::new(CurrentSession {
            id_hash: stored.id_hash,
            csrf_seed: stored.csrf_seed,
            created_at: stored.created_at,
            expires_at: stored.expires_at,
            dialect: stored.dialect,
            account,
        });
        let entry = CachedSession {
            session: Arc::clone(&current),
            last_seen_at,
        };
        self.session_cache.insert(seen, key, entry);
        Ok(Some(current))
    }

    /// Keeps a dialect's note on the session `session_id` opened: how it was opened, in that
    /// dialect's words, for its clients that ask later. The core does not read it.
    pub async fn note_session(&self, session_id: &str, note: &str) -> Result<(), Error> {
        self.store
            .set_session_note(&hash_session_id(session_id), note)
            .await?;
        Ok(())
    }

    /// The note a dialect kept on `session`, if any.
    pub async fn session_note(&self, session: &CurrentSession) -> Result<Option<String>, Error> {
        Ok(self.store.session_note(&session.id_hash).await?)
    }

    /// Ends the session.
    pub async fn logout(
        &self,
        session: &CurrentSession,
        client: &ClientContext,
    ) -> Result<(), Error> {
        self.store.delete_session(&session.id_hash).await?;
        self.sessions_changed(session.account.id);
        let subject = Subject::Account(&session.account);
        self.record_audit(AuditEvent::Logout, subject, client, None)
            .await;
        Ok(())
    }

    /// Deletes sessions that have expired; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, Error> {
        let now = now();
        let idle_before = now.saturating_sub(whole_seconds(self.sessions.idle_timeout));
        let ended = self.store.delete_expired_sessions(idle_before, now).await?;
        self.announce_expired_sessions(&ended).await;
        Ok(ended.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_256_bit_and_unique() {
        let a = new_session_id();
        let b = new_session_id();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn the_stored_hash_is_not_the_id() {
        let id = new_session_id();
        let hash = hash_session_id(&id);
        assert_ne!(hash, id);
        assert_eq!(hash, hash_session_id(&id));
        assert_eq!(hash.len(), 43);
    }
}
