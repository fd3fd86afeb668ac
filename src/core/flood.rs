//! Flood control: failed logins counted in the database per client IP and per account, as
//! Drupal's flood service does, so every node of a cluster sees the same counts.
//!
//! Blocking is per source by default: an account's failures are counted per client IP
//! (`"<uid>-<ip>"`), so guessing from one address never locks the holder out from another.
//! `uid_only` counts an account's failures from every address together, which stops a
//! distributed guesser sooner but lets anyone lock an account for the window.
//!
//! A name that has no account is counted the same way under a key derived from the name, so
//! it locks exactly as an account would and a lock-out does not tell which names exist.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::accounts::{Account, name_fold, unique_key};
use super::passwords::{MAX_PASSWORD_BYTES, Verification};
use super::{Core, Error, later, now, whole_seconds};
use crate::config::FloodConfig;

/// Drupal's event names.
pub(super) const IP_EVENT: &str = "user.failed_login_ip";
const USER_EVENT: &str = "user.failed_login_user";

/// What a refused request was counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodScope {
    /// Too many failures from the client's IP address, whatever the account.
    Ip,
    /// Too many failures for the account: from this IP, or with `uid_only` from anywhere.
    Account { uid_only: bool, limit: u32 },
    /// Too many password-reset requests from the client's IP address.
    PasswordRequestIp,
}

/// Whom a login or a reset request names: an account, or a name or address with none.
#[derive(Debug, Clone, Copy)]
pub(super) enum Claimant<'a> {
    Account(&'a Account),
    Name(&'a str),
    Mail(&'a str),
}

impl Claimant<'_> {
    /// The flood key of the claimant itself; names and addresses are normalised as account
    /// lookups normalise them and hashed, so no guessed text is stored.
    pub(super) fn key(&self) -> String {
        // Folded as account lookups fold them, so every spelling that would find one account
        // shares one count.
        let hashed = |kind: &str, key: String| {
            let digest = Sha256::digest(key.as_bytes());
            format!("{kind}:{}", URL_SAFE_NO_PAD.encode(&digest[..16]))
        };
        match self {
            Claimant::Account(account) => account.id.to_string(),
            Claimant::Name(name) => hashed("name", name_fold(name)),
            Claimant::Mail(mail) => hashed("mail", unique_key(mail)),
        }
    }
}

/// The key a client address is counted under: an IPv4 address whole, an IPv6 address by its
/// first `ipv6_prefix` bits, since one site commonly holds a whole /64 and could otherwise
/// pick a fresh address, and a fresh budget, for every request.
pub fn client_key(client_ip: Option<IpAddr>, ipv6_prefix: u8) -> String {
    let Some(ip) = client_ip else {
        return "unknown".into();
    };
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u32::from(ipv6_prefix.min(128));
                if prefix >= 128 {
                    return v6.to_string();
                }
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - prefix)
                };
                format!("{}/{prefix}", Ipv6Addr::from_bits(v6.to_bits() & mask))
            }
        },
    }
}

pub struct Flood {
    config: FloodConfig,
}

impl Flood {
    pub fn new(config: &FloodConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }

    pub(super) fn config(&self) -> &FloodConfig {
        &self.config
    }

    pub(super) fn ip_identifier(&self, client_ip: Option<IpAddr>) -> String {
        client_key(client_ip, self.config.ipv6_prefix)
    }

    fn user_identifier(&self, claimant: Claimant<'_>, client_ip: Option<IpAddr>) -> String {
        if self.config.uid_only {
            claimant.key()
        } else {
            format!("{}-{}", claimant.key(), self.ip_identifier(client_ip))
        }
    }
}

impl Core {
    /// Refuses a login from an IP address that has failed too often, before any account is
    /// looked up.
    pub(super) async fn check_ip_flood(&self, client_ip: Option<IpAddr>) -> Result<(), Error> {
        let config = &self.flood.config;
        if !config.enabled {
            return Ok(());
        }
        let identifier = self.flood.ip_identifier(client_ip);
        match self
            .blocked_for(IP_EVENT, &identifier, config.ip_limit, config.ip_window)
            .await?
        {
            Some(retry_after) => Err(Error::Flooded {
                scope: FloodScope::Ip,
                retry_after,
            }),
            None => Ok(()),
        }
    }

    /// Refuses a login for a claimant that has failed too often (from this IP, unless
    /// `uid_only`), whether or not an account has the name, and whatever its state.
    pub(super) async fn check_account_flood(
        &self,
        claimant: Claimant<'_>,
        client_ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        let config = &self.flood.config;
        if !config.enabled {
            return Ok(());
        }
        let identifier = self.flood.user_identifier(claimant, client_ip);
        match self
            .blocked_for(
                USER_EVENT,
                &identifier,
                config.user_limit,
                config.user_window,
            )
            .await?
        {
            Some(retry_after) => Err(Error::Flooded {
                scope: FloodScope::Account {
                    uid_only: config.uid_only,
                    limit: config.user_limit,
                },
                retry_after,
            }),
            None => Ok(()),
        }
    }

    /// Seconds until a retry may succeed, when `identifier` has reached `limit`.
    pub(super) async fn blocked_for(
        &self,
        event: &str,
        identifier: &str,
        limit: u32,
        window: Duration,
    ) -> Result<Option<u64>, Error> {
        let now = now();
        let window = whole_seconds(window);
        // Drupal counts events newer than now - window.
        let count = self
            .store
            .flood_count(event, identifier, now - window + 1)
            .await?;
        if count.count < i64::from(limit) {
            return Ok(None);
        }
        // The oldest counted failure leaving the window frees a slot.
        let oldest = count.oldest.unwrap_or(now);
        Ok(Some(
            oldest.saturating_add(window).saturating_sub(now).max(1) as u64,
        ))
    }

    /// Counts a failed login against the client's IP and against the claimant.
    pub(super) async fn register_failed_login(
        &self,
        claimant: Claimant<'_>,
        client_ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        let config = &self.flood.config;
        if !config.enabled {
            return Ok(());
        }
        let now = now();
        let ip = self.flood.ip_identifier(client_ip);
        self.store
            .register_flood(IP_EVENT, &ip, now, later(now, config.ip_window))
            .await?;
        let identifier = self.flood.user_identifier(claimant, client_ip);
        self.store
            .register_flood(USER_EVENT, &identifier, now, later(now, config.user_window))
            .await?;
        Ok(())
    }

    /// A successful login forgets the account's failures (from this IP, unless `uid_only`).
    pub(super) async fn clear_account_flood(
        &self,
        account: &Account,
        client_ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        if !self.flood.config.enabled {
            return Ok(());
        }
        let identifier = self
            .flood
            .user_identifier(Claimant::Account(account), client_ip);
        self.store.clear_flood(USER_EVENT, &identifier).await?;
        Ok(())
    }

    /// Whether `candidate` is the account's present password, asked before a change of mail
    /// or password. A wrong one counts as a failed login, and a client or account over the
    /// login limits is refused before any check, so the form cannot serve to guess passwords.
    pub(super) async fn prove_password(
        &self,
        account: &Account,
        candidate: Option<&SecretString>,
        client_ip: Option<IpAddr>,
    ) -> Result<bool, Error> {
        let Some(candidate) = candidate else {
            return Ok(false);
        };
        self.check_ip_flood(client_ip).await?;
        let claimant = Claimant::Account(account);
        self.check_account_flood(claimant, client_ip).await?;
        let proven = candidate.expose_secret().len() <= MAX_PASSWORD_BYTES
            && matches!(
                self.passwords
                    .verify(candidate, account.password_hash.as_deref())
                    .await?,
                Verification::Match { .. }
            );
        if proven {
            self.clear_account_flood(account, client_ip).await?;
        } else {
            self.register_failed_login(claimant, client_ip).await?;
        }
        Ok(proven)
    }

    /// Deletes failures that no window counts any more; returns how many.
    pub async fn purge_expired_flood_events(&self) -> Result<u64, Error> {
        Ok(self.store.delete_expired_flood(now()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str, prefix: u8) -> String {
        client_key(Some(ip.parse().unwrap()), prefix)
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        assert_eq!(key("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64),
            key("2001:db8:1:2::", 64)
        );
        assert_ne!(key("2001:db8:1:2::1", 64), key("2001:db8:1:3::1", 64));
    }

    #[test]
    fn the_ipv6_prefix_length_is_configurable() {
        assert_eq!(key("2001:db8:1:2:3::1", 48), "2001:db8:1::/48");
        assert_eq!(key("2001:db8:1:200::1", 56), key("2001:db8:1:2ff::1", 56));
        assert_eq!(key("2001:db8::1", 128), "2001:db8::1");
        assert_ne!(key("2001:db8::1", 128), key("2001:db8::2", 128));
    }

    #[test]
    fn ipv4_clients_are_counted_by_their_whole_address() {
        assert_eq!(key("192.0.2.7", 64), "192.0.2.7");
        assert_ne!(key("192.0.2.7", 64), key("192.0.2.8", 64));
        // A dual-stack socket's mapped form is the same client.
        assert_eq!(key("::ffff:192.0.2.7", 64), "192.0.2.7");
        assert_eq!(client_key(None, 64), "unknown");
    }

    #[test]
    fn names_are_keyed_without_letter_case_and_without_storing_them() {
        let bob = Claimant::Name("Bob").key();
        assert_eq!(bob, Claimant::Name("bob").key());
        assert!(!bob.contains("bob") && bob.starts_with("name:"), "{bob}");
        assert_ne!(bob, Claimant::Mail("bob").key());
        assert_ne!(bob, Claimant::Name("bobby").key());
        assert_eq!(
            Claimant::Name("jos\u{e9}").key(),
            Claimant::Name("jose\u{301}").key()
        );
    }
}
