-- A member's tasks go to People in the order their events happened, not the order they arrived: the
-- tier service's TIER_UPGRADE can reach this service before the points service's accrual that caused
-- it (each service exports its own outbox). NULL for tasks that come from no event (attributes).
ALTER TABLE cdp_tasks ADD COLUMN occurred_at timestamptz;
