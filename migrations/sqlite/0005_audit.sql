-- The audit trail: one row per security event (logins, logouts, registrations, password
-- changes and resets, flood blocks, CSRF rejections, API tokens). account_id has no foreign
-- key so the trail outlives deleted accounts; account_name is the name at the time, or the
-- name a failed login tried. Never a password or a token.

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account_id BIGINT,
    account_name TEXT,
    client_ip TEXT,
    user_agent TEXT,
    detail TEXT
);
CREATE INDEX audit_events_time ON audit_events (created_at);
CREATE INDEX audit_events_account ON audit_events (LOWER(account_name), created_at);
