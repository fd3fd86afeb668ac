//! Password hashes written by other software: Drupal's and WordPress's phpass (`$S$`, `$P$`,
//! `$H$`, `U$`), PHP's `password_hash` (bcrypt, Argon2) and Django's hashers; those of
//! WordPress 6.8, Keycloak, ASP.NET Identity and Firebase are in [`super::imported`]. They are verified so imported
//! accounts keep their passwords, and replaced by Argon2id at the next successful login.
//! Every comparison is constant-time; a malformed hash never matches. A hash that cannot be
//! checked at all (unusable, malformed, past a work cap) is told apart from a mismatch, so
//! the caller can spend the same work on it as on an unknown account.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Work caps: a stored hash comes from an import or another system's database, and one row
// asking for days of hashing or gigabytes of memory must not stall a login. Each is far
// above what the writing software uses by default; a hash past a cap never matches.
/// phpass rounds as log2 (Drupal 7 writes 15; its maximum is 30, minutes of SHA-512).
const MAX_PHPASS_LOG2: usize = 24;
/// bcrypt cost (PHP writes 10–12; 31 would take days).
const MAX_BCRYPT_COST: u32 = 16;
/// PBKDF2 iterations (Django 5.2 writes 1,000,000).
pub(super) const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// scrypt block size and parallelism (Django writes r=8, p=1).
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;

/// bcrypt through the crate, unless the hash asks for more than [`MAX_BCRYPT_COST`].
pub(super) fn bcrypt_verify(password: &[u8], stored: &str) -> Option<bool> {
    let cost = stored.get(4..6).and_then(|c| c.parse::<u32>().ok());
    cost.filter(|c| *c <= MAX_BCRYPT_COST)?;
    bcrypt::verify(password, stored).ok()
}

/// Whether `password` matches a stored hash in one of the legacy formats.
#[cfg(test)]
pub fn verify(password: &[u8], stored: &str) -> bool {
    check(password, stored) == Some(true)
}

/// Whether `password` matches a stored hash in one of the legacy formats; `None` when the
/// hash cannot be checked: unusable, malformed, in no known format, or past a work cap.
pub fn check(password: &[u8], stored: &str) -> Option<bool> {
    if let Some(checked) = super::imported::check(password, stored) {
        return checked;
    }
    if let Some(rest) = stored.strip_prefix('U').filter(|r| r.starts_with('$')) {
        // A Drupal 6 MD5 hash that Drupal 7 wrapped: the password is MD5-hex'd first.
        let md5_hex = hex(&Md5::digest(password));
        return phpass(md5_hex.as_bytes(), rest);
    }
    if stored.starts_with("$S$") || stored.starts_with("$P$") || stored.starts_with("$H$") {
        return phpass(password, stored);
    }
    if stored.starts_with("$2") {
        return bcrypt_verify(password, stored);
    }
    match stored.split_once('$') {
        Some(("pbkdf2_sha256", rest)) => django_pbkdf2::<Sha256>(password, rest),
        Some(("pbkdf2_sha1", rest)) => django_pbkdf2::<Sha1>(password, rest),
        Some(("bcrypt_sha256", rest)) => {
            let digest = hex(&Sha256::digest(password));
            bcrypt_verify(digest.as_bytes(), rest)
        }
        Some(("bcrypt", rest)) => bcrypt_verify(password, rest),
        Some(("scrypt", rest)) => django_scrypt(password, rest),
        _ => None,
    }
}

/// A short description of the format and cost of a stored hash, for operators.
pub fn describe(stored: &str) -> String {
    if stored.is_empty() {
        return "no password".into();
    }
    if stored.starts_with('!') {
        return "unusable (Django)".into();
    }
    if let Some(described) = super::imported::describe(stored) {
        return described;
    }
    if let Some(php) = stored.strip_prefix("argon2$") {
        return format!("Django {}", describe(&format!("${php}")));
    }
    if stored.starts_with("$argon2") {
        let mut parts = stored.split('$').skip(1);
        let algorithm = parts.next().unwrap_or_default();
        let params = parts.find(|p| p.starts_with("m=")).unwrap_or_default();
        return format!("{algorithm} {params}");
    }
    if let Some(rest) = stored.strip_prefix('U').filter(|r| r.starts_with('$')) {
        return format!("Drupal 6 MD5 inside {}", describe(rest));
    }
    if let Some(kind) = ["$S$", "$P$", "$H$"]
        .into_iter()
        .find(|k| stored.starts_with(*k))
    {
        let log2 = stored
            .as_bytes()
            .get(3)
            .and_then(|c| ITOA64.iter().position(|x| x == c));
        let name = if kind == "$S$" { "SHA-512" } else { "MD5" };
        return format!("phpass {kind} {name}, 2^{} rounds", log2.unwrap_or(0));
    }
    if stored.starts_with("$2") {
        return format!("bcrypt cost {}", stored.get(4..6).unwrap_or("?"));
    }
    match stored.split('$').collect::<Vec<_>>().as_slice() {
        [
            algorithm @ ("pbkdf2_sha256" | "pbkdf2_sha1"),
            iterations,
            ..,
        ] => {
            format!("Django {algorithm}, {iterations} iterations")
        }
        ["bcrypt_sha256" | "bcrypt", ..] => format!(
            "Django {}, cost {}",
            stored.split('$').next().unwrap_or_default(),
            stored.split('$').nth(3).unwrap_or("?")
        ),
        ["scrypt", n, _, r, p, ..] => format!("Django scrypt N={n} r={r} p={p}"),
        _ => "unknown".into(),
    }
}

/// Drupal's phpass: `$S$` (SHA-512) or `$P$`/`$H$` (MD5), setting = 12 characters.
fn phpass(password: &[u8], stored: &str) -> Option<bool> {
    let bytes = stored.as_bytes();
    if bytes.len() < 12 || !stored.is_ascii() {
        return None;
    }
    let log2 = ITOA64.iter().position(|c| *c == bytes[3])?;
    if !(7..=MAX_PHPASS_LOG2).contains(&log2) {
        return None;
    }
    let salt = &bytes[4..12];
    let digest = if bytes[1] == b'S' {
        stretch::<Sha512>(salt, password, log2)
    } else {
        stretch::<Md5>(salt, password, log2)
    };
    let mut computed = stored[..12].to_string();
    computed.push_str(&phpass_base64(&digest));
    computed.truncate(55);
    Some(computed.as_bytes().ct_eq(bytes).into())
}

fn stretch<D: Digest>(salt: &[u8], password: &[u8], log2: usize) -> Vec<u8> {
    let mut hash = D::new()
        .chain_update(salt)
        .chain_update(password)
        .finalize()
        .to_vec();
    for _ in 0..(1u64 << log2) {
        hash = D::new()
            .chain_update(&hash)
            .chain_update(password)
            .finalize()
            .to_vec();
    }
    hash
}

/// phpass's base64: little-endian groups of three bytes, `./0-9A-Za-z`.
fn phpass_base64(input: &[u8]) -> String {
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let value = chunk
            .iter()
            .enumerate()
            .fold(0u32, |v, (i, b)| v | (u32::from(*b) << (8 * i)));
        for i in 0..=chunk.len() {
            out.push(ITOA64[((value >> (6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// `<iterations>$<salt>$<base64 hash>`; the salt is used as written.
fn django_pbkdf2<D>(password: &[u8], rest: &str) -> Option<bool>
where
    D: hmac::digest::block_api::EagerHash + Digest,
{
    let [iterations, salt, expected] = rest.split('$').collect::<Vec<_>>()[..] else {
        return None;
    };
    let (Ok(iterations), Ok(expected)) = (iterations.parse::<u32>(), STANDARD.decode(expected))
    else {
        return None;
    };
    if iterations == 0
        || iterations > MAX_PBKDF2_ITERATIONS
        || expected.is_empty()
        || expected.len() > 64
    {
        return None;
    }
    let mut computed = vec![0u8; expected.len()];
    pbkdf2::pbkdf2_hmac::<D>(password, salt.as_bytes(), iterations, &mut computed);
    Some(computed.ct_eq(&expected).into())
}

/// `<N>$<salt>$<r>$<p>$<base64 key>`.
fn django_scrypt(password: &[u8], rest: &str) -> Option<bool> {
    let [n, salt, r, p, expected] = rest.split('$').collect::<Vec<_>>()[..] else {
        return None;
    };
    let (Ok(n), Ok(r), Ok(p), Ok(expected)) = (
        n.parse::<u64>(),
        r.parse::<u32>(),
        p.parse::<u32>(),
        STANDARD.decode(expected),
    ) else {
        return None;
    };
    // A power of two, and no more than 1 GiB of memory at r=8.
    if !n.is_power_of_two()
        || n > (1 << 20)
        || r == 0
        || r > MAX_SCRYPT_R
        || p == 0
        || p > MAX_SCRYPT_P
        || u64::from(r) * n > 8 << 20
        || expected.is_empty()
        || expected.len() > 128
    {
        return None;
    }
    let Ok(params) = scrypt::Params::new(n.trailing_zeros() as u8, r, p) else {
        return None;
    };
    let mut computed = vec![0u8; expected.len()];
    if scrypt::scrypt(password, salt.as_bytes(), &params, &mut computed).is_err() {
        return None;
    }
    Some(computed.ct_eq(&expected).into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drupal7_hash_published_by_hashcat_verifies() {
        let stored = "$S$C33783772bRXEx1aCsvY.dqgaaSu76XmVlKrW9Qu8IQlvxHlmzLf";
        assert!(verify(b"hashcat", stored));
        assert!(!verify(b"hashcaT", stored));
    }

    #[test]
    fn malformed_hashes_never_match() {
        for stored in [
            "$S$",
            "$S$C3378",
            "$S$!33783772bRXEx1aCsvY",
            "U$",
            "pbkdf2_sha256$x$y$z",
            "pbkdf2_sha256$0$salt$AAAA",
            "scrypt$3$salt$8$1$AAAA",
            "bcrypt$$2b$zz",
            "$2y$10$short",
            "",
            "!abc",
        ] {
            assert!(!verify(b"", stored), "{stored}");
            assert!(!verify(b"x", stored), "{stored}");
        }
    }

    #[test]
    fn descriptions_name_format_and_cost() {
        assert_eq!(
            describe("$S$C33783772bRXEx1aCsvY.dqgaaSu76XmVlKrW9Qu8IQlvxHlmzLf"),
            "phpass $S$ SHA-512, 2^14 rounds"
        );
        assert_eq!(describe("$2y$10$abc"), "bcrypt cost 10");
        assert_eq!(
            describe("pbkdf2_sha256$870000$salt$hash"),
            "Django pbkdf2_sha256, 870000 iterations"
        );
        assert_eq!(
            describe("$argon2id$v=19$m=19456,t=2,p=1$s$h"),
            "argon2id m=19456,t=2,p=1"
        );
        assert_eq!(
            describe("argon2$argon2id$v=19$m=102400,t=2,p=8$s$h"),
            "Django argon2id m=102400,t=2,p=8"
        );
        assert_eq!(describe("!xyz"), "unusable (Django)");
    }
}

/// Hashes made by the real software: PHP 8 (`password_hash`, Drupal's phpass scheme) and
/// Django, generated by the scripts beside the fixtures.
#[cfg(test)]
mod fixtures {
    use serde::Deserialize;

    use super::super::verify_with;

    #[derive(Deserialize)]
    struct Case {
        source: String,
        format: String,
        password: String,
        hash: String,
    }

    fn cases(file: &str) -> Vec<Case> {
        let path = format!(
            "{}/tests/fixtures/hashes/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn check(file: &str, expected_formats: usize) {
        let cases = cases(file);
        let mut formats: Vec<&str> = cases.iter().map(|c| c.format.as_str()).collect();
        formats.sort();
        formats.dedup();
        assert_eq!(formats.len(), expected_formats, "{formats:?}");
        for case in &cases {
            let label = format!("{} {} {:?}", case.source, case.format, case.hash);
            let unusable = case.format == "django_unusable";
            assert_eq!(
                verify_with(case.password.as_bytes(), &case.hash),
                !unusable,
                "{label}"
            );
            // Changed at the front: bcrypt reads only the first 72 bytes, as PHP's does.
            let wrong = format!("x{}", case.password);
            assert!(
                !verify_with(wrong.as_bytes(), &case.hash),
                "wrong password accepted: {label}"
            );
        }
    }

    #[test]
    fn every_php_and_drupal_fixture_verifies_only_its_password() {
        check("php.json", 8);
    }

    #[test]
    fn every_django_fixture_verifies_only_its_password() {
        check("django.json", 7);
    }

    #[test]
    fn hashes_asking_for_excessive_work_never_match_and_return_at_once() {
        let started = std::time::Instant::now();
        let salt22 = "abcdefghijklmnopqrstuv";
        let body31 = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu";
        for stored in [
            format!("$2y$31${salt22}{body31}"),
            format!("bcrypt$$2b$20${salt22}{body31}"),
            "pbkdf2_sha256$4000000000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
            "scrypt$1048576$salt$1000$1$AAAAAAAAAAAAAAAAAAAAAA==".into(),
            "scrypt$16384$salt$8$100000$AAAAAAAAAAAAAAAAAAAAAA==".into(),
            "$S$Sabcdefgh0123456789012345678901234567890123456789012".into(),
        ] {
            assert!(!super::verify(b"pw", &stored), "{stored}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
