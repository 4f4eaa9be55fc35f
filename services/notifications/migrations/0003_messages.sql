-- Member messages (templates.py, messages.py, senders.py, expiry_warnings.py).

-- A program's own wording of a message kind in a language; a kind/language it has not written is
-- rendered from the shipped default (templates.DEFAULTS).
CREATE TABLE message_templates (
    program_id uuid NOT NULL,
    kind text NOT NULL,
    language text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    sms text NOT NULL DEFAULT '',
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, kind, language)
);
ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_templates USING (program_id = current_program_id());

-- Per program: the fallback language, the time zone of its quiet hours (no message is sent from
-- quiet_start to quiet_end, local time; equal means none) and the expiry warning offsets in days.
CREATE TABLE message_settings (
    program_id uuid PRIMARY KEY,
    fallback_language text NOT NULL DEFAULT 'en',
    time_zone text NOT NULL DEFAULT 'UTC',
    quiet_start time NOT NULL DEFAULT '00:00',
    quiet_end time NOT NULL DEFAULT '00:00',
    expiry_offsets int[] NOT NULL DEFAULT '{30,7}'
);
ALTER TABLE message_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_settings USING (program_id = current_program_id());

-- One row per message a member is due: `key` (the event and kind, or the lot's expiry date and
-- offset) makes it at most once however often its cause arrives. The row is its log: status
-- queued -> sent | failed | skipped (opted out, no consent, no address), with channel and error.
CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    key text NOT NULL,
    kind text NOT NULL,
    member_id uuid,
    loyalty_number text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    channel text NOT NULL DEFAULT '',
    recipient text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    attempts int NOT NULL DEFAULT 0,
    not_before timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    error text NOT NULL DEFAULT '',
    UNIQUE (program_id, key)
);
CREATE INDEX messages_due ON messages (not_before) WHERE status = 'queued';
CREATE INDEX messages_member ON messages (program_id, loyalty_number, id);
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messages USING (program_id = current_program_id());
