-- A program's transactions newest first (the staff transaction list and its keyset paging).
CREATE INDEX transactions_program_time ON transactions (program_id, occurred_at DESC, id DESC);
