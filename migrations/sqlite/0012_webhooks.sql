-- Events waiting to be delivered to the `[[webhooks]]` receivers, one row per receiver and
-- event; delivered, retried with backoff, or dead-lettered like mail. `payload` is the JSON body
-- as signed; it holds no secret. A worker claims a row for `claimed_until` while it sends it.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    delivered_at    BIGINT,
    claimed_by      TEXT,
    claimed_until   BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_at);
