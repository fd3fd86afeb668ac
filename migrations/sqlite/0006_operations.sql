-- The server secret's fingerprint, so a node started with another secret refuses to serve
-- instead of silently refusing every token the other nodes mint. It is an HMAC of a fixed
-- label keyed by the secret: it tells secrets apart and reveals nothing of them.
CREATE TABLE secret_fingerprint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- Audit events an anonymous client can cause at will are folded once one client has caused
-- many in a short time: repeats counts the events a row stands for, last_at the newest.
ALTER TABLE audit_events ADD COLUMN repeats BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN last_at BIGINT;
UPDATE audit_events SET last_at = created_at;
CREATE INDEX audit_events_client ON audit_events (client_ip, kind, created_at);

-- Delivered messages lose their text (it may hold a live one-time link); metadata stays.
UPDATE mail_outbox SET body = '', html_body = NULL WHERE state IN ('sent', 'logged');
