-- Applications that call the platformOS-style API with `Authorization: Token token=…`. Only
-- a SHA-256 hash of each token is kept; `token_hint` is the token's first characters, so an
-- operator can tell which token a leaked string was.

CREATE TABLE apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    token_hint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
