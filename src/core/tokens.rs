//! Short-lived JWTs for backends that verify a user on their own, and the key pairs that sign
//! them. Keys are Ed25519 (`EdDSA`), kept in the database so that every node signs alike; the
//! private half is sealed there under a key derived from the server secret. A node reloads the
//! keys once a minute, so a rotation reaches every node within that.

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::secret::ServerSecret;
use super::{Core, CurrentSession, now};
use crate::config::{MAX_TOKEN_LIFETIME, TokenConfig};
use crate::store::{SigningKeyRow, StoreError};

const ALGORITHM: &str = "EdDSA";
/// Seconds between reloads of the keys, so that a rotation elsewhere reaches this node.
const RELOAD_EVERY: i64 = 60;
/// How long a retired key stays published: past the longest token it can have signed,
/// including on nodes that signed with it until their next reload.
pub const RETIRED_KEY_PUBLISHED_FOR: i64 = MAX_TOKEN_LIFETIME.as_secs() as i64 + 2 * RELOAD_EVERY;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot sign the token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("cannot make a signing key: {0}")]
    KeyEncoding(String),
}

/// A token as handed to the client.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

/// A public key as `/.well-known/jwks.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicJwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub usage: &'static str,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    name: &'a str,
    roles: Vec<&'a str>,
    sid: String,
    iat: i64,
    exp: i64,
}

struct KeyRing {
    loaded_at: i64,
    /// The active key's id and private key; `None` until one is loaded or made.
    signing: Option<(String, EncodingKey)>,
    published: Vec<PublicJwk>,
}

pub struct Tokens {
    issuer: String,
    lifetime: std::time::Duration,
    sealing_key: [u8; 32],
    ring: RwLock<KeyRing>,
}

impl Tokens {
    pub fn new(config: &TokenConfig, issuer: &str, secret: &ServerSecret) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_string(),
            lifetime: config.lifetime,
            sealing_key: secret.derive_key("latch signing-key sealing v1"),
            ring: RwLock::new(KeyRing {
                loaded_at: i64::MIN,
                signing: None,
                published: Vec::new(),
            }),
        }
    }

    fn sealer(&self) -> LessSafeKey {
        let key = UnboundKey::new(&CHACHA20_POLY1305, &self.sealing_key)
            .expect("a 32-byte key suits ChaCha20-Poly1305");
        LessSafeKey::new(key)
    }

    /// The private key's seed, sealed to this database's secret and bound to its key id.
    fn seal(&self, kid: &str, seed: &[u8; 32]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let mut data = seed.to_vec();
        self.sealer()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut data,
            )
            .expect("sealing 32 bytes cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        STANDARD.encode(sealed)
    }

    /// The seed, or `None` if it was sealed under another secret (after `latch secret
    /// rotate`) or damaged: such a key is still published but no longer signs.
    fn unseal(&self, kid: &str, sealed: &str) -> Option<[u8; 32]> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = rest.to_vec();
        let seed = self
            .sealer()
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut data)
            .ok()?;
        seed.try_into().ok()
    }

    /// A fresh key pair, sealed for the database.
    fn new_key(&self) -> SigningKeyRow {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public);
        let kid = thumbprint(&x);
        SigningKeyRow {
            sealed_private_key: self.seal(&kid, &seed),
            kid,
            algorithm: ALGORITHM.into(),
            public_key: x,
            created_at: now(),
            retired_at: None,
        }
    }

    fn ring_from(&self, rows: &[SigningKeyRow], loaded_at: i64) -> Result<KeyRing, TokenError> {
        let mut signing = None;
        for row in rows.iter().filter(|row| row.retired_at.is_none()) {
            let Some(seed) = self.unseal(&row.kid, &row.sealed_private_key) else {
                tracing::warn!(
                    kid = %row.kid,
                    "a signing key was sealed under another server secret; making a new one"
                );
                continue;
            };
            let der = SigningKey::from_bytes(&seed)
                .to_pkcs8_der()
                .map_err(|e| TokenError::KeyEncoding(e.to_string()))?;
            signing = Some((row.kid.clone(), EncodingKey::from_ed_der(der.as_bytes())));
            break;
        }
        let published = rows
            .iter()
            .filter(|row| row.algorithm == ALGORITHM)
            .map(|row| PublicJwk {
                kty: "OKP",
                crv: "Ed25519",
                x: row.public_key.clone(),
                kid: row.kid.clone(),
                alg: ALGORITHM,
                usage: "sig",
            })
            .collect();
        Ok(KeyRing {
            loaded_at,
            signing,
            published,
        })
    }
}

/// The key's RFC 7638 thumbprint: a key id every verifier can recompute.
fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A session's public identifier: it names the session (in a token's `sid`) without being
/// anything that could be presented as the session.
pub fn public_session_id(id_hash: &str) -> String {
    let digest = Sha256::digest(format!("latch public session id:{id_hash}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

impl Core {
    /// Loads the keys when they are a minute old, making the first one if none can sign.
    async fn key_ring(&self) -> Result<(), TokenError> {
        let now = now();
        let fresh = self
            .tokens
            .ring
            .read()
            .expect("the key ring lock is never poisoned")
            .loaded_at
            > now - RELOAD_EVERY;
        if fresh {
            return Ok(());
        }
        let since = now - RETIRED_KEY_PUBLISHED_FOR;
        let mut rows = self.store.signing_keys(since).await?;
        let mut ring = self.tokens.ring_from(&rows, now)?;
        if ring.signing.is_none() {
            self.store.add_signing_key(&self.tokens.new_key()).await?;
            rows = self.store.signing_keys(since).await?;
            ring = self.tokens.ring_from(&rows, now)?;
        }
        *self
            .tokens
            .ring
            .write()
            .expect("the key ring lock is never poisoned") = ring;
        Ok(())
    }

    /// Makes sure a signing key exists; `latch serve` calls it at start.
    pub async fn prepare_signing_keys(&self) -> Result<(), TokenError> {
        self.key_ring().await
    }

    /// Adds a new signing key and retires the others, which stay published until every token
    /// they signed has expired. Returns the new key's id.
    pub async fn rotate_signing_key(&self) -> Result<String, TokenError> {
        let key = self.tokens.new_key();
        self.store.add_signing_key(&key).await?;
        self.tokens
            .ring
            .write()
            .expect("the key ring lock is never poisoned")
            .loaded_at = i64::MIN;
        self.key_ring().await?;
        Ok(key.kid)
    }

    /// The public keys a verifier needs: the active one and those retired recently.
    pub async fn published_keys(&self) -> Result<Vec<PublicJwk>, TokenError> {
        self.key_ring().await?;
        Ok(self
            .tokens
            .ring
            .read()
            .expect("the key ring lock is never poisoned")
            .published
            .clone())
    }

    /// The keys still published, newest first, with when each was made and retired.
    pub async fn signing_key_history(&self) -> Result<Vec<SigningKeyRow>, TokenError> {
        self.key_ring().await?;
        let since = now() - RETIRED_KEY_PUBLISHED_FOR;
        Ok(self.store.signing_keys(since).await?)
    }

    /// A signed token for the session's account: `sub` is the account's uuid, `sid` the
    /// session's public id, valid for `token.lifetime`.
    pub async fn issue_token(&self, session: &CurrentSession) -> Result<IssuedToken, TokenError> {
        self.key_ring().await?;
        let account = &session.account;
        let iat = now();
        let claims = Claims {
            iss: &self.tokens.issuer,
            sub: &account.uuid,
            name: &account.name,
            roles: account.all_roles(),
            sid: public_session_id(&session.id_hash),
            iat,
            exp: super::later(iat, self.tokens.lifetime),
        };
        let ring = self
            .tokens
            .ring
            .read()
            .expect("the key ring lock is never poisoned");
        let (kid, key) = ring
            .signing
            .as_ref()
            .expect("key_ring leaves a signing key or fails");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, key)?;
        Ok(IssuedToken {
            token,
            expires_in: self.tokens.lifetime.as_secs(),
        })
    }

    /// Deletes keys retired long enough ago that no token they signed is still valid.
    pub(super) async fn purge_retired_signing_keys(&self) -> Result<u64, StoreError> {
        self.store
            .delete_signing_keys_retired_before(now() - RETIRED_KEY_PUBLISHED_FOR)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        let secret = ServerSecret::from_text(&"s".repeat(40)).unwrap();
        Tokens::new(&TokenConfig::default(), "http://example.test/", &secret)
    }

    #[test]
    fn a_sealed_key_opens_only_under_its_secret_and_its_id() {
        let tokens = tokens();
        let seed = [7u8; 32];
        let sealed = tokens.seal("kid-a", &seed);
        assert_eq!(tokens.unseal("kid-a", &sealed), Some(seed));
        assert_eq!(tokens.unseal("kid-b", &sealed), None);
        let other = ServerSecret::from_text(&"t".repeat(40)).unwrap();
        let other = Tokens::new(&TokenConfig::default(), "http://example.test", &other);
        assert_eq!(other.unseal("kid-a", &sealed), None);
        assert_eq!(tokens.unseal("kid-a", "not base64!"), None);
    }

    #[test]
    fn the_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 8037, appendix A.3: the thumbprint of its example Ed25519 key.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn a_public_session_id_is_not_the_stored_hash() {
        let id = public_session_id("abc");
        assert_ne!(id, "abc");
        assert_eq!(id, public_session_id("abc"));
        assert_eq!(id.len(), 22);
    }
}
