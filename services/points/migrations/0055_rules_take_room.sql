-- rules_take (0052) for reserved budget shards (0053) and the earn hot path.
-- p_counters: [{"kind", "key", "member": bool, "day", "limit", "code", "want"}] in lock order, where
-- `want` is the most this earn could add to the counter (the sum of its lines' points before clamping)
-- p_lines: [{"points", "counters": [1-based positions in p_counters]}]
-- Returns [[points per line], [binding per line: 0-based index in the line's counters, or null]].
-- One statement per counter in the usual case: each counter, in lock order, is first added to in
-- full (all its lines want) by an UPDATE that only matches when there is room (a cap far from
-- reached, a budget shard with reservation left); that UPDATE also locks it. Only a counter without
-- room or without a row yet is read and locked (and a total budget's shard refilled). Counter rows
-- are found with plain equalities (`IS NOT DISTINCT FROM` cannot use the unique index) and
-- remembered by ctid for the final write. Lines are then clamped by what the counters have left,
-- and a counter that was added to in full but whose lines got less (another counter clamped them)
-- gives the difference back.
CREATE OR REPLACE FUNCTION rules_take(p_member uuid, p_counters jsonb, p_lines jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_program uuid := current_program_id();
    c record;
    line record;
    v_member uuid;
    v_ctid tid;
    v_used bigint;
    v_reserved bigint;
    v_have bigint;
    v_points bigint;
    v_binding int;
    v_ctids tid[] := '{}';
    v_left bigint[] := '{}';
    v_add bigint[] := '{}';
    v_added bigint[] := '{}';  -- what the optimistic UPDATE already added
    v_out_points bigint[] := '{}';
    v_out_binding int[] := '{}';
    i int;
    k int;
BEGIN
    FOR c IN SELECT * FROM jsonb_to_recordset(p_counters)
             AS x(kind text, key text, member boolean, day date, "limit" bigint, code text, want bigint) LOOP
        v_member := CASE WHEN c.member THEN p_member END;
        v_ctid := NULL;
        IF c.want > 0 THEN
            IF v_member IS NULL THEN
                UPDATE rule_usage SET points = points + c.want, transactions = transactions + 1
                WHERE kind = c.kind AND key = c.key AND member_id IS NULL AND day IS NULL
                  AND (CASE WHEN c.kind IN ('campaign_total', 'discount_total') THEN reserved ELSE c."limit" END)
                      - points >= c.want
                RETURNING ctid INTO v_ctid;
            ELSIF c.day IS NULL THEN
                UPDATE rule_usage SET points = points + c.want, transactions = transactions + 1
                WHERE kind = c.kind AND key = c.key AND member_id = v_member AND day IS NULL
                  AND c."limit" - points >= c.want
                RETURNING ctid INTO v_ctid;
            ELSE
                UPDATE rule_usage SET points = points + c.want, transactions = transactions + 1
                WHERE kind = c.kind AND key = c.key AND member_id = v_member AND day = c.day
                  AND c."limit" - points >= c.want
                RETURNING ctid INTO v_ctid;
            END IF;
        END IF;
        IF v_ctid IS NOT NULL THEN
            v_ctids := v_ctids || v_ctid;
            v_left := v_left || c.want;
            v_added := v_added || c.want;
            v_add := v_add || 0::bigint;
            CONTINUE;
        END IF;
        IF v_member IS NULL THEN
            SELECT ctid, points, reserved INTO v_ctid, v_used, v_reserved FROM rule_usage
            WHERE kind = c.kind AND key = c.key AND member_id IS NULL AND day IS NULL FOR UPDATE;
        ELSIF c.day IS NULL THEN
            SELECT ctid, points, reserved INTO v_ctid, v_used, v_reserved FROM rule_usage
            WHERE kind = c.kind AND key = c.key AND member_id = v_member AND day IS NULL FOR UPDATE;
        ELSE
            SELECT ctid, points, reserved INTO v_ctid, v_used, v_reserved FROM rule_usage
            WHERE kind = c.kind AND key = c.key AND member_id = v_member AND day = c.day FOR UPDATE;
        END IF;
        IF NOT FOUND THEN
            INSERT INTO rule_usage(program_id, kind, key, member_id, day)
            VALUES (v_program, c.kind, c.key, v_member, c.day)
            ON CONFLICT (program_id, kind, key, member_id, day) DO UPDATE SET points = rule_usage.points
            RETURNING ctid, points, reserved INTO v_ctid, v_used, v_reserved;
        END IF;
        IF c.kind IN ('campaign_total', 'discount_total') THEN
            v_have := v_reserved - v_used;
            IF v_have < c.want THEN
                v_reserved := v_reserved + rules_budget_refill(c.kind, c.code, c.key, c.want - greatest(v_have, 0));
                UPDATE rule_usage SET reserved = v_reserved WHERE ctid = v_ctid RETURNING ctid INTO v_ctid;
            END IF;
            v_left := v_left || greatest(v_reserved - v_used, 0);
        ELSE
            v_left := v_left || greatest(c."limit" - v_used, 0);
        END IF;
        v_ctids := v_ctids || v_ctid;
        v_added := v_added || 0::bigint;
        v_add := v_add || 0::bigint;
    END LOOP;
    FOR line IN SELECT * FROM jsonb_to_recordset(p_lines) AS x(points bigint, counters int[]) LOOP
        v_points := line.points;
        v_binding := NULL;
        FOR k IN 1 .. coalesce(array_length(line.counters, 1), 0) LOOP
            i := line.counters[k];
            IF v_points > v_left[i] THEN
                v_points := v_left[i];
                v_binding := k - 1;
            END IF;
        END LOOP;
        FOR k IN 1 .. coalesce(array_length(line.counters, 1), 0) LOOP
            i := line.counters[k];
            v_left[i] := v_left[i] - v_points;
            v_add[i] := v_add[i] + v_points;
        END LOOP;
        v_out_points := v_out_points || v_points;
        v_out_binding := v_out_binding || v_binding;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(v_ctids, 1), 0) LOOP
        IF v_added[i] > 0 AND v_add[i] < v_added[i] THEN  -- added in full, its lines got less
            UPDATE rule_usage SET points = points - (v_added[i] - v_add[i]),
                                  transactions = transactions - CASE WHEN v_add[i] = 0 THEN 1 ELSE 0 END
            WHERE ctid = v_ctids[i];
        ELSIF v_added[i] = 0 AND v_add[i] > 0 THEN
            UPDATE rule_usage SET points = points + v_add[i], transactions = transactions + 1 WHERE ctid = v_ctids[i];
        END IF;
    END LOOP;
    RETURN jsonb_build_array(to_jsonb(v_out_points), to_jsonb(v_out_binding));
END $$;
