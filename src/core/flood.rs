//! Flood control: failed logins counted in the database per client IP and per account, as
//! Drupal's flood service does, so every node of a cluster sees the same counts.
//!
//! Blocking is per source by default: an account's failures are counted per client IP
//! (`"<uid>-<ip>"`), so guessing from one address never locks the holder out from another.
//! `uid_only` counts an account's failures from every address together, which stops a
//! distributed guesser sooner but lets anyone lock an account for the window.

use std::net::IpAddr;

use super::accounts::Account;
use super::{Core, Error, now};
use crate::config::FloodConfig;

/// Drupal's event names.
const IP_EVENT: &str = "user.failed_login_ip";
const USER_EVENT: &str = "user.failed_login_user";

/// What a refused login was counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodScope {
    /// Too many failures from the client's IP address, whatever the account.
    Ip,
    /// Too many failures for the account: from this IP, or with `uid_only` from anywhere.
    Account { uid_only: bool, limit: u32 },
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

    fn ip_identifier(client_ip: Option<IpAddr>) -> String {
        client_ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }

    fn user_identifier(&self, account: &Account, client_ip: Option<IpAddr>) -> String {
        if self.config.uid_only {
            account.id.to_string()
        } else {
            format!("{}-{}", account.id, Self::ip_identifier(client_ip))
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
        let identifier = Flood::ip_identifier(client_ip);
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

    /// Refuses a login to an active account that has failed too often (from this IP, unless
    /// `uid_only`).
    pub(super) async fn check_account_flood(
        &self,
        account: &Account,
        client_ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        let config = &self.flood.config;
        if !config.enabled || !account.is_active() {
            return Ok(());
        }
        let identifier = self.flood.user_identifier(account, client_ip);
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
    async fn blocked_for(
        &self,
        event: &str,
        identifier: &str,
        limit: u32,
        window: u64,
    ) -> Result<Option<u64>, Error> {
        let now = now();
        let window = window as i64;
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
        Ok(Some((oldest + window - now).max(1) as u64))
    }

    /// Counts a failed login against the client's IP and, if it names an active account,
    /// against that account.
    pub(super) async fn register_failed_login(
        &self,
        account: Option<&Account>,
        client_ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        let config = &self.flood.config;
        if !config.enabled {
            return Ok(());
        }
        let now = now();
        let ip = Flood::ip_identifier(client_ip);
        self.store
            .register_flood(IP_EVENT, &ip, now, now + config.ip_window as i64)
            .await?;
        if let Some(account) = account.filter(|a| a.is_active()) {
            let identifier = self.flood.user_identifier(account, client_ip);
            self.store
                .register_flood(
                    USER_EVENT,
                    &identifier,
                    now,
                    now + config.user_window as i64,
                )
                .await?;
        }
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
        let identifier = self.flood.user_identifier(account, client_ip);
        self.store.clear_flood(USER_EVENT, &identifier).await?;
        Ok(())
    }

    /// Deletes failures that no window counts any more; returns how many.
    pub async fn purge_expired_flood_events(&self) -> Result<u64, Error> {
        Ok(self.store.delete_expired_flood(now()).await?)
    }
}
