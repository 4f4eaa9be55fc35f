"""The webhook part of docs/events.md (scripts/gen_events_doc.py), kept beside the code it describes."""

TEXT = """\
## Webhooks

Not yet available.
"""
