//! Messages to account holders and administrators, composed from their templates and
//! written to the outbox; and the signed one-time login links they carry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::accounts::Account;
use super::secret::ServerSecret;
use super::templates::{Templates, Values};
pub use crate::domain::mail::{MailKind, OutgoingMail};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Builds the path of a one-time link from the account id, timestamp and signature, for a
/// dialect whose clients expect their own link shape.
pub type LinkPath<'a> = &'a (dyn Fn(i64, i64, &str) -> String + Sync);

/// How long a one-time login link works (Drupal's `password_reset_timeout`).
pub const ONE_TIME_LINK_LIFETIME: i64 = 86_400;

/// Composes messages with the site's name and links.
#[derive(Clone)]
pub struct Letters {
    site_name: String,
    public_url: String,
    links: OneTimeLinks,
    templates: Templates,
}

impl Letters {
    pub fn new(
        site_name: &str,
        public_url: &str,
        secret: &ServerSecret,
        templates: Templates,
    ) -> Self {
        Self {
            site_name: site_name.to_string(),
            public_url: public_url.trim_end_matches('/').to_string(),
            links: OneTimeLinks::new(secret),
            templates,
        }
    }

    pub fn links(&self) -> &OneTimeLinks {
        &self.links
    }

    /// The message of `kind` about `account`, sent to `recipient`.
    pub fn compose(
        &self,
        kind: MailKind,
        account: &Account,
        recipient: &str,
        now: i64,
    ) -> OutgoingMail {
        self.compose_with(kind, account, recipient, now, None)
    }

    /// [`Self::compose`] with the link shaped by `path` instead of Drupal's
    /// `/user/reset/{uid}/{timestamp}/{hash}`.
    pub fn compose_with(
        &self,
        kind: MailKind,
        account: &Account,
        recipient: &str,
        now: i64,
        path: Option<LinkPath<'_>>,
    ) -> OutgoingMail {
        let link = match path {
            Some(path) => format!(
                "{}{}",
                self.public_url,
                path(account.id, now, &self.links.sign(account, now))
            ),
            None => self.login_link(account, now),
        };
        let rendered = self.templates.render(
            kind,
            &Values {
                site_name: &self.site_name,
                site_url: &self.public_url,
                name: &account.name,
                mail: account.mail.as_deref().unwrap_or_default(),
                link: &link,
            },
        );
        OutgoingMail {
            kind,
            recipient: recipient.to_string(),
            subject: rendered.subject,
            body: rendered.text,
            html: rendered.html,
            account_id: Some(account.id),
        }
    }

    fn login_link(&self, account: &Account, now: i64) -> String {
        format!(
            "{}/user/reset/{}/{}/{}",
            self.public_url,
            account.id,
            now,
            self.links.sign(account, now)
        )
    }
}

/// What a one-time login link is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Valid,
    /// Genuine and unused, but older than [`ONE_TIME_LINK_LIFETIME`].
    Expired,
    /// Forged, used already, or made void by a new password, mail or login.
    Invalid,
}

/// One-time login links in Drupal's shape, `/user/reset/{uid}/{timestamp}/{hash}`. The hash
/// covers the account's last login, password hash and mail, so a link stops working once it
/// has been used to log in, or the password or mail has changed.
#[derive(Clone)]
pub struct OneTimeLinks {
    key: [u8; 32],
}

impl OneTimeLinks {
    pub fn new(secret: &ServerSecret) -> Self {
        Self {
            key: secret.derive_key("latch one-time login link v1"),
        }
    }

    pub fn sign(&self, account: &Account, timestamp: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(account, timestamp))
    }

    pub fn verify(&self, account: &Account, timestamp: i64, hash: &str, now: i64) -> bool {
        self.check(account, timestamp, hash, now) == LinkStatus::Valid
    }

    /// Whether the link is valid, expired (told apart so the holder knows to ask for a new
    /// one) or invalid.
    pub fn check(&self, account: &Account, timestamp: i64, hash: &str, now: i64) -> LinkStatus {
        let Ok(decoded) = URL_SAFE_NO_PAD.decode(hash) else {
            return LinkStatus::Invalid;
        };
        let matches: bool = self
            .mac(account, timestamp)
            .as_slice()
            .ct_eq(&decoded)
            .into();
        if !matches || timestamp > now || timestamp < account.login_at {
            LinkStatus::Invalid
        } else if now - timestamp > ONE_TIME_LINK_LIFETIME {
            LinkStatus::Expired
        } else {
            LinkStatus::Valid
        }
    }

    fn mac(&self, account: &Account, timestamp: i64) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        let material = format!(
            "{timestamp}\0{}\0{}\0{}\0{}",
            account.login_at,
            account.id,
            account.mail.as_deref().unwrap_or_default(),
            account.password_hash.as_deref().unwrap_or_default()
        );
        mac.update(material.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::accounts::AccountState;

    fn account() -> Account {
        Account {
            id: 7,
            uuid: "u".into(),
            name: "bob".into(),
            mail: Some("bob@example.com".into()),
            password_hash: Some("$argon2id$x".into()),
            state: AccountState::Active,
            timezone: "UTC".into(),
            langcode: "en".into(),
            created_at: 0,
            changed_at: 0,
            access_at: 0,
            login_at: 100,
            roles: vec![],
        }
    }

    fn links() -> OneTimeLinks {
        OneTimeLinks::new(&ServerSecret::from_text(&"s".repeat(32)).unwrap())
    }

    #[test]
    fn a_link_works_until_it_expires() {
        let links = links();
        let hash = links.sign(&account(), 1_000);
        assert!(links.verify(&account(), 1_000, &hash, 1_000 + ONE_TIME_LINK_LIFETIME));
        assert_eq!(
            links.check(&account(), 1_000, &hash, 1_001 + ONE_TIME_LINK_LIFETIME),
            LinkStatus::Expired
        );
        assert!(!links.verify(&account(), 1_001, &hash, 2_000));
    }

    #[test]
    fn a_link_dies_with_a_login_or_a_new_password() {
        let links = links();
        let hash = links.sign(&account(), 1_000);
        let mut logged_in = account();
        logged_in.login_at = 1_500;
        assert!(!links.verify(&logged_in, 1_000, &hash, 2_000));
        let mut new_password = account();
        new_password.password_hash = Some("$argon2id$y".into());
        assert!(!links.verify(&new_password, 1_000, &hash, 2_000));
    }

    #[test]
    fn reset_mail_carries_a_verifiable_link() {
        let secret = ServerSecret::from_text(&"s".repeat(32)).unwrap();
        let templates = Templates::new(&Default::default()).unwrap();
        let letters = Letters::new("Example", "https://login.example.com/", &secret, templates);
        let mail = letters.compose(
            MailKind::PasswordReset,
            &account(),
            "bob@example.com",
            5_000,
        );
        let prefix = "https://login.example.com/user/reset/7/5000/";
        let start = mail.body.find(prefix).expect("link in body") + prefix.len();
        let hash: String = mail.body[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        assert!(letters.links().verify(&account(), 5_000, &hash, 5_010));
    }
}
