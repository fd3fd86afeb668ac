//! The server secret: the root key for CSRF tokens and one-time links. Every node of a cluster
//! must share it; it never lives in the database, so a database dump alone cannot forge tokens.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the server secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("cannot read or create the secret file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

pub struct ServerSecret(SecretBox<Vec<u8>>);

impl ServerSecret {
    /// Uses `configured` when given; otherwise reads `file`, creating it with a fresh random
    /// secret (readable by the owner only) on first start.
    pub fn load_or_create(
        configured: Option<&SecretString>,
        file: &Path,
    ) -> Result<(Self, bool), SecretError> {
        if let Some(secret) = configured {
            return Ok((Self::from_text(secret.expose_secret())?, false));
        }
        let io = |source| SecretError::Io {
            path: file.display().to_string(),
            source,
        };
        match std::fs::read_to_string(file) {
            Ok(text) => Ok((Self::from_text(text.trim())?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = vec![0u8; 32];
                rand::fill(&mut bytes[..]);
                let encoded = STANDARD.encode(&bytes);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(file) {
                    Ok(mut f) => {
                        f.write_all(format!("{encoded}\n").as_bytes()).map_err(io)?;
                        Ok((Self(SecretBox::new(Box::new(bytes))), true))
                    }
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(file).map_err(io)?;
                        Ok((Self::from_text(text.trim())?, false))
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Base64 text of at least 32 bytes is decoded; anything else is taken as raw bytes.
    pub fn from_text(text: &str) -> Result<Self, SecretError> {
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text));
        let bytes = match decoded {
            Ok(bytes) if bytes.len() >= MIN_SECRET_BYTES => bytes,
            _ => text.as_bytes().to_vec(),
        };
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }

    /// A key for one use, so a token minted for one purpose can never pass as another's.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac =
            HmacSha256::new_from_slice(self.0.expose_secret()).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_secret_is_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.secret");
        let (first, created) = ServerSecret::load_or_create(None, &file).unwrap();
        assert!(created);
        let (second, created) = ServerSecret::load_or_create(None, &file).unwrap();
        assert!(!created);
        assert_eq!(first.derive_key("a"), second.derive_key("a"));
        assert_ne!(first.derive_key("a"), first.derive_key("b"));
    }

    #[test]
    fn plain_text_that_looks_like_base64_is_taken_as_text() {
        let text = ServerSecret::from_text(&"k".repeat(32)).unwrap();
        let other = ServerSecret::from_text(&"j".repeat(32)).unwrap();
        assert_ne!(text.derive_key("a"), other.derive_key("a"));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            ServerSecret::from_text("short"),
            Err(SecretError::TooShort)
        ));
    }
}
