-- The relays read the events not yet delivered in id order. The older partial index is ordered by
-- the retry time, so that read sorted every undelivered row (or walked the primary key past delivered
-- ones when estimates lagged); this one holds only the undelivered, in the order they are read.
CREATE INDEX IF NOT EXISTS outbox_undelivered_id ON outbox (id) WHERE delivered_at IS NULL;
