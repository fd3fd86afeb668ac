//! The Drupal 7 Services module's REST server dialect.

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesConfig {
    pub enabled: bool,
    /// The endpoint path the dialect is served under, without slashes at either end.
    pub endpoint: String,
    /// Accept `application/x-www-form-urlencoded` bodies (off in the Services module too).
    pub urlencoded: bool,
    /// `1.0` (login takes `username`/`password`) or `1.1` (`name`/`pass`); a client may ask
    /// for 1.1 with the `services_user_login_version` header.
    pub api_version: ServicesApiVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServicesApiVersion {
    #[serde(rename = "1.0")]
    V1_0,
    #[serde(rename = "1.1")]
    V1_1,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            endpoint: "rest".into(),
            urlencoded: false,
            api_version: ServicesApiVersion::V1_0,
        }
    }
}

impl ServicesConfig {
    /// The endpoint must be a plain path that cannot shadow the Drupal 8+ routes.
    pub(super) fn validate_endpoint(&self) -> Result<(), Invalid> {
        let invalid = |message: String| Err(Invalid::new("services.endpoint", message));
        let segments: Vec<&str> = self.endpoint.split('/').collect();
        let plain = segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if !plain {
            return invalid(format!(
                "services.endpoint = {:?} must be a path such as \"rest\" or \"api/v1\": \
                 letters, digits, - and _, segments separated by /, no leading or trailing /",
                self.endpoint
            ));
        }
        if matches!(segments[0], "user" | "session" | "services") {
            return invalid(format!(
                "services.endpoint = {:?} would overlap the /{}/… routes; choose another path",
                self.endpoint, segments[0]
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_endpoints_that_overlap_other_routes_are_refused() {
        for bad in ["", "/rest", "rest/", "user", "a b", "services/x"] {
            let config = ServicesConfig {
                endpoint: bad.into(),
                ..ServicesConfig::default()
            };
            assert!(config.validate_endpoint().is_err(), "{bad:?}");
        }
        for good in ["rest", "api/v1", "my-api_2"] {
            let config = ServicesConfig {
                endpoint: good.into(),
                ..ServicesConfig::default()
            };
            assert!(config.validate_endpoint().is_ok(), "{good:?}");
        }
    }
}
