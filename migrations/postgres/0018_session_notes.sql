-- A dialect's note on a session, opaque to the core: how the session was opened, where the
-- dialect's clients ask for it (allauth's `methods`). NULL for sessions without one.
ALTER TABLE sessions ADD COLUMN note TEXT;
