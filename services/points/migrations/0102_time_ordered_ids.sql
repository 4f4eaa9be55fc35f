-- UUIDv7 layout (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made close in time
-- sort close together, so millions of imported postings append to the ledger's indexes on
-- transaction ids instead of landing on random pages of indexes far larger than memory.
CREATE FUNCTION time_ordered_uuid() RETURNS uuid LANGUAGE sql VOLATILE SET search_path FROM CURRENT AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;
