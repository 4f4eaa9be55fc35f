-- Budget leases: a points process may hold part of a campaign's total budget in memory and grant
-- from it without writing a counter per earn (services/points/rules/leases.py). A lease is
-- allocated like a shard's reservation (so the budget is never overspent) and counted in `leased`;
-- what a process did not spend when it drops a lease is never handed out again (a budget may end
-- a little under its total, never over it). A void of points granted from a lease gives them back
-- to the budget.
ALTER TABLE rule_budgets ADD COLUMN leased bigint NOT NULL DEFAULT 0;

-- A lease of up to p_amount (at most 1/64 of what the budget has not handed out, so that many
-- processes and the shards still share the end); 0 when that is below p_least. Returns
-- [granted, this transaction's id]: the lease may be spent once that transaction committed.
-- Lock order: taken after the shards (the earn's counters), like a refill.
CREATE FUNCTION rules_budget_lease(p_code text, p_amount bigint, p_least bigint) RETURNS bigint[]
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_total bigint;
    v_allocated bigint;
    v_chunk bigint;
BEGIN
    SELECT total, allocated INTO v_total, v_allocated FROM rule_budgets
    WHERE kind = 'campaign_total' AND code = p_code FOR UPDATE;
    IF NOT FOUND OR v_total = 0 THEN
        RETURN ARRAY[0, 0];
    END IF;
    v_chunk := least(p_amount, (v_total - v_allocated) / 64);
    IF v_chunk < p_least THEN
        RETURN ARRAY[0, 0];
    END IF;
    UPDATE rule_budgets SET allocated = allocated + v_chunk, leased = leased + v_chunk
    WHERE kind = 'campaign_total' AND code = p_code;
    RETURN ARRAY[v_chunk, pg_current_xact_id()::text::bigint];
END $$;

-- A void gives back points an earn granted from a lease.
CREATE FUNCTION rules_lease_give_back(p_code text, p_points bigint) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    UPDATE rule_budgets SET allocated = greatest(allocated - p_points, 0), leased = greatest(leased - p_points, 0)
    WHERE kind = 'campaign_total' AND code = p_code;
$$;
