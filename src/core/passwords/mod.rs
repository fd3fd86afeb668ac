//! Password hashing and verification: Argon2id at the configured cost, computed on blocking
//! threads with bounded concurrency so a burst of logins cannot stall other requests, and a
//! bounded queue so it cannot pile up memory or latency either. Hashes imported from Drupal
//! and Django verify too, and are upgraded at the next login.

mod imported;
mod legacy;
mod memory;
mod policy;
#[cfg(test)]
mod properties;
mod threads;

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::PasswordConfig;
use crate::core::accounts::Violation;
pub use policy::{Holder, PasswordPolicy, check_bounds};
use threads::HashThreads;

/// Longer passwords are refused before any hashing (Drupal's `PASSWORD_MAX_LENGTH`), so a
/// megabyte "password" cannot buy a megabyte of hashing work.
pub const MAX_PASSWORD_BYTES: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("too many password hashes are running or waiting")]
    Busy,
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `needs_rehash` says the stored hash is weaker than the policy.
    Match {
        needs_rehash: bool,
    },
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    /// Hashes running or waiting for a permit; when none is left, work is refused at once.
    admission: Arc<Semaphore>,
    policy: PasswordPolicy,
    threads: HashThreads,
}

impl Passwords {
    pub fn new(config: &PasswordConfig) -> Result<Self, PasswordError> {
        let params = Params::new(
            config.argon2_memory_kib,
            config.argon2_iterations,
            config.argon2_parallelism,
            None,
        )
        .map_err(|e| PasswordError::Params(e.to_string()))?;
        let threads = HashThreads::start(config.max_concurrent_hashes, &params);
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent_hashes)),
            admission: Arc::new(Semaphore::new(
                config.max_concurrent_hashes + config.max_queued_hashes,
            )),
            policy: PasswordPolicy::new(config),
            threads,
        })
    }

    /// The format and cost of a stored hash, and whether it meets the current policy.
    pub fn describe(&self, stored: Option<&str>) -> (String, bool) {
        match stored.filter(|s| !s.is_empty()) {
            None => ("no password".into(), true),
            Some(stored) => (legacy::describe(stored), !is_weaker(stored, &self.params)),
        }
    }

    /// Every rule that keeps `password` from becoming the new password of `holder`.
    pub fn check_new(&self, password: &SecretString, holder: Holder<'_>) -> Vec<Violation> {
        self.policy.check(password, holder)
    }

    /// Hashes a new password with the current policy.
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let password = password.clone();
        let params = self.params.clone();
        self.blocking(move || hash_with(&params, password.expose_secret().as_bytes()))
            .await
    }

    /// Checks `password` against `stored`. Without a hash that can be checked (none, an
    /// unusable `!` hash, a malformed one, one past a work cap) it hashes the password at the
    /// current cost instead and reports a mismatch, so such an account costs what an unknown
    /// name does and timing does not tell them apart. Hashing rather than checking against a
    /// dummy hash made at start-up keeps Argon2's memory block out of an idle server.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<Verification, PasswordError> {
        let password = password.clone();
        let stored: Option<Arc<str>> = stored.filter(|s| !s.is_empty()).map(Into::into);
        let policy = self.params.clone();
        self.blocking(move || {
            let password = password.expose_secret().as_bytes();
            let checked = stored
                .as_deref()
                .and_then(|hash| check_with(password, hash));
            Ok(match checked {
                Some(true) => Verification::Match {
                    needs_rehash: stored.as_deref().is_none_or(|h| is_weaker(h, &policy)),
                },
                Some(false) => Verification::Mismatch,
                None => {
                    memory::spend(&policy, password);
                    Verification::Mismatch
                }
            })
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        // Refusing beyond the queue keeps a flood from holding memory and connections while
        // real users' logins wait behind it.
        let Ok(_admitted) = self.admission.try_acquire() else {
            return Err(PasswordError::Busy);
        };
        let waiting = crate::core::meters::HashWaiting::start();
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("hash semaphore is never closed");
        drop(waiting);
        let started = std::time::Instant::now();
        let result = self.threads.run(work).await;
        crate::core::meters::hash_time(started.elapsed());
        result
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &[u8]) -> Result<String, PasswordError> {
    argon2(params)
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Largest Argon2 memory cost an imported hash may ask for (1 GiB), so one row cannot
/// exhaust the server's memory.
const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;
/// Largest Argon2 time cost and lanes an imported hash may ask for (PHP and Django write 2–4
/// and 1–4), so one row cannot ask for hours of hashing.
const MAX_ARGON2_ITERATIONS: u32 = 64;
const MAX_ARGON2_LANES: u32 = 16;

/// Whether `password` matches `stored`; a malformed or unsupported hash never matches.
#[cfg(test)]
fn verify_with(password: &[u8], stored: &str) -> bool {
    check_with(password, stored) == Some(true)
}

/// Whether `password` matches `stored`; `None` when the hash cannot be checked at all.
pub(super) fn check_with(password: &[u8], stored: &str) -> Option<bool> {
    // Django writes PHC Argon2 strings behind an `argon2` prefix.
    let phc = stored
        .strip_prefix("argon2")
        .filter(|rest| rest.starts_with("$argon2"))
        .unwrap_or(stored);
    if !phc.starts_with("$argon2") {
        return legacy::check(password, stored);
    }
    let parsed = PasswordHash::new(phc).ok()?;
    let too_costly = |p: Params| {
        p.m_cost() > MAX_ARGON2_MEMORY_KIB
            || p.t_cost() > MAX_ARGON2_ITERATIONS
            || p.p_cost() > MAX_ARGON2_LANES
    };
    if Params::try_from(&parsed).map_or(true, too_costly) {
        return None;
    }
    // The hash's own parameters drive verification; the policy only decides rehashing.
    memory::verify(password, &parsed)
}

/// Whether a stored hash is in a format latch can verify (Argon2, bcrypt, phpass, Django's).
pub fn is_recognised(stored: &str) -> bool {
    stored.starts_with('!') || legacy::describe(stored) != "unknown"
}

fn is_weaker(stored: &str, policy: &Params) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => {
            p.m_cost() < policy.m_cost()
                || p.t_cost() < policy.t_cost()
                || p.p_cost() < policy.p_cost()
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(memory: u32) -> PasswordConfig {
        PasswordConfig {
            argon2_memory_kib: memory,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 2,
            max_queued_hashes: 1,
            ..PasswordConfig::default()
        }
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let passwords = Passwords::new(&config(1024)).unwrap();
        let hash = passwords.hash(&secret("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert_eq!(
            passwords
                .verify(&secret("correct horse"), Some(&hash))
                .await
                .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            passwords
                .verify(&secret("correct horsE"), Some(&hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn no_stored_hash_never_matches() {
        let passwords = Passwords::new(&config(1024)).unwrap();
        for stored in [None, Some("")] {
            assert_eq!(
                passwords.verify(&secret(""), stored).await.unwrap(),
                Verification::Mismatch
            );
        }
    }

    #[tokio::test]
    async fn malformed_hashes_fail_safely() {
        let passwords = Passwords::new(&config(1024)).unwrap();
        for stored in [
            "$argon2id$",
            "garbage",
            "$argon2id$v=19$m=1024,t=1,p=1$AAAA$",
            "$$$$",
        ] {
            assert_eq!(
                passwords.verify(&secret("x"), Some(stored)).await.unwrap(),
                Verification::Mismatch
            );
        }
    }

    #[tokio::test]
    async fn a_cheaper_hash_than_the_policy_asks_for_a_rehash() {
        let cheap = Passwords::new(&config(1024)).unwrap();
        let hash = cheap.hash(&secret("pw")).await.unwrap();
        let stronger = Passwords::new(&config(2048)).unwrap();
        assert_eq!(
            stronger.verify(&secret("pw"), Some(&hash)).await.unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    #[tokio::test]
    async fn work_beyond_the_running_and_queued_limits_is_refused_at_once() {
        let passwords = Passwords::new(&PasswordConfig {
            argon2_memory_kib: 8192,
            argon2_iterations: 4,
            argon2_parallelism: 1,
            max_concurrent_hashes: 1,
            max_queued_hashes: 1,
            ..PasswordConfig::default()
        })
        .unwrap();
        let hashes: Vec<_> = (0..6)
            .map(|_| {
                let passwords = passwords.clone();
                tokio::spawn(async move { passwords.hash(&secret("pw")).await })
            })
            .collect();
        let mut busy = 0;
        for hash in hashes {
            if let Err(PasswordError::Busy) = hash.await.unwrap() {
                busy += 1;
            }
        }
        assert!(busy >= 1, "no hash was refused");
        assert!(
            passwords.hash(&secret("pw")).await.is_ok(),
            "slots were not freed"
        );
    }

    #[tokio::test]
    async fn a_hash_that_cannot_match_costs_what_an_unknown_account_does() {
        let passwords = Passwords::new(&PasswordConfig {
            argon2_memory_kib: 8192,
            argon2_iterations: 3,
            ..config(8192)
        })
        .unwrap();
        let time = |stored: Option<&'static str>| {
            let passwords = passwords.clone();
            async move {
                let started = std::time::Instant::now();
                for _ in 0..3 {
                    let found = passwords.verify(&secret("pw"), stored).await.unwrap();
                    assert_eq!(found, Verification::Mismatch);
                }
                started.elapsed()
            }
        };
        for stored in [
            "!Xq3pVn8sL2mK9rT4wY7zB1cD6fG0hJ5kA2eR8uI",
            "garbage",
            "$S$C3378",
        ] {
            // The quickest of rounds that alternate the two: other tests share the machine's
            // cores, and a round they slowed down says nothing of the work itself.
            let (mut unknown, mut took) = (std::time::Duration::MAX, std::time::Duration::MAX);
            for _ in 0..5 {
                unknown = unknown.min(time(None).await);
                took = took.min(time(Some(stored)).await);
            }
            assert!(took * 2 > unknown, "{stored}: {took:?} against {unknown:?}");
        }
    }

    #[test]
    fn argon2_hashes_asking_for_excessive_work_never_match() {
        let started = std::time::Instant::now();
        let tail = "c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for params in [
            "m=1024,t=100000,p=1",
            "m=1024,t=1,p=255",
            "m=4194304,t=1,p=1",
        ] {
            let stored = format!("$argon2id$v=19${params}${tail}");
            assert!(!verify_with(b"pw", &stored), "{stored}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
