-- The administrator who acted through the admin console, by name, on the events the action
-- caused (the account an event is about stays in account_id and account_name).
ALTER TABLE audit_events ADD COLUMN actor TEXT;
