-- An earn's idempotent answer is written by its posting's own statement (repository.post_earn):
-- the answer's bytes with the two balances that statement computes left at zero, and those two
-- balances here. NULL in every key stored before (its response holds the whole answer) and in
-- every other operation's key; a replay puts them back into the answer (ledger/earning.py).
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS old_balance bigint,
                             ADD COLUMN IF NOT EXISTS new_balance bigint;
