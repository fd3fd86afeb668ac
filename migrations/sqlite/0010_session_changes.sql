-- Every change that can end a session or alter what a session check answers, by account: a
-- session deleted or altered, an account's name, mail, password, state or settings changed or
-- the account deleted, a role given or taken. A running server keeps live sessions in memory
-- and reads this table every fraction of a second to forget the accounts named here, so a
-- change made by another process (`latch user block`) reaches it within that bound. Rows are
-- purged after an hour; only rows newer than a server's last read matter to it.
-- Last-access writes (sessions.last_seen_at, accounts.access_at and login_at) are not changes:
-- they would invalidate on every request.
CREATE TABLE session_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    changed_at BIGINT  NOT NULL DEFAULT (unixepoch())
);

CREATE TRIGGER session_changes_session_deleted AFTER DELETE ON sessions
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.account_id);
END;

CREATE TRIGGER session_changes_session_altered
AFTER UPDATE OF id_hash, account_id, csrf_seed, created_at, expires_at, dialect ON sessions
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.account_id);
END;

CREATE TRIGGER session_changes_account_altered
AFTER UPDATE OF uuid, name, name_key, mail, mail_key, password_hash, state, timezone, langcode,
    created_at, changed_at, id ON accounts
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.id);
END;

CREATE TRIGGER session_changes_account_deleted AFTER DELETE ON accounts
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.id);
END;

CREATE TRIGGER session_changes_role_given AFTER INSERT ON account_roles
BEGIN
    INSERT INTO session_changes (account_id) VALUES (NEW.account_id);
END;

CREATE TRIGGER session_changes_role_taken AFTER DELETE ON account_roles
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.account_id);
END;

CREATE TRIGGER session_changes_role_altered AFTER UPDATE ON account_roles
BEGIN
    INSERT INTO session_changes (account_id) VALUES (OLD.account_id);
    INSERT INTO session_changes (account_id) VALUES (NEW.account_id);
END;
