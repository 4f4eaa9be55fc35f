"""An invoice as CSV or PDF (reportlab): header, totals, and every statement line."""

import csv
import io

import asyncpg
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.billing import periods
from services.common.errors import invalid

TOTAL_FIELDS = (
    ("Issued points", "issued_points"), ("Issued value", "issued_value"),
    ("Redeemed points", "redeemed_points"), ("Redeemed value", "redeemed_value"),
    ("Correction points", "correction_points"), ("Correction value", "correction_value"),
    ("Net value", "net_value"), ("Lines", "line_count"),
)
LINE_HEADER = ("occurred_at", "kind", "transaction_id", "voided_transaction_id", "points", "rate", "value",
               "purchase_amount", "location_code", "campaign_code", "correction", "reference_period")


def _line_cells(line: asyncpg.Record) -> list[str]:
    return [line["occurred_at"].isoformat(), line["kind"], line["transaction_id"], line["voided_transaction_id"],
            str(line["points"]), str(line["rate"]), str(line["value"]), str(line["purchase_amount"]),
            line["location_code"], line["campaign_code"], "yes" if line["correction"] else "",
            periods.fmt(line["reference_period"]) if line["correction"] else ""]


def _header(invoice: asyncpg.Record, partner_name: str, program_code: str) -> list[tuple[str, str]]:
    return [("Invoice", invoice["number"]), ("Program", program_code), ("Partner", invoice["partner_code"]),
            ("Partner name", partner_name), ("Period", periods.fmt(invoice["period"])),
            ("Issued at", invoice["issued_at"].isoformat()), ("Currency", invoice["currency"]),
            ("Amount due", str(invoice["amount_due"]))]


def render_csv(invoice: asyncpg.Record, *, partner_name: str, program_code: str, lines: list[asyncpg.Record]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for key, value in _header(invoice, partner_name, program_code):
        writer.writerow([key, value])
    for label, field in TOTAL_FIELDS:
        writer.writerow([label, str(invoice[field])])
    writer.writerow([])
    writer.writerow(LINE_HEADER)
    for line in lines:
        writer.writerow(_line_cells(line))
    return out.getvalue().encode()


def render_pdf(invoice: asyncpg.Record, *, partner_name: str, program_code: str, lines: list[asyncpg.Record]) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=f"Invoice {invoice['number']}")
    styles = getSampleStyleSheet()
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8)])
    story = [Paragraph(f"Invoice {invoice['number']}", styles["Title"]),
             Table([[k, v] for k, v in _header(invoice, partner_name, program_code)], style=grid),
             Spacer(1, 12), Paragraph("Totals", styles["Heading2"]),
             Table([[label, str(invoice[field])] for label, field in TOTAL_FIELDS], style=grid),
             Spacer(1, 12), Paragraph("Lines", styles["Heading2"])]
    rows = [list(LINE_HEADER)] + [_line_cells(line) for line in lines]
    story.append(Table(rows, style=grid, repeatRows=1))
    doc.build(story)
    return buffer.getvalue()


def render(fmt: str, invoice: asyncpg.Record, *, partner_name: str, program_code: str,
           lines: list[asyncpg.Record]) -> bytes:
    if fmt not in ("csv", "pdf"):
        raise invalid("format", "must be csv or pdf")
    renderer = render_pdf if fmt == "pdf" else render_csv
    return renderer(invoice, partner_name=partner_name, program_code=program_code, lines=lines)
