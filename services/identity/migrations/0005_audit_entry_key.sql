-- A writer that retries a batch whose answer it never got (a deadline passed while the INSERT
-- committed) sends the same entries again: each carries the key its writer gave it, stored once.
ALTER TABLE audit_log ADD COLUMN entry_key text;
CREATE UNIQUE INDEX audit_log_entry_key ON audit_log (entry_key) WHERE entry_key IS NOT NULL;
