-- The ledger's functions find their tables whatever the caller's search_path (a superuser or the
-- migration tooling importing history): they use the schema they were created in.
ALTER FUNCTION check_transaction_balanced() SET search_path FROM CURRENT;
ALTER FUNCTION ledger_consume(uuid, bigint, uuid, uuid, uuid) SET search_path FROM CURRENT;
ALTER FUNCTION ledger_restore(uuid, bigint, uuid, uuid) SET search_path FROM CURRENT;
ALTER FUNCTION ledger_expire_member(uuid, timestamptz) SET search_path FROM CURRENT;
ALTER FUNCTION ledger_release_hold(uuid, bigint, uuid, text, text, jsonb) SET search_path FROM CURRENT;
ALTER FUNCTION ledger_touch(uuid[]) SET search_path FROM CURRENT;
