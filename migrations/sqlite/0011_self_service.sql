-- What a user needs to see and end their own sessions, and personal access tokens.
--
-- A session gets a public identifier, shown to its owner and used to end it, which is not its
-- secret id nor the hash it is stored under, and the user agent that opened it. Sessions opened
-- before this migration get a random identifier and no user agent.
ALTER TABLE sessions ADD COLUMN public_id TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
UPDATE sessions SET public_id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);

-- Personal access tokens: credentials for scripts, sent as `Authorization: Bearer`. Only a
-- SHA-256 hash of each token is kept, with its first characters (`token_hint`) to tell tokens
-- apart. `scopes` is a space-separated list. A password change deletes the account's tokens
-- unless they were made with `keep_on_password_change`.
CREATE TABLE access_tokens (
    id                      TEXT    PRIMARY KEY,
    account_id              INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                    TEXT    NOT NULL,
    token_hash              TEXT    NOT NULL UNIQUE,
    token_hint              TEXT    NOT NULL,
    scopes                  TEXT    NOT NULL,
    created_at              BIGINT  NOT NULL,
    last_used_at            BIGINT,
    expires_at              BIGINT,
    keep_on_password_change BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX access_tokens_account ON access_tokens (account_id);
