//! Live sessions kept in memory, so a session check costs a hash and a map lookup instead of
//! a database round trip, while every revocation stays immediate.
//!
//! The rules that keep it from ever answering for a session that has ended:
//!
//! - It is trusted only while a feed of the database's changes runs ([`Core::watch_session_changes`]).
//!   Until the feed is open, and from the moment it fails until it is open again, the cache is
//!   empty and refuses entries, so every check goes to the database.
//! - Whatever changes an account's sessions on this node forgets that account here after its
//!   write commits and before its response goes out; changes by other nodes and processes
//!   arrive through the feed.
//! - An entry read from the database is kept only if nothing was forgotten while it was being
//!   read: every forget moves a generation on, and an entry from an earlier generation is
//!   dropped rather than stored over a change that came after its read.
//! - Entries hold no decision that expires: the expiry and idle times are checked at every
//!   use, against the last access this node knows of (never later than the true one, so an
//!   entry looks idle no later than the session is; the database then decides).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::Core;
use super::sessions::CurrentSession;

/// The key of a session: the SHA-256 of its id, whose base64 form the store keys it by.
pub type SessionKey = [u8; 32];

pub fn session_key(session_id: &str) -> SessionKey {
    Sha256::digest(session_id.as_bytes()).into()
}

/// A generation of the cache, taken before a database read whose result may be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

#[derive(Clone)]
pub struct CachedSession {
    pub session: Arc<CurrentSession>,
    /// The last access this node knows of.
    pub last_seen_at: i64,
}

pub struct SessionCache {
    capacity: usize,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    trusted: bool,
    generation: u64,
    sessions: HashMap<SessionKey, CachedSession>,
    /// The keys of each account's cached sessions, to forget an account's sessions at once.
    by_account: HashMap<i64, Vec<SessionKey>>,
}

impl State {
    fn clear(&mut self) {
        self.sessions = HashMap::new();
        self.by_account = HashMap::new();
        self.generation += 1;
    }

    fn remove(&mut self, key: &SessionKey) {
        let Some(entry) = self.sessions.remove(key) else {
            return;
        };
        let account = entry.session.account.id;
        if let Some(keys) = self.by_account.get_mut(&account) {
            keys.retain(|k| k != key);
            if keys.is_empty() {
                self.by_account.remove(&account);
            }
        }
    }

    /// Makes room for one more entry by dropping another; which one matters little, as a
    /// dropped session is read again at its next use.
    fn evict_one(&mut self) {
        if let Some(key) = self.sessions.keys().next().copied() {
            self.remove(&key);
        }
    }
}

impl SessionCache {
    /// A cache of at most `capacity` sessions (0: none), untrusted until a feed runs.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: RwLock::new(State::default()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-changed in a way that
        // matters more than a lost entry, so a poisoned lock is used as it is.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, key: &SessionKey) -> Option<CachedSession> {
        if self.capacity == 0 {
            return None;
        }
        let state = self.read();
        if !state.trusted {
            return None;
        }
        state.sessions.get(key).cloned()
    }

    /// The generation to pass to [`Self::insert`] with what a read that starts now finds.
    pub fn generation(&self) -> Generation {
        Generation(self.read().generation)
    }

    /// Keeps `entry` unless the cache is untrusted or something was forgotten since `seen`.
    pub fn insert(&self, seen: Generation, key: SessionKey, entry: CachedSession) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.write();
        if !state.trusted || state.generation != seen.0 {
            return;
        }
        let account = entry.session.account.id;
        if state.sessions.insert(key, entry).is_none() {
            state.by_account.entry(account).or_default().push(key);
        }
        while state.sessions.len() > self.capacity {
            state.evict_one();
        }
    }

    /// Forgets one session.
    pub fn forget_session(&self, key: &SessionKey) {
        let mut state = self.write();
        state.generation += 1;
        state.remove(key);
    }

    /// Forgets every session of these accounts.
    pub fn forget_accounts(&self, accounts: &[i64]) {
        let mut state = self.write();
        state.generation += 1;
        for account in accounts {
            for key in state.by_account.remove(account).unwrap_or_default() {
                state.sessions.remove(&key);
            }
        }
    }

    /// Forgets everything and keeps nothing until [`Self::trust`].
    pub fn distrust(&self) {
        let mut state = self.write();
        state.trusted = false;
        state.clear();
    }

    /// Starts keeping entries, from empty: called once a feed is open, so every change from
    /// now on reaches the cache.
    pub fn trust(&self) {
        let mut state = self.write();
        state.clear();
        state.trusted = true;
    }

    pub fn is_trusted(&self) -> bool {
        self.read().trusted
    }

    pub fn len(&self) -> usize {
        self.read().sessions.len()
    }
}

impl Core {
    /// Forgets what this node keeps of an account's sessions; called once a change to the
    /// account or its sessions has committed, before the change's response goes out.
    pub(super) fn sessions_changed(&self, account_id: i64) {
        self.session_cache.forget_accounts(&[account_id]);
    }

    /// How many sessions this node keeps in memory now.
    pub fn cached_sessions(&self) -> usize {
        self.session_cache.len()
    }

    /// Whether session checks may be answered from memory: the feed of changes is open.
    pub fn session_cache_trusted(&self) -> bool {
        self.session_cache.is_trusted()
    }

    /// Keeps the session cache in step with the database's changes for as long as it runs:
    /// the server spawns it, and the cache is used only while its feed is open. A feed that
    /// fails empties the cache until a new one is open.
    pub async fn watch_session_changes(self: Arc<Self>) {
        /// Empties and disables the cache when the watch ends, however it ends.
        struct Distrust<'a>(&'a SessionCache);
        impl Drop for Distrust<'_> {
            fn drop(&mut self) {
                self.0.distrust();
            }
        }
        let _on_exit = Distrust(&self.session_cache);
        let mut retry = RETRY_FIRST;
        let mut lost = false;
        loop {
            match self.store.session_change_feed().await {
                Ok(mut feed) => {
                    self.session_cache.trust();
                    if lost {
                        tracing::info!(
                            "the feed of session changes is back; sessions are cached again"
                        );
                    }
                    retry = RETRY_FIRST;
                    let error = loop {
                        match feed.next().await {
                            Ok(accounts) => self.session_cache.forget_accounts(&accounts),
                            Err(e) => break e,
                        }
                    };
                    self.session_cache.distrust();
                    tracing::warn!(
                        error = %error,
                        "lost the feed of session changes; session checks read the database until it is back"
                    );
                    lost = true;
                }
                Err(e) => {
                    if !lost {
                        tracing::warn!(
                            error = %e,
                            "cannot open the feed of session changes; session checks read the database until it opens"
                        );
                    }
                    lost = true;
                }
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(RETRY_MAX);
        }
    }
}

/// The wait before opening the feed again after it failed, doubling up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::accounts::{Account, AccountState};

    fn entry(account_id: i64) -> CachedSession {
        let account = Account {
            id: account_id,
            uuid: String::new(),
            name: "someone".into(),
            mail: None,
            password_hash: None,
            state: AccountState::Active,
            timezone: "UTC".into(),
            langcode: "en".into(),
            created_at: 0,
            changed_at: 0,
            access_at: 0,
            login_at: 0,
            roles: Vec::new(),
        };
        CachedSession {
            session: Arc::new(CurrentSession {
                id_hash: String::new(),
                csrf_seed: String::new(),
                created_at: 0,
                expires_at: i64::MAX,
                dialect: None,
                account,
            }),
            last_seen_at: 0,
        }
    }

    fn trusted(capacity: usize) -> SessionCache {
        let cache = SessionCache::new(capacity);
        cache.trust();
        cache
    }

    #[test]
    fn keeps_nothing_until_trusted_and_nothing_after_distrust() {
        let cache = SessionCache::new(10);
        let key = session_key("a");
        cache.insert(cache.generation(), key, entry(1));
        assert!(cache.get(&key).is_none());
        cache.trust();
        cache.insert(cache.generation(), key, entry(1));
        assert!(cache.get(&key).is_some());
        cache.distrust();
        assert!(cache.get(&key).is_none());
        cache.insert(cache.generation(), key, entry(1));
        cache.trust();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn a_read_that_overlapped_a_forget_is_not_kept() {
        let cache = trusted(10);
        let seen = cache.generation();
        cache.forget_accounts(&[7]);
        cache.insert(seen, session_key("a"), entry(1));
        assert!(cache.get(&session_key("a")).is_none());
        let seen = cache.generation();
        cache.insert(seen, session_key("a"), entry(1));
        assert!(cache.get(&session_key("a")).is_some());
    }

    #[test]
    fn forgetting_an_account_forgets_all_its_sessions_and_only_those() {
        let cache = trusted(10);
        for (id, account) in [("a", 1), ("b", 1), ("c", 2)] {
            cache.insert(cache.generation(), session_key(id), entry(account));
        }
        cache.forget_accounts(&[1]);
        assert!(cache.get(&session_key("a")).is_none());
        assert!(cache.get(&session_key("b")).is_none());
        assert!(cache.get(&session_key("c")).is_some());
        cache.forget_session(&session_key("c"));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn stays_within_its_capacity() {
        let cache = trusted(3);
        for n in 0..10 {
            cache.insert(cache.generation(), session_key(&n.to_string()), entry(n));
        }
        assert_eq!(cache.len(), 3);
        let state = cache.read();
        let indexed: usize = state.by_account.values().map(Vec::len).sum();
        assert_eq!(indexed, 3, "the account index follows evictions");
    }

    #[test]
    fn a_capacity_of_zero_keeps_nothing() {
        let cache = trusted(0);
        cache.insert(cache.generation(), session_key("a"), entry(1));
        assert!(cache.get(&session_key("a")).is_none());
    }
}
