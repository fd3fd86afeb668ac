//! Passkeys (WebAuthn): the relying party the browser binds each passkey to.

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasskeyConfig {
    /// The relying party id passkeys are registered for: a host name, `public_url`'s host or
    /// a parent domain of it. Empty: `public_url`'s host.
    pub rp_id: String,
}

/// The host of a URL such as `https://login.example.com:8443/base`, lowercased.
pub fn url_host(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether `host` is an IP address, which cannot be a relying party id.
fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok()
}

impl PasskeyConfig {
    /// The relying party id in force, or `None` when passkeys cannot work: `public_url`'s
    /// host is an IP address and no `rp_id` is set.
    pub fn rp_id(&self, public_url: &str) -> Option<String> {
        if !self.rp_id.is_empty() {
            return Some(self.rp_id.to_ascii_lowercase());
        }
        url_host(public_url).filter(|host| !is_ip(host))
    }

    pub(super) fn validate(&self, public_url: &str) -> Result<(), Invalid> {
        if self.rp_id.is_empty() {
            return Ok(());
        }
        let rp_id = self.rp_id.to_ascii_lowercase();
        let host = url_host(public_url).unwrap_or_default();
        let matches = host == rp_id || host.ends_with(&format!(".{rp_id}"));
        if is_ip(&rp_id) || rp_id.contains(['/', ':']) || !matches {
            return Err(Invalid::new(
                "passkeys.rp_id",
                format!(
                    "passkeys.rp_id = {:?} must be a host name: the host of public_url \
                     ({host:?}) or a domain it is under, such as example.com for \
                     login.example.com",
                    self.rp_id
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_public_urls_host_unless_set() {
        let config = PasskeyConfig::default();
        assert_eq!(
            config.rp_id("https://Login.Example.com:8443/x").as_deref(),
            Some("login.example.com")
        );
        assert_eq!(config.rp_id("http://127.0.0.1:8080"), None);
        assert_eq!(config.rp_id("http://[::1]:8080"), None);
        let set = PasskeyConfig {
            rp_id: "example.com".into(),
        };
        assert!(set.validate("https://login.example.com").is_ok());
        assert!(set.validate("https://example.com").is_ok());
        assert!(set.validate("https://badexample.com").is_err());
        assert!(set.validate("http://127.0.0.1").is_err());
    }
}
