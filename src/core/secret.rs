//! The server secret: the root key for CSRF tokens and one-time links. Every node of a cluster
//! must share it; it never lives in the database, so a database dump alone cannot forge tokens.
//! The database holds only its fingerprint, so a node started with another secret refuses to
//! serve rather than silently refusing every token the other nodes mint.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use subtle::ConstantTimeEq;

use crate::store::{Store, StoreError};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

pub const MIN_SECRET_BYTES: usize = 32;

/// The label whose HMAC is the fingerprint; no key is ever derived for it, so the fingerprint
/// reveals nothing about the keys that are.
const FINGERPRINT_LABEL: &str = "latch server secret fingerprint v1";

/// What to do when it is time to fix the secret on this database.
const HOW_TO_FIX: &str = "every node and command using one database needs the same secret: \
     copy latch.secret (or the `secret` setting, LATCH_SECRET) from a node that serves this \
     database; to change the secret on purpose, run `latch secret rotate`, which voids the CSRF \
     tokens, logout tokens and one-time links issued so far";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the server secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("cannot read or create the secret file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the server secret file {path} does not exist, but this database is already served with \
         a secret; {HOW_TO_FIX}"
    )]
    Missing { path: String },
    #[error(
        "the server secret from {origin} is not the one this database is served with; {HOW_TO_FIX}"
    )]
    Mismatch { origin: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the secret came from, to name it in errors.
pub fn describe_source(configured: bool, file: &Path) -> String {
    if configured {
        "the `secret` setting".into()
    } else {
        format!("the file {}", file.display())
    }
}

pub struct ServerSecret(SecretBox<Vec<u8>>);

impl ServerSecret {
    /// Uses `configured` when given; otherwise reads `file`, creating it with a fresh random
    /// secret (readable by the owner only) on first start.
    pub fn load_or_create(
        configured: Option<&SecretString>,
        file: &Path,
    ) -> Result<(Self, bool), SecretError> {
        Self::load(configured, file, true)
    }

    /// As [`ServerSecret::load_or_create`], but a missing file is created only if `create`.
    pub fn load(
        configured: Option<&SecretString>,
        file: &Path,
        create: bool,
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {
                Err(SecretError::Missing {
                    path: file.display().to_string(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (secret, encoded) = Self::generate();
                match private_file(file) {
                    Ok(mut f) => {
                        f.write_all(encoded.as_bytes()).map_err(io)?;
                        Ok((secret, true))
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

    /// A fresh random secret and its text as written to a secret file.
    fn generate() -> (Self, String) {
        let mut bytes = vec![0u8; 32];
        rand::fill(&mut bytes[..]);
        let encoded = format!("{}\n", STANDARD.encode(&bytes));
        (Self(SecretBox::new(Box::new(bytes))), encoded)
    }

    /// Replaces `file` with a fresh random secret and returns it. The new file is complete on
    /// disk before it takes the old one's name, so a crash leaves one secret or the other.
    pub fn replace_file(file: &Path) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io {
            path: file.display().to_string(),
            source,
        };
        let (secret, encoded) = Self::generate();
        let mut staged = file.as_os_str().to_owned();
        staged.push(".new");
        let staged = std::path::PathBuf::from(staged);
        let _ = std::fs::remove_file(&staged);
        let mut f = private_file(&staged).map_err(io)?;
        f.write_all(encoded.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&staged, file).map_err(io)?;
        Ok(secret)
    }

    /// The HMAC of a fixed label keyed by the secret, as stored in the database.
    pub fn fingerprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.derive_key(FINGERPRINT_LABEL))
    }

    /// Records this secret's fingerprint on a database that has none, and otherwise checks
    /// that it is the recorded one.
    pub async fn check_against(&self, store: &Store, source: &str) -> Result<(), SecretError> {
        let mine = self.fingerprint();
        let recorded = match store.secret_fingerprint().await? {
            Some(recorded) => recorded,
            None => {
                store
                    .record_secret_fingerprint(&mine, crate::core::now())
                    .await?
            }
        };
        if bool::from(mine.as_bytes().ct_eq(recorded.as_bytes())) {
            Ok(())
        } else {
            Err(SecretError::Mismatch {
                origin: source.to_string(),
            })
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

impl super::Core {
    /// Whether the database is still served with this node's secret; false once someone ran
    /// `latch secret rotate` and this node was not restarted with the new secret.
    pub async fn secret_is_current(&self) -> Result<bool, super::Error> {
        let recorded = self.store.secret_fingerprint().await?;
        Ok(recorded
            .is_none_or(|r| bool::from(r.as_bytes().ct_eq(self.secret_fingerprint.as_bytes()))))
    }
}

/// Creates `path`, readable by its owner only; an existing file is refused.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
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
    fn a_missing_file_is_not_created_when_the_database_has_a_secret_already() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.secret");
        let err = ServerSecret::load(None, &file, false)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("copy latch.secret"), "{err}");
        assert!(!file.exists());
    }

    #[test]
    fn a_replaced_file_holds_a_new_secret_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.secret");
        let (old, _) = ServerSecret::load_or_create(None, &file).unwrap();
        let new = ServerSecret::replace_file(&file).unwrap();
        let (read, _) = ServerSecret::load(None, &file, false).unwrap();
        assert_ne!(old.fingerprint(), new.fingerprint());
        assert_eq!(read.fingerprint(), new.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_fingerprint_tells_secrets_apart_and_is_no_derived_key() {
        let one = ServerSecret::from_text(&"k".repeat(32)).unwrap();
        let two = ServerSecret::from_text(&"j".repeat(32)).unwrap();
        assert_ne!(one.fingerprint(), two.fingerprint());
        assert_eq!(one.fingerprint(), one.fingerprint());
        for purpose in ["latch csrf token v1", "latch one-time login link v1"] {
            assert_ne!(
                one.fingerprint(),
                URL_SAFE_NO_PAD.encode(one.derive_key(purpose))
            );
        }
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
