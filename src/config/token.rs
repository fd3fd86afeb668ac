//! The short-lived JWTs of `POST /latch/token`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Invalid, duration};

/// The longest a token may be valid: a JWT cannot be revoked, so it must not outlive a logout
/// by long.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(900);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// How long a token is valid after it is issued, at most 15 minutes.
    #[serde(with = "duration::seconds")]
    pub lifetime: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(300),
        }
    }
}

impl TokenConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.lifetime.is_zero() || self.lifetime > MAX_TOKEN_LIFETIME {
            return Err(Invalid::new(
                "token.lifetime",
                "token.lifetime must be between 1 second and 15 minutes: a token cannot be \
                 revoked, so it must expire soon",
            ));
        }
        Ok(())
    }
}
