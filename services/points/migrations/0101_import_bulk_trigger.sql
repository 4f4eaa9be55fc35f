-- A bulk import checks its batch set-based before commit (importing.py). With the condition on the
-- trigger itself, PostgreSQL does not even queue the deferred per-row event for millions of rows.
DROP TRIGGER entries_balanced ON entries;
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting('app.ledger_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION check_transaction_balanced();
