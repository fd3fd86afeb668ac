//! CSRF tokens. Tokens are derived, never stored: HMAC-SHA256 over a per-session seed and a
//! purpose, keyed by a key derived from the server secret. Any node holding the secret can
//! check a token another node issued.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::secret::ServerSecret;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The purpose of the token browser apps send in `X-CSRF-Token` (Drupal's `/session/token`),
/// shared by every dialect that reads that header so one token serves them all.
pub const HEADER_PURPOSE: &str = "X-CSRF-Token request header";
/// Purposes accepted in `X-CSRF-Token`: [`HEADER_PURPOSE`] and `rest`, which older Drupal
/// versions returned from login.
pub const HEADER_PURPOSES: &[&str] = &[HEADER_PURPOSE, "rest"];

#[derive(Clone)]
pub struct CsrfTokens {
    key: [u8; 32],
}

impl CsrfTokens {
    pub fn new(secret: &ServerSecret) -> Self {
        Self {
            key: secret.derive_key("latch csrf token v1"),
        }
    }

    /// The token for `purpose` in the session whose CSRF seed is `seed` (43 characters).
    pub fn token(&self, seed: &str, purpose: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(seed, purpose))
    }

    /// Whether `candidate` is the token of `seed` for one of `purposes`, compared in constant
    /// time.
    pub fn verify(&self, seed: &str, purposes: &[&str], candidate: &str) -> bool {
        let Ok(decoded) = URL_SAFE_NO_PAD.decode(candidate.trim()) else {
            return false;
        };
        purposes.iter().fold(false, |found, purpose| {
            let expected = self.mac(seed, purpose);
            found | bool::from(expected.as_slice().ct_eq(&decoded))
        })
    }

    /// A token bound to no session, for clients without one. Nothing is stored, so a flood of
    /// requests for such tokens costs no storage.
    pub fn unbound_token(&self, purpose: &str) -> String {
        self.token(&new_seed(), purpose)
    }

    fn mac(&self, seed: &str, purpose: &str) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(seed.as_bytes());
        // The separator keeps (seed, purpose) pairs from colliding when concatenated.
        mac.update(&[0]);
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// A fresh random CSRF seed: 32 bytes from the OS RNG, base64url.
pub fn new_seed() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> CsrfTokens {
        CsrfTokens::new(&ServerSecret::from_text(&"k".repeat(32)).unwrap())
    }

    #[test]
    fn a_token_verifies_for_its_seed_and_purpose_only() {
        let tokens = tokens();
        let seed = new_seed();
        let token = tokens.token(&seed, "rest");
        assert_eq!(token.len(), 43);
        assert!(tokens.verify(&seed, &["rest"], &token));
        assert!(tokens.verify(&seed, &["other", "rest"], &token));
        assert!(!tokens.verify(&seed, &["user/logout"], &token));
        assert!(!tokens.verify(&new_seed(), &["rest"], &token));
    }

    #[test]
    fn forged_and_malformed_tokens_are_refused() {
        let tokens = tokens();
        let seed = new_seed();
        let mut forged = tokens.token(&seed, "rest").into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        for candidate in [
            String::from_utf8(forged).unwrap(),
            String::new(),
            "!!!".into(),
            "a".repeat(500),
        ] {
            assert!(!tokens.verify(&seed, &["rest"], &candidate), "{candidate}");
        }
    }

    #[test]
    fn another_secret_gives_other_tokens() {
        let other = CsrfTokens::new(&ServerSecret::from_text(&"j".repeat(32)).unwrap());
        let seed = new_seed();
        assert!(!other.verify(&seed, &["rest"], &tokens().token(&seed, "rest")));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_arbitrary_string_verifies_for_a_fresh_seed_and_no_seed_makes_checking_panic(candidate in any::<String>(), seed in any::<String>()) {
                let tokens = tokens();
                prop_assert!(!tokens.verify(&new_seed(), &["rest"], &candidate));
                let _ = tokens.verify(&seed, &["rest", "services"], &candidate);
            }
        }
    }
}
