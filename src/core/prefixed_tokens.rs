//! Bearer secrets with a fixed prefix (`latch_app_…`, `latch_pat_…`): 256 random bits in
//! base64url, recognisable to secret scanners by the prefix, stored only as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Characters of base64url that 256 bits take.
const RANDOM_CHARS: usize = 43;
/// Characters after the prefix kept in the clear to tell tokens apart.
const HINT_CHARS: usize = 4;

/// A new token with this prefix.
pub fn mint(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The token's prefix and first characters, to show where the token is not.
pub fn hint(token: &str, prefix: &str) -> String {
    token.chars().take(prefix.len() + HINT_CHARS).collect()
}

/// Whether `token` has the shape of a token minted with `prefix`: anything else is not looked
/// up at all.
pub fn well_formed(token: &str, prefix: &str) -> bool {
    token.len() == prefix.len() + RANDOM_CHARS
        && token.starts_with(prefix)
        && token[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A random public identifier (128 bits, hex) for a row its owner refers to.
pub fn public_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "latch_app_";

    #[test]
    fn only_prefixed_tokens_of_the_right_length_are_well_formed() {
        let good = format!("{PREFIX}{}", "a".repeat(43));
        assert!(well_formed(&good, PREFIX));
        assert!(well_formed(&mint(PREFIX), PREFIX));
        assert!(!well_formed(&good[1..], PREFIX));
        assert!(!well_formed(&format!("{good}a"), PREFIX));
        assert!(!well_formed(
            &format!("{PREFIX}{}!", "a".repeat(42)),
            PREFIX
        ));
        assert!(!well_formed(
            &format!("other_app_{}", "a".repeat(43)),
            PREFIX
        ));
        assert!(!well_formed(&mint("latch_pat_"), PREFIX));
    }

    #[test]
    fn the_stored_hash_does_not_reveal_the_token() {
        let token = mint(PREFIX);
        assert_ne!(hash(&token), token);
        assert!(!hash(&token).contains(PREFIX));
        assert_eq!(hint(&token, PREFIX).len(), PREFIX.len() + 4);
    }

    #[test]
    fn public_ids_are_128_bit_hex_and_unique() {
        let (a, b) = (public_id(), public_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
