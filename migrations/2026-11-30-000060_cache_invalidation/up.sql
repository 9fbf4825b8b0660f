-- Every running feedbackd caches keys (with their project) and survey rules. These triggers
-- tell all of them, on the channel `feedbackd_invalidate`, whose rows changed, so that a
-- change reaches every replica at once whoever made it: the HTTP API, the CLI, psql, another
-- replica. From the database, not from the code paths that write: none can forget to.
-- The payload is '<table>:<project id>', or '<table>:*' after a TRUNCATE. PostgreSQL sends
-- notifications at commit (none for a rollback) and sends identical ones of a transaction
-- once, so a statement touching many rows of a project costs one notification.
CREATE FUNCTION feedbackd_notify_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- The column that holds the project's id (`id` for projects themselves).
    project_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('feedbackd_invalidate', TG_TABLE_NAME || ':*');
        RETURN NULL;
    END IF;
    -- Both rows of an UPDATE: a row moved to another project concerns both.
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('feedbackd_invalidate', TG_TABLE_NAME || ':' || (to_jsonb(OLD) ->> project_column));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('feedbackd_invalidate', TG_TABLE_NAME || ':' || (to_jsonb(NEW) ->> project_column));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER projects_notify_invalidate AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION feedbackd_notify_invalidate('id');
CREATE TRIGGER projects_notify_truncate AFTER TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_notify_invalidate('id');

CREATE TRIGGER surveys_notify_invalidate AFTER INSERT OR UPDATE OR DELETE ON surveys
    FOR EACH ROW EXECUTE FUNCTION feedbackd_notify_invalidate('project_id');
CREATE TRIGGER surveys_notify_truncate AFTER TRUNCATE ON surveys
    FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_notify_invalidate('project_id');

CREATE TRIGGER api_keys_notify_invalidate AFTER INSERT OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION feedbackd_notify_invalidate('project_id');
-- Only a change to what a key lookup caches. `last_used_at` is set by the lookup that fills
-- the cache after a miss: notifying it would empty the cache it just filled, on every replica.
CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON api_keys
    FOR EACH ROW
    WHEN ((OLD.project_id, OLD.id, OLD.kind, OLD.token_hash, OLD.scopes, OLD.revoked_at)
          IS DISTINCT FROM (NEW.project_id, NEW.id, NEW.kind, NEW.token_hash, NEW.scopes, NEW.revoked_at))
    EXECUTE FUNCTION feedbackd_notify_invalidate('project_id');
CREATE TRIGGER api_keys_notify_truncate AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION feedbackd_notify_invalidate('project_id');
