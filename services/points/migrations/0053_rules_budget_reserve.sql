-- Campaign budgets that are never overspent, kept off the hot path (docs/rules.md, "Caps and
-- budgets"). A campaign's total budget is still counted in 16 shards by member, but each shard
-- now holds a reservation (`reserved`) handed out in chunks by the campaign's budget row
-- (rule_budgets): an earn grants from its own shard's reservation, locking no row that earns of
-- other members need. Only when its shard runs short does it lock the budget row for another
-- chunk; when the budget has nothing left to hand out, it takes back the unused reservations of
-- the shards no other earn holds (SKIP LOCKED: it never waits on them). So the shards' points
-- never exceed their reservations, which never exceed the budget, whatever runs concurrently.
--
-- Discount rules get money budgets on the same campaigns, counted in minor units (cents):
-- discount_member (per member) and discount_total (sharded like campaign_total).
--
-- Lock order, everywhere (earn, void, saveCampaign): discount counters, then discount budget
-- rows, then point counters (campaign_member, campaign_total shards, rule_day, rule_member),
-- then point budget rows; a budget row is taken after its own shard only.

ALTER TABLE rule_usage ADD COLUMN reserved bigint NOT NULL DEFAULT 0;
ALTER TABLE rule_usage DROP CONSTRAINT rule_usage_kind_check;
ALTER TABLE rule_usage ADD CONSTRAINT rule_usage_kind_check CHECK (kind IN (
    'rule_day', 'rule_member', 'campaign_member', 'campaign_total', 'discount_member', 'discount_total'));

ALTER TABLE campaigns
    ADD COLUMN discount_budget_total numeric(18, 2) NOT NULL DEFAULT 0 CHECK (discount_budget_total >= 0),
    ADD COLUMN discount_budget_per_member numeric(18, 2) NOT NULL DEFAULT 0 CHECK (discount_budget_per_member >= 0);

-- A campaign's total budget (points, or discount cents) and how much of it the shards reserved.
CREATE TABLE rule_budgets (
    program_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('campaign_total', 'discount_total')),
    code text NOT NULL,
    total bigint NOT NULL,       -- 0: unlimited
    allocated bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, kind, code)
);
ALTER TABLE rule_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_budgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_budgets USING (program_id = current_program_id());

-- Shards written before this migration used their points without a reservation: they now hold
-- exactly what they used, and their campaign has allocated that much.
ALTER TABLE rule_usage NO FORCE ROW LEVEL SECURITY;
ALTER TABLE campaigns NO FORCE ROW LEVEL SECURITY;
ALTER TABLE rule_budgets NO FORCE ROW LEVEL SECURITY;
UPDATE rule_usage SET reserved = points WHERE kind = 'campaign_total';
INSERT INTO rule_budgets(program_id, kind, code, total, allocated)
SELECT c.program_id, 'campaign_total', c.code, c.budget_total,
       coalesce((SELECT sum(u.points) FROM rule_usage u WHERE u.program_id = c.program_id
                 AND u.kind = 'campaign_total' AND split_part(u.key, '#', 1) = c.code), 0)
FROM campaigns c;
INSERT INTO rule_budgets(program_id, kind, code, total) SELECT program_id, 'discount_total', code, 0 FROM campaigns;
ALTER TABLE rule_usage FORCE ROW LEVEL SECURITY;
ALTER TABLE campaigns FORCE ROW LEVEL SECURITY;
ALTER TABLE rule_budgets FORCE ROW LEVEL SECURITY;

-- More reservation for one shard of a campaign's total budget (points or discount cents): at
-- least p_need when the budget has it, else what is left. Called with the shard row locked.
CREATE FUNCTION rules_budget_refill(p_kind text, p_code text, p_shard_key text, p_need bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_total bigint;
    v_allocated bigint;
    v_free bigint;
    v_reclaimed bigint;
    v_chunk bigint;
BEGIN
    SELECT total, allocated INTO v_total, v_allocated FROM rule_budgets
    WHERE kind = p_kind AND code = p_code FOR UPDATE;
    IF NOT FOUND THEN  -- no such campaign: nothing can be granted from its budget
        RETURN 0;
    END IF;
    IF v_total = 0 THEN  -- the budget was lifted since the rules were cached: nothing to guard
        RETURN p_need;
    END IF;
    v_free := v_total - v_allocated;
    IF v_free < p_need THEN
        -- near the end: take back what other shards reserved and did not use, from the shards
        -- no concurrent earn holds (waiting on them could deadlock with their own refill)
        WITH spare AS (
            SELECT key, reserved - points AS unused FROM rule_usage
            WHERE kind = p_kind AND split_part(key, '#', 1) = p_code AND key <> p_shard_key AND reserved > points
            FOR UPDATE SKIP LOCKED
        ), taken AS (
            UPDATE rule_usage u SET reserved = u.points FROM spare
            WHERE u.kind = p_kind AND u.key = spare.key AND u.member_id IS NULL AND u.day IS NULL
            RETURNING spare.unused
        )
        SELECT coalesce(sum(unused), 0) INTO v_reclaimed FROM taken;
        v_allocated := v_allocated - v_reclaimed;
        v_free := v_total - v_allocated;
    END IF;
    -- a chunk of 1/64 of the budget keeps most earns off the campaign row; near the end, what is left
    v_chunk := greatest(least(v_free, greatest(p_need, v_total / 64)), 0);
    UPDATE rule_budgets SET allocated = v_allocated + v_chunk WHERE kind = p_kind AND code = p_code;
    RETURN v_chunk;
END $$;

-- A void gives back what its earn took: p_counters [{"kind", "key", "member": bool, "day", "points"}].
-- Never below zero (a counter may have been reset or never written).
CREATE FUNCTION rules_give_back(p_member uuid, p_counters jsonb) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    c jsonb;
BEGIN
    -- the caller sends them in the lock order above
    FOR c IN SELECT value FROM jsonb_array_elements(p_counters) LOOP
        UPDATE rule_usage SET points = greatest(points - (c->>'points')::bigint, 0)
        WHERE kind = c->>'kind' AND key = c->>'key'
          AND member_id IS NOT DISTINCT FROM (CASE WHEN (c->>'member')::boolean THEN p_member END)
          AND day IS NOT DISTINCT FROM (c->>'day')::date;
    END LOOP;
END $$;
