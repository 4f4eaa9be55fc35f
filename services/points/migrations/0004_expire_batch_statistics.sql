-- The expiry job's step, with statistics on its working tables (see 0002 for the first version).

CREATE OR REPLACE FUNCTION ledger_expire_batch(p_now timestamptz, p_limit int) RETURNS bigint
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_program uuid := current_program_id();
    v_members uuid[];
    v_breakage bigint;
    v_lots bigint;
BEGIN
    SELECT array_agg(member_id ORDER BY member_id) INTO v_members FROM (
        SELECT DISTINCT member_id FROM lots
        WHERE remaining > 0 AND expires_at <= p_now ORDER BY member_id LIMIT p_limit
    ) s;
    IF v_members IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM 1 FROM members WHERE id = ANY(v_members) ORDER BY id FOR UPDATE;
    SELECT id INTO v_breakage FROM accounts WHERE kind = 'breakage' AND member_id IS NULL;

    CREATE TEMP TABLE IF NOT EXISTS pg_temp.expiring (lot_id bigint, member_id uuid, points bigint) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.expiring_members (member_id uuid, txn uuid, total bigint,
                                                              loyalty_number text) ON COMMIT DELETE ROWS;
    TRUNCATE pg_temp.expiring, pg_temp.expiring_members;
    INSERT INTO pg_temp.expiring
    SELECT id, member_id, remaining FROM lots
    WHERE member_id = ANY(v_members) AND remaining > 0 AND expires_at <= p_now;
    GET DIAGNOSTICS v_lots = ROW_COUNT;
    INSERT INTO pg_temp.expiring_members
    SELECT e.member_id, gen_random_uuid(), sum(e.points), min(m.loyalty_number)
    FROM pg_temp.expiring e JOIN members m ON m.id = e.member_id GROUP BY e.member_id;
    ANALYZE pg_temp.expiring;  -- temporary tables have no statistics: without them the joins below
    ANALYZE pg_temp.expiring_members;  -- may be planned as nested loops, quadratic in a batch

    INSERT INTO transactions(program_id, id, kind, reference, member_id, points, occurred_at, details)
    SELECT v_program, txn, 'EXPIRE', 'expire:' || txn, member_id, -total, p_now, '{}'::jsonb FROM pg_temp.expiring_members;
    WITH debited AS (
        UPDATE accounts a SET balance = a.balance - em.total FROM pg_temp.expiring_members em
        WHERE a.kind = 'member_available' AND a.member_id = em.member_id
        RETURNING a.id, em.txn, em.total
    )
    INSERT INTO entries(program_id, transaction_id, account_id, amount)
    SELECT v_program, txn, id, -total FROM debited
    UNION ALL SELECT v_program, txn, v_breakage, total FROM pg_temp.expiring_members;
    INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
    SELECT v_program, e.lot_id, em.txn, em.txn, -e.points
    FROM pg_temp.expiring e JOIN pg_temp.expiring_members em USING (member_id);
    UPDATE lots SET remaining = 0 FROM pg_temp.expiring e WHERE lots.id = e.lot_id;
    INSERT INTO outbox(program_id, event_type, payload)
    SELECT v_program, 'LOY_POINT_EXPIRY', jsonb_build_object(
        'event_type', 'LOY_POINT_EXPIRY', 'transaction_id', txn, 'transaction_kind', 'EXPIRE',
        'member_id', member_id, 'loyalty_number', loyalty_number, 'points', -total,
        'occurred_at', to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'reference', 'expire:' || txn)
    FROM pg_temp.expiring_members ORDER BY member_id;
    RETURN v_lots;
END $$;
