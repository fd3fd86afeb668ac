-- Flood control: one row per failed login, counted per event and identifier (a client IP,
-- "<uid>-<ip>", or "<uid>") over a sliding window. Rows live in the database so every node
-- of a cluster sees the same counts; rows past expires_at are purged in the background.

CREATE TABLE flood_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    identifier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX flood_events_lookup ON flood_events (event, identifier, created_at);
CREATE INDEX flood_events_expiry ON flood_events (expires_at);
