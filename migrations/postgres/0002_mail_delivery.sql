-- Mail delivery: an HTML alternative, and the claim a worker holds while it sends a message,
-- so that several nodes never send the same message twice. A worker that dies mid-send leaves
-- a claim that lapses at claimed_until, after which another worker may take the message.
-- state: 'queued' (waiting or retrying), 'sent', 'logged' (no SMTP configured) or 'dead'.

ALTER TABLE mail_outbox ADD COLUMN html_body TEXT;
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE mail_outbox ADD COLUMN claimed_until BIGINT;
ALTER TABLE mail_outbox ADD COLUMN sent_at BIGINT;
