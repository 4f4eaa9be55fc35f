-- rules_take without a second write per counter: an existing counter row is locked with
-- SELECT ... FOR UPDATE (no new row version); only a missing one is inserted. The final UPDATE
-- is the one write of what the earn was granted.
CREATE OR REPLACE FUNCTION rules_take(p_member uuid, p_counters jsonb, p_lines jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    v_program uuid := current_program_id();
    c jsonb;
    line jsonb;
    ref text;
    v_used bigint;
    v_points bigint;
    v_have bigint;
    v_binding int;
    v_idx int;
    v_left jsonb := '{}';
    v_add jsonb := '{}';
    v_out jsonb := '[]';
BEGIN
    FOR c IN SELECT value FROM jsonb_array_elements(p_counters) LOOP
        SELECT points INTO v_used FROM rule_usage
        WHERE kind = c->>'kind' AND key = c->>'key'
          AND member_id IS NOT DISTINCT FROM (CASE WHEN (c->>'member')::boolean THEN p_member END)
          AND day IS NOT DISTINCT FROM (c->>'day')::date
        FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO rule_usage(program_id, kind, key, member_id, day)
            VALUES (v_program, c->>'kind', c->>'key', CASE WHEN (c->>'member')::boolean THEN p_member END,
                    (c->>'day')::date)
            ON CONFLICT (program_id, kind, key, member_id, day) DO UPDATE SET points = rule_usage.points
            RETURNING points INTO v_used;
        END IF;
        IF c->>'kind' = 'campaign_total' THEN
            SELECT coalesce(sum(points), 0) INTO v_used FROM rule_usage
            WHERE kind = 'campaign_total' AND split_part(key, '#', 1) = c->>'code';
        END IF;
        v_left := v_left || jsonb_build_object(c->>'id', greatest((c->>'limit')::bigint - v_used, 0));
    END LOOP;
    FOR line IN SELECT value FROM jsonb_array_elements(p_lines) LOOP
        v_points := (line->>'points')::bigint;
        v_binding := NULL;
        v_idx := 0;
        FOR ref IN SELECT value FROM jsonb_array_elements_text(line->'counters') LOOP
            v_have := (v_left->>ref)::bigint;
            IF v_points > v_have THEN
                v_points := v_have;
                v_binding := v_idx;
            END IF;
            v_idx := v_idx + 1;
        END LOOP;
        FOR ref IN SELECT value FROM jsonb_array_elements_text(line->'counters') LOOP
            v_left := v_left || jsonb_build_object(ref, (v_left->>ref)::bigint - v_points);
            v_add := v_add || jsonb_build_object(ref, coalesce((v_add->>ref)::bigint, 0) + v_points);
        END LOOP;
        v_out := v_out || jsonb_build_array(jsonb_build_array(v_points, v_binding));
    END LOOP;
    FOR c IN SELECT value FROM jsonb_array_elements(p_counters) LOOP
        IF coalesce((v_add->>(c->>'id'))::bigint, 0) > 0 THEN
            UPDATE rule_usage SET points = points + (v_add->>(c->>'id'))::bigint, transactions = transactions + 1
            WHERE kind = c->>'kind' AND key = c->>'key'
              AND member_id IS NOT DISTINCT FROM (CASE WHEN (c->>'member')::boolean THEN p_member END)
              AND day IS NOT DISTINCT FROM (c->>'day')::date;
        END IF;
    END LOOP;
    RETURN v_out;
END $$;
