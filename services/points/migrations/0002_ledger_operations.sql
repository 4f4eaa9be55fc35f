-- The ledger's operations: burn, holds, voids, transfers, merges, expiry. See docs/ledger.md.

ALTER TABLE programs
    ADD COLUMN retro_claim_days int NOT NULL DEFAULT 30,
    ADD COLUMN hold_timeout_seconds int NOT NULL DEFAULT 900;

-- Program ids only (no tenant data), so batch jobs can loop over programs and then set
-- app.program_id for each; every other table stays behind row-level security.
CREATE TABLE known_programs (
    id uuid PRIMARY KEY
);

ALTER TABLE transactions
    ADD COLUMN counterparty_id uuid,      -- the other member of a TRANSFER or MERGE
    ADD COLUMN target_id uuid REFERENCES transactions(id),  -- what a VOID/CAPTURE/RELEASE/ACTIVATE acted on
    ADD COLUMN order_reference text;      -- groups an order's postings for a void of the whole order
CREATE INDEX transactions_target ON transactions (target_id) WHERE target_id IS NOT NULL;
CREATE INDEX transactions_order ON transactions (program_id, order_reference) WHERE order_reference IS NOT NULL;
CREATE INDEX transactions_counterparty ON transactions (program_id, counterparty_id, occurred_at DESC)
    WHERE counterparty_id IS NOT NULL;
CREATE INDEX transactions_kind_time ON transactions (program_id, kind, occurred_at);

ALTER TABLE lots ADD COLUMN source_lot_id bigint REFERENCES lots(id);  -- a lot moved by TRANSFER or MERGE
CREATE INDEX lots_transaction ON lots (transaction_id);
CREATE INDEX lots_expiring ON lots (program_id, expires_at, member_id) WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Every change of a lot's remainder, and the transaction whose consumption it belongs to
-- (a burn, a hold, a transfer): a void or a release gives points back to the lots they came from.
CREATE TABLE lot_movements (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    lot_id bigint NOT NULL REFERENCES lots(id),
    transaction_id uuid NOT NULL REFERENCES transactions(id),
    source_transaction_id uuid NOT NULL,
    delta bigint NOT NULL CHECK (delta <> 0)
);
ALTER TABLE lot_movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE lot_movements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lot_movements USING (program_id = current_program_id());
CREATE INDEX lot_movements_source ON lot_movements (source_transaction_id);
CREATE TRIGGER lot_movements_append_only BEFORE UPDATE OR DELETE ON lot_movements
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Two-phase redemptions: reserved points sit in the member_held account until captured or released.
CREATE TABLE holds (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY REFERENCES transactions(id),  -- the HOLD transaction
    member_id uuid NOT NULL,
    reference text NOT NULL,
    order_reference text,
    points bigint NOT NULL CHECK (points > 0),
    captured bigint NOT NULL DEFAULT 0 CHECK (captured >= 0),
    released bigint NOT NULL DEFAULT 0 CHECK (released >= 0),
    expires_at timestamptz NOT NULL,
    CHECK (captured + released <= points),
    UNIQUE (program_id, reference)
);
ALTER TABLE holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON holds USING (program_id = current_program_id());
CREATE INDEX holds_open ON holds (program_id, expires_at) WHERE captured + released < points;
CREATE INDEX holds_member_open ON holds (member_id) WHERE captured + released < points;

-- Outbox delivery per subscriber: one failing consumer neither blocks nor duplicates the others.
CREATE TABLE outbox_deliveries (
    subscriber text NOT NULL,
    event_id bigint NOT NULL REFERENCES outbox(id),
    delivered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber, event_id)
);
CREATE TABLE outbox_subscribers (
    subscriber text PRIMARY KEY,
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text
);

-- ---------------------------------------------------------------------------------------------
-- Lots: consume soonest-expiring first (the transaction's own lots first when `prefer` is given);
-- restore to the lots a source transaction consumed (latest-expiring first).

CREATE FUNCTION ledger_consume(p_member uuid, p_points bigint, p_txn uuid, p_source uuid, p_prefer uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    need bigint := p_points;
    r record;
    take bigint;
    moved jsonb := '[]';
BEGIN
    FOR r IN
        SELECT id, remaining, expires_at, earned_at FROM lots
        WHERE member_id = p_member AND remaining > 0 AND (expires_at IS NULL OR expires_at > now())
        ORDER BY (transaction_id = p_prefer) IS TRUE DESC, expires_at NULLS LAST, id
        FOR UPDATE
    LOOP
        take := least(need, r.remaining);
        UPDATE lots SET remaining = remaining - take WHERE id = r.id;
        INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
        VALUES (current_program_id(), r.id, p_txn, p_source, -take);
        moved := moved || jsonb_build_object('lot', r.id, 'points', take, 'expires_at', r.expires_at,
                                             'earned_at', r.earned_at);
        need := need - take;
        EXIT WHEN need = 0;
    END LOOP;
    IF need > 0 THEN
        RAISE EXCEPTION 'INSUFFICIENT_POINTS: % more points needed than the member can spend', need
            USING ERRCODE = 'LY001';
    END IF;
    RETURN moved;
END $$;

CREATE FUNCTION ledger_restore(p_member uuid, p_points bigint, p_txn uuid, p_source uuid)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    need bigint := p_points;
    r record;
    give bigint;
BEGIN
    FOR r IN
        SELECT l.id, net.points FROM (
            SELECT lot_id, -sum(delta) AS points FROM lot_movements
            WHERE source_transaction_id = p_source GROUP BY lot_id HAVING -sum(delta) > 0
        ) net JOIN lots l ON l.id = net.lot_id
        WHERE l.member_id = p_member
        ORDER BY l.expires_at DESC NULLS FIRST, l.id DESC
        FOR UPDATE OF l
    LOOP
        give := least(need, r.points);
        UPDATE lots SET remaining = remaining + give WHERE id = r.id;
        INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
        VALUES (current_program_id(), r.id, p_txn, p_source, give);
        need := need - give;
        EXIT WHEN need = 0;
    END LOOP;
    IF need > 0 THEN  -- nothing traceable left (e.g. imported history): a lot that never expires
        INSERT INTO lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at)
        VALUES (current_program_id(), p_member, p_txn, need, need, now(), NULL);
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- One posting in one call: the transaction, its legs (entries + balances + lots) and its events.
-- A leg: {"member": uuid|null, "account": kind, "amount": signed,
--         "lots": null|"create"|"consume"|"restore"|"mirror", "source": uuid, "prefer": uuid,
--         "expires_at": timestamptz, "earned_at": timestamptz}
-- "mirror" creates lots copying the ones the previous "consume" leg took (same expiry, traceable).
-- Returns the new available balance of p_member.

CREATE FUNCTION ledger_post(
    p_id uuid, p_kind text, p_reference text, p_member uuid, p_counterparty uuid, p_points bigint,
    p_amount numeric, p_currency text, p_occurred timestamptz, p_details jsonb, p_target uuid,
    p_order text, p_legs jsonb, p_events jsonb
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_program uuid := current_program_id();
    leg jsonb;
    v_member uuid;
    v_account bigint;
    v_amount bigint;
    v_moved jsonb := '[]';
    m jsonb;
    ev jsonb;
BEGIN
    INSERT INTO transactions(program_id, id, kind, reference, member_id, counterparty_id, points, amount,
                             currency, occurred_at, details, target_id, order_reference)
    VALUES (v_program, p_id, p_kind, p_reference, p_member, p_counterparty, p_points, p_amount, p_currency,
            p_occurred, p_details, p_target, p_order);
    FOR leg IN SELECT value FROM jsonb_array_elements(p_legs) LOOP
        v_amount := (leg->>'amount')::bigint;
        v_member := (leg->>'member')::uuid;
        IF v_amount = 0 THEN CONTINUE; END IF;
        IF v_member IS NULL THEN
            SELECT id INTO v_account FROM accounts WHERE kind = leg->>'account' AND member_id IS NULL;
        ELSIF v_amount > 0 THEN
            INSERT INTO accounts(program_id, kind, member_id, balance) VALUES (v_program, leg->>'account', v_member, v_amount)
            ON CONFLICT (program_id, kind, member_id) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance
            RETURNING id INTO v_account;
        ELSE
            UPDATE accounts SET balance = balance + v_amount
            WHERE kind = leg->>'account' AND member_id = v_member AND balance + v_amount >= 0
            RETURNING id INTO v_account;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'INSUFFICIENT_POINTS: the member''s % balance is below %', leg->>'account', -v_amount
                    USING ERRCODE = 'LY001';
            END IF;
        END IF;
        IF v_account IS NULL THEN
            RAISE EXCEPTION 'program account % is missing', leg->>'account';
        END IF;
        INSERT INTO entries(program_id, transaction_id, account_id, amount) VALUES (v_program, p_id, v_account, v_amount);
        CASE leg->>'lots'
            WHEN 'create' THEN
                INSERT INTO lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at)
                VALUES (v_program, v_member, p_id, v_amount, v_amount,
                        coalesce((leg->>'earned_at')::timestamptz, p_occurred), (leg->>'expires_at')::timestamptz);
            WHEN 'consume' THEN
                v_moved := ledger_consume(v_member, -v_amount, p_id, coalesce((leg->>'source')::uuid, p_id),
                                          (leg->>'prefer')::uuid);
            WHEN 'restore' THEN
                PERFORM ledger_restore(v_member, v_amount, p_id, coalesce((leg->>'source')::uuid, p_id));
            WHEN 'mirror' THEN
                FOR m IN SELECT value FROM jsonb_array_elements(v_moved) LOOP
                    INSERT INTO lots(program_id, member_id, transaction_id, points, remaining, earned_at, expires_at,
                                     source_lot_id)
                    VALUES (v_program, v_member, p_id, (m->>'points')::bigint, (m->>'points')::bigint,
                            (m->>'earned_at')::timestamptz, (m->>'expires_at')::timestamptz, (m->>'lot')::bigint);
                END LOOP;
            ELSE NULL;
        END CASE;
    END LOOP;
    FOR ev IN SELECT value FROM jsonb_array_elements(coalesce(p_events, '[]')) LOOP
        INSERT INTO outbox(program_id, event_type, payload) VALUES (v_program, ev->>'event_type', ev);
    END LOOP;
    RETURN (SELECT coalesce(max(balance), 0) FROM accounts WHERE kind = 'member_available' AND member_id = p_member);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Expiry of one member's lots past their date (as of p_now), as one EXPIRE posting.

CREATE FUNCTION ledger_expire_member(p_member uuid, p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_total bigint;
    v_txn uuid := gen_random_uuid();
    v_number text;
BEGIN
    SELECT sum(remaining) INTO v_total FROM lots
    WHERE member_id = p_member AND remaining > 0 AND expires_at <= p_now;
    IF coalesce(v_total, 0) = 0 THEN
        RETURN 0;
    END IF;
    SELECT loyalty_number INTO v_number FROM members WHERE id = p_member;
    PERFORM ledger_post(
        v_txn, 'EXPIRE', 'expire:' || v_txn, p_member, NULL, -v_total, NULL, NULL, p_now, '{}'::jsonb, NULL, NULL,
        jsonb_build_array(
            jsonb_build_object('member', p_member, 'account', 'member_available', 'amount', -v_total),
            jsonb_build_object('account', 'breakage', 'amount', v_total)),
        jsonb_build_array(jsonb_build_object(
            'event_type', 'LOY_POINT_EXPIRY', 'transaction_id', v_txn, 'transaction_kind', 'EXPIRE',
            'member_id', p_member, 'loyalty_number', v_number, 'points', -v_total,
            'occurred_at', to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'reference', 'expire:' || v_txn)));
    WITH gone AS (
        SELECT id, remaining FROM lots WHERE member_id = p_member AND remaining > 0 AND expires_at <= p_now
    ), moved AS (
        INSERT INTO lot_movements(program_id, lot_id, transaction_id, source_transaction_id, delta)
        SELECT current_program_id(), id, v_txn, v_txn, -remaining FROM gone
    )
    UPDATE lots SET remaining = 0 FROM gone WHERE lots.id = gone.id;
    RETURN v_total;
END $$;

-- Release of one hold (part or all of its open remainder): held points back to the member's lots.
CREATE FUNCTION ledger_release_hold(p_hold uuid, p_points bigint, p_txn uuid, p_kind text, p_reference text,
                                    p_details jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    h holds%ROWTYPE;
    v_balance bigint;
BEGIN
    SELECT * INTO h FROM holds WHERE id = p_hold FOR UPDATE;
    IF p_points <= 0 OR p_points > h.points - h.captured - h.released THEN
        RAISE EXCEPTION 'HOLD_NOT_ACTIVE: hold % has only % points open', h.reference, h.points - h.captured - h.released
            USING ERRCODE = 'LY002';
    END IF;
    UPDATE holds SET released = released + p_points WHERE id = p_hold;
    v_balance := ledger_post(
        p_txn, p_kind, p_reference, h.member_id, NULL, p_points, NULL, NULL, now(), p_details, p_hold,
        h.order_reference,
        jsonb_build_array(
            jsonb_build_object('member', h.member_id, 'account', 'member_held', 'amount', -p_points),
            jsonb_build_object('member', h.member_id, 'account', 'member_available', 'amount', p_points,
                               'lots', 'restore', 'source', p_hold)),
        NULL);
    RETURN v_balance;
END $$;

-- Before any balance-changing operation: lock the members (in id order), expire their lots past
-- date and release their holds past timeout, so an expired hold never blocks spending.
CREATE FUNCTION ledger_touch(p_members uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m uuid;
    h record;
    v_txn uuid;
BEGIN
    PERFORM 1 FROM members WHERE id = ANY(p_members) ORDER BY id FOR UPDATE;
    FOR m IN SELECT DISTINCT x FROM unnest(p_members) x ORDER BY x LOOP
        FOR h IN SELECT id, points - captured - released AS open FROM holds
                 WHERE member_id = m AND captured + released < points AND expires_at <= now() ORDER BY id LOOP
            v_txn := gen_random_uuid();
            PERFORM ledger_release_hold(h.id, h.open, v_txn, 'RELEASE', 'release:' || v_txn,
                                        '{"reason": "hold timed out"}'::jsonb);
        END LOOP;
        PERFORM ledger_expire_member(m, now());
    END LOOP;
END $$;

-- The expiry job's step: up to p_limit members with lots past date (as of p_now), set-based.
-- Each call is its own transaction: a killed job resumes where it stopped; a rerun finds nothing.
CREATE FUNCTION ledger_expire_batch(p_now timestamptz, p_limit int) RETURNS bigint
LANGUAGE plpgsql AS $$
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
