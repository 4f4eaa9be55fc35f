-- The SQL lot expiry agrees with ledger/expiry.py everywhere (tests/test_expiry_equality.py holds them
-- together). Where the local midnight that ends a lot's last valid day happens twice (clocks go back
-- at midnight, as in America/Havana), the lot now expires at the first one, as Python's zoneinfo
-- (fold=0) and the online postings say; `timestamp AT TIME ZONE` alone took the second.
CREATE OR REPLACE FUNCTION policy_lot_expiry(earned timestamptz, tz text, days int, month_end boolean)
    RETURNS timestamptz LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $$
    WITH midnight AS (  -- the local midnight after the last valid local day
        SELECT (CASE WHEN month_end
                     THEN (date_trunc('month', ((earned AT TIME ZONE tz)::date + days)::timestamp)
                           + interval '1 month')::date
                     ELSE (earned AT TIME ZONE tz)::date + days + 1 END)::timestamp AS local
    ), later AS (
        SELECT local, local AT TIME ZONE tz AS instant FROM midnight
    ), earlier AS (  -- the same local time under the UTC offset of six hours before
        SELECT local, instant, instant - (((instant - interval '6 hours') AT TIME ZONE tz)
                                          - ((instant - interval '6 hours') AT TIME ZONE 'UTC')
                                          - ((instant AT TIME ZONE tz) - (instant AT TIME ZONE 'UTC'))) AS first
        FROM later
    )
    SELECT CASE WHEN days <= 0 THEN NULL
                WHEN first < instant AND (first AT TIME ZONE tz) = local THEN first
                ELSE instant END
    FROM earlier
$$;
