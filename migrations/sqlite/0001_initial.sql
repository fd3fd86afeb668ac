-- Accounts, their roles, sessions and the mail outbox.
-- Timestamps are unix seconds; names and mails are unique by their lower-cased key.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL,
    mail          TEXT,
    mail_key      TEXT,
    password_hash TEXT,
    state         TEXT    NOT NULL CHECK (state IN ('active', 'blocked', 'pending')),
    timezone      TEXT    NOT NULL DEFAULT 'UTC',
    langcode      TEXT    NOT NULL DEFAULT 'en',
    created_at    BIGINT  NOT NULL,
    changed_at    BIGINT  NOT NULL,
    access_at     BIGINT  NOT NULL DEFAULT 0,
    login_at      BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_name_key ON accounts (name_key);
CREATE UNIQUE INDEX accounts_mail_key ON accounts (mail_key);

CREATE TABLE account_roles (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    PRIMARY KEY (account_id, role)
);

-- id_hash is base64url(SHA-256(session id)): the id itself is never stored.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_seed    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    client_ip    TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    account_id      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    state           TEXT    NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
