-- Passkeys (WebAuthn credentials), a second factor and a way to log in without a password.
--
-- `credential_id` is the credential's id, base64url; unique across accounts, so one
-- authenticator's credential belongs to one account. `passkey` is the credential as the
-- WebAuthn library serialises it (public key, counter, flags): public data, no secret.
CREATE TABLE mfa_passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX mfa_passkeys_account ON mfa_passkeys (account_id);

-- WebAuthn ceremonies begun and not yet finished, so any node can finish what another began.
-- `id_hash` is the SHA-256 hash of the id handed to the client (for a second factor, of the
-- waiting login's token). `kind` is register, login or mfa; `account_id` is the account a
-- registration or a second factor is for (NULL for a login by passkey alone). `state` is the
-- library's serialised challenge state. A ceremony is deleted when it is finished, so it
-- serves once, and is refused after `expires_at`.
CREATE TABLE mfa_passkey_ceremonies (
    id_hash    TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    account_id INTEGER  REFERENCES accounts (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX mfa_passkey_ceremonies_expiry ON mfa_passkey_ceremonies (expires_at);
