-- Quiet hours and expiry dates in the program's own time zone unless its message settings name one.
ALTER TABLE message_settings ALTER COLUMN time_zone SET DEFAULT '';
