//! Django's CSRF tokens: a 32-character secret (the `csrftoken` cookie) and 64-character
//! masked tokens (`mask ‖ cipher`, a fresh mask each time) that unmask to the same secret, so
//! the token in a page never repeats (BREACH).

use subtle::ConstantTimeEq;

/// Django's alphabet, in the order its masking arithmetic uses.
const ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const SECRET_LENGTH: usize = 32;
pub const TOKEN_LENGTH: usize = 64;

/// Why a token (cookie or submitted) is not well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    Length,
    Characters,
}

fn index(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// `count` characters from the alphabet, uniformly (rejection sampling avoids modulo bias).
fn random_string(count: usize) -> String {
    let mut out = String::with_capacity(count);
    while out.len() < count {
        let mut bytes = [0u8; 64];
        rand::fill(&mut bytes);
        for b in bytes {
            // 248 = 4 × 62: bytes at or above it would favour the first characters.
            if b < 248 && out.len() < count {
                out.push(ALPHABET[usize::from(b) % 62] as char);
            }
        }
    }
    out
}

pub fn new_secret() -> String {
    random_string(SECRET_LENGTH)
}

/// A fresh masked token for `secret`, which must be well formed.
pub fn mask(secret: &str) -> String {
    let mask = random_string(SECRET_LENGTH);
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| {
            let (s, m) = (index(s).unwrap_or(0), index(m).unwrap_or(0));
            ALPHABET[(s + m) % 62] as char
        })
        .collect();
    format!("{mask}{cipher}")
}

/// The secret inside a well-formed 64-character token.
fn unmask(token: &str) -> String {
    let (mask, cipher) = token.as_bytes().split_at(SECRET_LENGTH);
    cipher
        .iter()
        .zip(mask)
        .map(|(&c, &m)| {
            let (c, m) = (index(c).unwrap_or(0), index(m).unwrap_or(0));
            ALPHABET[(c + 62 - m) % 62] as char
        })
        .collect()
}

/// Django's format check: 32 or 64 characters, all from the alphabet.
pub fn check_format(token: &str) -> Result<(), Malformed> {
    if token.len() != SECRET_LENGTH && token.len() != TOKEN_LENGTH {
        return Err(Malformed::Length);
    }
    if !token.bytes().all(|c| index(c).is_some()) {
        return Err(Malformed::Characters);
    }
    Ok(())
}

/// The secret a well-formed token or cookie stands for: raw if 32 characters, else unmasked.
pub fn secret_of(token: &str) -> String {
    if token.len() == TOKEN_LENGTH {
        unmask(token)
    } else {
        token.to_string()
    }
}

/// Whether a well-formed submitted token carries `secret`, compared in constant time.
pub fn matches(submitted: &str, secret: &str) -> bool {
    bool::from(secret_of(submitted).as_bytes().ct_eq(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tokens_unmask_to_their_secret_and_differ_each_time() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let (a, b) = (mask(&secret), mask(&secret));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(check_format(&a).is_ok());
        assert!(matches(&a, &secret) && matches(&b, &secret) && matches(&secret, &secret));
        assert!(!matches(&mask(&new_secret()), &secret));
    }

    #[test]
    fn masking_follows_djangos_arithmetic() {
        // Django: _mask_cipher_secret("a"*32) with mask "b"*32 → "b"*32 + "b"*32, since
        // idx('a') = 0; and '9' + 'b' wraps to 'a'.
        let secret = "a".repeat(31) + "9";
        let token = "b".repeat(32) + &"b".repeat(31) + "a";
        assert_eq!(unmask(&token), secret);
    }

    #[test]
    fn malformed_tokens_are_told_apart() {
        assert_eq!(check_format("abc"), Err(Malformed::Length));
        assert_eq!(check_format(&"-".repeat(32)), Err(Malformed::Characters));
        assert_eq!(check_format(&"é".repeat(16)), Err(Malformed::Characters));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Tokens of the right lengths and alphabet, and arbitrary strings.
        fn token() -> impl Strategy<Value = String> {
            let alphabet: Vec<char> = ALPHABET.iter().map(|&c| c as char).collect();
            let shaped = prop::collection::vec(prop::sample::select(alphabet), 0..80)
                .prop_map(|chars| chars.into_iter().collect::<String>());
            prop_oneof![shaped, any::<String>()]
        }

        proptest! {
            #[test]
            fn checking_any_token_never_panics_and_only_32_or_64_characters_pass_the_format_check(
                submitted in token(),
                cookie in token(),
            ) {
                if check_format(&submitted).is_ok() {
                    prop_assert!(submitted.len() == 32 || submitted.len() == 64);
                    let _ = matches(&submitted, &secret_of(&cookie));
                }
            }

            #[test]
            fn a_masked_token_always_matches_its_secret(_round in 0..4u8) {
                let secret = new_secret();
                prop_assert!(matches(&mask(&secret), &secret));
            }
        }
    }
}
