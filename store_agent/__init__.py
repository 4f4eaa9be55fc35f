"""The store agent: the till-side process between a POS, the loyalty platform and the receipt printer.

It queues earns, voids and enrolments durably before forwarding them (so a till keeps selling
while the line is down), serves a small local HTTP API and a terminal UI for enrol, enquire,
earn and redeem, and intercepts the raw print stream to add the loyalty block to receipts.
"""

__version__ = "0.1.0"
