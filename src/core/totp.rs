//! TOTP (RFC 6238) as authenticator apps speak it: HMAC-SHA-1, 6 digits, 30-second steps;
//! the secret in base32 (RFC 4648, no padding) and an `otpauth://` URI shown as a QR code.

use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The time step of a Unix time.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECONDS)
}

/// The code of `step` (RFC 4226's HOTP with the step as counter).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let mut mac = HmacSha1::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:0width$}", binary % 1_000_000, width = DIGITS)
}

/// The step, among the current one and its neighbours (clocks drift, people type slowly),
/// whose code `code` is; compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let current = step_at(now);
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        if bool::from(code_at(secret, step).as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// Whether `text` has the shape of a TOTP code: six ASCII digits.
pub fn looks_like_code(text: &str) -> bool {
    text.len() == DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

/// Base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of base32 text (any letter case, spaces and padding ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '=' | '-')) {
        let value = BASE32
            .iter()
            .position(|&b| char::from(b) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `otpauth://totp/…` URI an authenticator app reads from a QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        encode(issuer),
        encode(account),
        encode(issuer)
    )
}

/// `text` as a QR code in an SVG document.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        // An otpauth URI is far below a QR code's capacity.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_sha1_vectors_give_their_last_six_digits() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(secret, step_at(time)), code, "{time}");
        }
    }

    #[test]
    fn the_adjacent_steps_match_and_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let step = step_at(now);
        for delta in [-1, 0, 1] {
            let code = code_at(secret, step + delta);
            assert_eq!(matching_step(secret, &code, now), Some(step + delta));
        }
        for delta in [-2, 2] {
            let code = code_at(secret, step + delta);
            assert_eq!(matching_step(secret, &code, now), None);
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        let bytes: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32(&bytes)).unwrap(), bytes);
        assert_eq!(base32_decode("not base32!"), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account_encoded() {
        let uri = otpauth_uri("My Site", "bob@example.org", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/My%20Site:bob%40example.org?secret=ABC&issuer=My%20Site\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert!(qr_svg(&uri).starts_with("<?xml"));
    }
}
