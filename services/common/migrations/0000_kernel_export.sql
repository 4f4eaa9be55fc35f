-- Events also leave the platform: every outbox row is exported once to the notifications service
-- (services/common/event_export.py), tracked apart from its delivery to the service's own consumers
-- (delivered_at), so neither waits for the other. Rows written before this file are not exported:
-- the column's default fills them without rewriting the table, then new rows start NULL.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS exported_at timestamptz DEFAULT '-infinity';
ALTER TABLE outbox ALTER COLUMN exported_at DROP DEFAULT;
CREATE INDEX IF NOT EXISTS outbox_unexported ON outbox (id) WHERE exported_at IS NULL;
