-- The relays read the events not yet delivered in id order. Without an index of exactly those, the
-- read walked the primary key from the first event ever written past every delivered one (24 ms a
-- batch with 200,000 rows behind it, the largest statement per earn): this index holds only the
-- undelivered, so a batch reads its own rows whatever the table's size.
CREATE INDEX IF NOT EXISTS outbox_undelivered_id ON outbox (id) WHERE delivered_at IS NULL;
