-- The admin console's import status screen reads the import records through the member service
-- (it lists runs, their rejected rows and their last reconciliation); nothing on the load path.
ALTER TABLE imports ADD COLUMN reconciliation jsonb;  -- the last `loyalty-import reconcile` report
GRANT SELECT ON quarantine TO loyalty_member;
CREATE INDEX imports_program ON imports (program_id, started_at);
