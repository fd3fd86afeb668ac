-- Every change that can end a session or alter what a session check answers is announced on
-- the channel `latch_session_changes` with the account's id: a session deleted or altered, an
-- account's name, mail, password, state or settings changed or the account deleted, a role
-- given or taken. Each running node keeps live sessions in memory and LISTENs on the channel to
-- forget the accounts named, so a logout on one node ends the session on every node.
-- PostgreSQL delivers a notification only when its transaction commits.
-- Last-access writes (sessions.last_seen_at, accounts.access_at and login_at) are not changes:
-- they would invalidate on every request.

CREATE FUNCTION announce_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'accounts' THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM pg_notify('latch_session_changes', OLD.id::text);
        ELSE
            PERFORM pg_notify('latch_session_changes', NEW.id::text);
        END IF;
    ELSE
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            PERFORM pg_notify('latch_session_changes', OLD.account_id::text);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM pg_notify('latch_session_changes', NEW.account_id::text);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER session_changes_session_deleted AFTER DELETE ON sessions
FOR EACH ROW EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER session_changes_session_altered
AFTER UPDATE OF id_hash, account_id, csrf_seed, created_at, expires_at, dialect ON sessions
FOR EACH ROW EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER session_changes_account_altered
AFTER UPDATE OF uuid, name, name_key, mail, mail_key, password_hash, state, timezone, langcode,
    created_at, changed_at, id ON accounts
FOR EACH ROW EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER session_changes_account_deleted AFTER DELETE ON accounts
FOR EACH ROW EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER session_changes_roles AFTER INSERT OR UPDATE OR DELETE ON account_roles
FOR EACH ROW EXECUTE FUNCTION announce_session_change();
