-- A delivery's key leads with its event: deleting a pruned event (outbox.prune_done) checks its
-- foreign key by event_id, which the key (subscriber, event_id) could only answer with a scan of
-- every delivery per event. Each lookup the relay makes names both columns, so either order serves
-- it; new deliveries now append at the key's right edge instead of one place per subscriber.
ALTER TABLE outbox_deliveries DROP CONSTRAINT outbox_deliveries_pkey,
                              ADD PRIMARY KEY (event_id, subscriber);
