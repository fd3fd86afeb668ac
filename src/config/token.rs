//! The short-lived JWTs of `POST /latch/token`.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// The longest a token may be valid: a JWT cannot be revoked, so it must not outlive a logout
/// by long.
pub const MAX_TOKEN_LIFETIME: u64 = 900;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// Seconds a token is valid after it is issued, at most 900.
    pub lifetime: u64,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self { lifetime: 300 }
    }
}

impl TokenConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.lifetime == 0 || self.lifetime > MAX_TOKEN_LIFETIME {
            return Err(Invalid::new(
                "token.lifetime",
                format!(
                    "token.lifetime must be between 1 and {MAX_TOKEN_LIFETIME} seconds: a token \
                     cannot be revoked, so it must expire soon"
                ),
            ));
        }
        Ok(())
    }
}
