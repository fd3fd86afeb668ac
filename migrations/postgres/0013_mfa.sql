-- Second factors.
--
-- An account's TOTP (RFC 6238) secret, base32. It must be read to check a code, so it cannot
-- be hashed; it is never shown again after enrolment. `confirmed_at` is NULL while enrolment
-- waits for the first code; `last_step` is the time step of the last code accepted, so a
-- code is refused once used (replay).
CREATE TABLE mfa_totp (
    account_id   BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT
);

-- Single-use recovery codes, as SHA-256 hashes.
CREATE TABLE mfa_recovery_codes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- Logins whose password was right and that wait for the second factor, by the SHA-256 hash
-- of the token handed to the client.
CREATE TABLE mfa_pending_logins (
    token_hash TEXT    PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX mfa_pending_logins_account ON mfa_pending_logins (account_id);
