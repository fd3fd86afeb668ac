//! Password hashes of WordPress 6.8 (`$wp$…`), Keycloak (`keycloak$…`), ASP.NET Identity
//! (`aspnet$…`) and Firebase (`firebase-scrypt$…`), in the forms the importers store them
//! (README, "Bringing your users along"). Like the other legacy formats they are verified in constant
//! time, never match when malformed or past a work cap, and are replaced at the next login.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use super::legacy::{MAX_PBKDF2_ITERATIONS, bcrypt_verify};

/// Firebase's scrypt: rounds are scrypt's block size r, mem_cost its log2 N (Firebase writes
/// 8 and 14); together no more than 1 GiB of memory.
const MAX_FIREBASE_ROUNDS: u32 = 32;
const MAX_FIREBASE_MEM_COST: u8 = 20;

/// `Some(result)` when `stored` is one of this module's formats (`result` as
/// [`super::legacy::check`] gives it), `None` when it is not.
pub fn check(password: &[u8], stored: &str) -> Option<Option<bool>> {
    if let Some(rest) = stored.strip_prefix("$wp$") {
        return Some(wordpress(password, rest));
    }
    let (kind, rest) = stored.split_once('$')?;
    match kind {
        "keycloak" => Some(keycloak(password, rest)),
        "aspnet" => Some(aspnet(password, rest)),
        "firebase-scrypt" => Some(firebase(password, rest)),
        _ => None,
    }
}

/// `Some(description)` for this module's formats.
pub fn describe(stored: &str) -> Option<String> {
    if let Some(rest) = stored.strip_prefix("$wp$") {
        return Some(match rest.get(0..1) {
            Some("2") => format!("WordPress bcrypt cost {}", rest.get(3..5).unwrap_or("?")),
            _ => "WordPress argon2".into(),
        });
    }
    let (kind, rest) = stored.split_once('$')?;
    match kind {
        "keycloak" => {
            let [algorithm, iterations, _, _] = rest.split('$').collect::<Vec<_>>()[..] else {
                return Some("unknown".into());
            };
            if digest_of(algorithm).is_none() {
                return Some("unknown".into());
            }
            Some(format!("Keycloak {algorithm}, {iterations} iterations"))
        }
        "aspnet" => Some(match AspNetHash::parse(rest) {
            Some(hash) if hash.v3 => format!(
                "ASP.NET Identity v3 PBKDF2-HMAC-{}, {} iterations",
                hash.digest.name(),
                hash.iterations
            ),
            Some(_) => "ASP.NET Identity v2 PBKDF2-HMAC-SHA1, 1000 iterations".into(),
            None => "unknown".into(),
        }),
        "firebase-scrypt" => Some(match rest.split('$').collect::<Vec<_>>()[..] {
            [rounds, mem_cost, _, _, _, _] => {
                format!("Firebase scrypt rounds={rounds} mem_cost={mem_cost}")
            }
            _ => "unknown".into(),
        }),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Digest {
    Sha1,
    Sha256,
    Sha512,
}

impl Digest {
    fn name(self) -> &'static str {
        match self {
            Digest::Sha1 => "SHA1",
            Digest::Sha256 => "SHA256",
            Digest::Sha512 => "SHA512",
        }
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
        match self {
            Digest::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, out),
            Digest::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out),
            Digest::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, out),
        }
    }
}

/// PBKDF2 of `password` compared with `expected` in constant time; `None` past the caps.
fn pbkdf2_matches(
    digest: Digest,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    expected: &[u8],
) -> Option<bool> {
    if iterations == 0
        || iterations > MAX_PBKDF2_ITERATIONS
        || expected.len() < 16
        || expected.len() > 128
        || salt.len() > 1024
    {
        return None;
    }
    let mut computed = vec![0u8; expected.len()];
    digest.pbkdf2(password, salt, iterations, &mut computed);
    Some(computed.ct_eq(expected).into())
}

/// WordPress 6.8: bcrypt (or, where a site chose it, Argon2) over the base64 of
/// HMAC-SHA384(password) keyed `wp-sha384`; `rest` is the PHP hash after `$wp`.
fn wordpress(password: &[u8], rest: &str) -> Option<bool> {
    let mut mac = hmac::Hmac::<Sha384>::new_from_slice(b"wp-sha384").ok()?;
    mac.update(password);
    let prehashed = STANDARD.encode(mac.finalize().into_bytes());
    let php = format!("${rest}");
    if php.starts_with("$2") {
        bcrypt_verify(prehashed.as_bytes(), &php)
    } else if php.starts_with("$argon2") {
        super::check_with(prehashed.as_bytes(), &php)
    } else {
        None
    }
}

fn digest_of(keycloak_algorithm: &str) -> Option<Digest> {
    match keycloak_algorithm {
        "pbkdf2" => Some(Digest::Sha1),
        "pbkdf2-sha256" => Some(Digest::Sha256),
        "pbkdf2-sha512" => Some(Digest::Sha512),
        _ => None,
    }
}

/// `<algorithm>$<iterations>$<base64 salt>$<base64 key>`, Keycloak's `credentialData` and
/// `secretData` side by side. (Keycloak's Argon2 hashes are stored as PHC strings.)
fn keycloak(password: &[u8], rest: &str) -> Option<bool> {
    let [algorithm, iterations, salt, expected] = rest.split('$').collect::<Vec<_>>()[..] else {
        return None;
    };
    let digest = digest_of(algorithm)?;
    let iterations = iterations.parse::<u32>().ok()?;
    let (salt, expected) = (STANDARD.decode(salt).ok()?, STANDARD.decode(expected).ok()?);
    pbkdf2_matches(digest, password, &salt, iterations, &expected)
}

/// An ASP.NET Identity `PasswordHash`, decoded.
struct AspNetHash {
    v3: bool,
    digest: Digest,
    iterations: u32,
    salt: Vec<u8>,
    subkey: Vec<u8>,
}

impl AspNetHash {
    /// v2: `0x00`, 16 bytes of salt, 32 of PBKDF2-HMAC-SHA1 at 1000 iterations. v3: `0x01`,
    /// then big-endian PRF (0 SHA-1, 1 SHA-256, 2 SHA-512), iteration count and salt length,
    /// the salt, and the subkey; salt and subkey at least 16 bytes (as PasswordHasher.cs).
    fn parse(base64: &str) -> Option<Self> {
        let blob = STANDARD.decode(base64).ok()?;
        match blob.first()? {
            0x00 if blob.len() == 49 => Some(Self {
                v3: false,
                digest: Digest::Sha1,
                iterations: 1000,
                salt: blob[1..17].to_vec(),
                subkey: blob[17..].to_vec(),
            }),
            0x01 if blob.len() >= 13 => {
                let word = |at: usize| u32::from_be_bytes([0, 1, 2, 3].map(|i| blob[at + i]));
                let digest = match word(1) {
                    0 => Digest::Sha1,
                    1 => Digest::Sha256,
                    2 => Digest::Sha512,
                    _ => return None,
                };
                let salt_len = usize::try_from(word(9)).ok()?;
                let salt_end = 13usize.checked_add(salt_len)?;
                if salt_len < 16 || blob.len() < salt_end + 16 {
                    return None;
                }
                Some(Self {
                    v3: true,
                    digest,
                    iterations: word(5),
                    salt: blob[13..salt_end].to_vec(),
                    subkey: blob[salt_end..].to_vec(),
                })
            }
            _ => None,
        }
    }
}

fn aspnet(password: &[u8], rest: &str) -> Option<bool> {
    let hash = AspNetHash::parse(rest)?;
    pbkdf2_matches(
        hash.digest,
        password,
        &hash.salt,
        hash.iterations,
        &hash.subkey,
    )
}

/// `<rounds>$<mem_cost>$<signer key>$<salt separator>$<salt>$<hash>`, the last four in
/// base64: the key derived by scrypt(password, salt + separator, N = 2^mem_cost, r = rounds,
/// p = 1) encrypts the project's signer key with AES-256-CTR (zero IV), giving the hash.
fn firebase(password: &[u8], rest: &str) -> Option<bool> {
    let [rounds, mem_cost, signer_key, separator, salt, expected] =
        rest.split('$').collect::<Vec<_>>()[..]
    else {
        return None;
    };
    let (rounds, mem_cost) = (rounds.parse::<u32>().ok()?, mem_cost.parse::<u8>().ok()?);
    let decode = |text: &str| STANDARD.decode(text).ok();
    let (mut signer_key, separator, mut salt, expected) = (
        decode(signer_key)?,
        decode(separator)?,
        decode(salt)?,
        decode(expected)?,
    );
    if rounds == 0
        || rounds > MAX_FIREBASE_ROUNDS
        || mem_cost == 0
        || mem_cost > MAX_FIREBASE_MEM_COST
        || u64::from(rounds) << mem_cost > 8 << 20
        || signer_key.is_empty()
        || signer_key.len() > 1024
        || signer_key.len() != expected.len()
    {
        return None;
    }
    salt.extend_from_slice(&separator);
    let params = scrypt::Params::new(mem_cost, rounds, 1).ok()?;
    let mut derived = [0u8; 32];
    scrypt::scrypt(password, &salt, &params, &mut derived).ok()?;
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&derived, &[0u8; 16]).ok()?;
    cipher.apply_keystream(&mut signer_key);
    Some(signer_key.ct_eq(&expected).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firebase_published_vector_verifies() {
        // github.com/firebase/scrypt, README: "user1password" with the sample parameters.
        let stored = "firebase-scrypt$8$14$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==";
        assert_eq!(check(b"user1password", stored), Some(Some(true)));
        assert_eq!(check(b"user1passworD", stored), Some(Some(false)));
        assert_eq!(
            describe(stored).as_deref(),
            Some("Firebase scrypt rounds=8 mem_cost=14")
        );
    }

    #[test]
    fn malformed_and_costly_hashes_cannot_be_checked() {
        let started = std::time::Instant::now();
        for stored in [
            "$wp$",
            "$wp$2y$31$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyzabcdefghi",
            "$wp$md5$x",
            "keycloak$pbkdf2-sha256$x$AAAA$AAAA",
            "keycloak$pbkdf2-sha256$4000000000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
            "keycloak$md5$1$AAAA$AAAA",
            "keycloak$pbkdf2$1$AAAA",
            "aspnet$",
            "aspnet$AA==",
            "aspnet$!!",
            // v3 with a salt length past the end.
            "aspnet$AQAAAAEAACcQ/////w==",
            // v3, SHA-256, 4e9 iterations, 16-byte salt and subkey.
            "aspnet$AQAAAAHuaygAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "firebase-scrypt$8$14$AAAA$Bw==$AAAA",
            "firebase-scrypt$8$30$AAAA$Bw==$AAAA$AAAA",
            "firebase-scrypt$100000$14$AAAA$Bw==$AAAA$AAAA",
            "firebase-scrypt$8$14$AAAA$Bw==$AAAA$AAAAAAAA",
        ] {
            assert_eq!(check(b"pw", stored), Some(None), "{stored}");
        }
        assert_eq!(check(b"pw", "pbkdf2_sha256$1$s$h"), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn descriptions_name_format_and_cost() {
        assert_eq!(
            describe("$wp$2y$10$abc").as_deref(),
            Some("WordPress bcrypt cost 10")
        );
        assert_eq!(
            describe("keycloak$pbkdf2-sha512$210000$s$h").as_deref(),
            Some("Keycloak pbkdf2-sha512, 210000 iterations")
        );
        assert_eq!(
            describe("keycloak$bcrypt$1$s$h").as_deref(),
            Some("unknown")
        );
        assert_eq!(describe("aspnet$AA==").as_deref(), Some("unknown"));
        assert_eq!(describe("$S$C3378"), None);
    }

    /// tests/fixtures/hashes/imports.json, made by generate_imports.py beside it.
    #[test]
    fn every_imported_fixture_verifies_only_its_password() {
        let path = format!(
            "{}/tests/fixtures/hashes/imports.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut formats: Vec<&str> = cases.iter().filter_map(|c| c["format"].as_str()).collect();
        formats.sort();
        formats.dedup();
        assert_eq!(formats.len(), 11, "{formats:?}");
        for case in &cases {
            let (password, hash) = (
                case["password"].as_str().unwrap(),
                case["hash"].as_str().unwrap(),
            );
            assert!(
                super::super::verify_with(password.as_bytes(), hash),
                "{hash}"
            );
            let wrong = format!("x{password}");
            assert!(!super::super::verify_with(wrong.as_bytes(), hash), "{hash}");
            assert!(super::super::is_recognised(hash), "{hash}");
        }
    }
}
