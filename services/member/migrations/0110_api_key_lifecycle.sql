-- API key lifecycle: rotation (the old key lives on until expires_at), last use, and revocation
-- announced at commit on the `loyalty_revocations` channel, which every gateway hears through the
-- identity service's feed (also when a row is deleted by hand).
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN rotated_to text;
ALTER TABLE api_keys ADD COLUMN revoked_by text;
CREATE INDEX api_keys_program ON api_keys (program_id, created_at);

CREATE FUNCTION notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('loyalty_revocations', 'api_key:' || OLD.key_id);
        RETURN OLD;
    END IF;
    IF NEW.revoked_at IS DISTINCT FROM OLD.revoked_at OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
       OR NEW.scopes IS DISTINCT FROM OLD.scopes OR NEW.secret_hash IS DISTINCT FROM OLD.secret_hash THEN
        PERFORM pg_notify('loyalty_revocations', 'api_key:' || NEW.key_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER api_keys_changed AFTER UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION notify_api_key_changed();
