-- Trickle migration: the accounts that came over from the legacy site at a login, either
-- created then or completed with their first usable password hash, and when.
CREATE TABLE legacy_migrations (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    how         TEXT   NOT NULL,
    migrated_at BIGINT NOT NULL
);
