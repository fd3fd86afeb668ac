-- The key pairs that sign the short-lived JWTs of `POST /latch/token`. Every node reads them
-- from here, so all sign alike. The private key is sealed (ChaCha20-Poly1305) under a key
-- derived from the server secret, so a database dump alone cannot mint tokens; the public key
-- is plain, for `/.well-known/jwks.json`. A rotated-out key keeps `retired_at` and is still
-- published until every token it signed has expired.

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
