"""Invoice numbering under concurrent closes, reruns issuing nothing, and the documents."""

import asyncio
import csv
import io
import json
import subprocess
import sys
from decimal import Decimal

import pypdf
import pytest

from services.billing import documents, invoicing
from services.billing.tests.helpers import add_card, add_partner, event, feed, local, new_program, program_code
from services.common.errors import DomainError, ErrorCode
from tests.fixtures.postgres import ROOT

MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


async def busy_program(pool):
    """Three partners with activity in each of eight months."""
    program_id = await new_program(pool)
    for code in ("A", "B", "C"):
        await add_partner(pool, program_id, code)
        await add_card(pool, program_id, partner=code, issue="0.0125", redeem="0.01")
    events = []
    for m in range(1, 9):
        for code in ("A", "B", "C"):
            events.append(event(kind="EARN", points=100 * m, at=local(2026, m, 15), partner=code, amount="9.99"))
            events.append(event(kind="BURN", points=-7, at=local(2026, m, 16), partner=code))
    await feed(pool, program_id, events)
    return program_id


async def test_concurrent_closes_number_invoices_without_gaps_or_duplicates(pools):
    # given eight months of activity for three partners
    pool = pools["billing"]
    program_id = await busy_program(pool)

    # when every month is closed at once, each month twice
    results = await asyncio.gather(*(invoicing.close_period(pool, program_id, period=p) for p in MONTHS * 2))

    # then each month closed exactly once and the invoices are numbered 1..24 with no gap or repeat
    assert sorted(r[0].strftime("%Y-%m") for r in results if r[1]) == MONTHS
    issued = [i for r in results for i in r[2]]
    assert sorted(i["sequence"] for i in issued) == list(range(1, 25))
    assert len({i["number"] for i in issued}) == 24
    assert all(not r[2] for r in results if not r[1])
    listed = await invoicing.list_invoices(pool, program_id)
    assert [i["sequence"] for i in listed] == list(range(1, 25))

    # and a rerun issues nothing new
    for period in MONTHS:
        _, closed_now, again = await invoicing.close_period(pool, program_id, period=period)
        assert not closed_now and not again
    assert len(await invoicing.list_invoices(pool, program_id)) == 24


async def test_the_close_job_from_the_command_line_is_idempotent(pools, database):
    # given a program with activity in January
    pool = pools["billing"]
    program_id = await busy_program(pool)
    code = await program_code(pool, program_id)
    env = {"DATABASE_URL": database.service_dsn("billing"), "PATH": "/usr/bin:/bin"}

    def run_job():
        out = subprocess.run([sys.executable, "-m", "services.billing.jobs", "close-period", "--period", "2026-01",
                              "--program", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    # when the job runs twice
    first, second = run_job(), run_job()

    # then the first issued three invoices and the rerun nothing
    assert first["closed_now"] and len(first["invoices"]) == 3
    assert second == {"program": code, "closed_now": False, "invoices": []}


async def test_a_period_that_has_not_ended_cannot_be_closed(pools):
    pool = pools["billing"]
    program_id = await new_program(pool)
    with pytest.raises(DomainError) as err:
        await invoicing.close_period(pool, program_id, period="2999-01")
    assert err.value.code == ErrorCode.PERIOD_NOT_ENDED
    with pytest.raises(DomainError) as err:
        await invoicing.close_period(pool, program_id, period="2026-13")
    assert err.value.code == ErrorCode.INVALID_INPUT and err.value.field == "period"


async def test_invoice_pdf_and_csv_contain_the_totals(pools):
    # given a closed January with an invoice for partner A
    pool = pools["billing"]
    program_id = await busy_program(pool)
    _, _, issued = await invoicing.close_period(pool, program_id, period="2026-01")
    number = issued[0]["number"]
    invoice, names, lines, program_code = await invoicing.get_invoice(pool, program_id, number, with_lines=True)
    # 100 points at 0.0125 issued, 7 redeemed at 0.01: 1.25 - 0.07 = 1.18
    assert invoice["net_value"] == Decimal("1.18") and str(invoice["amount_due"]) == "1.18"

    # when it is rendered as PDF and CSV
    pdf = documents.render("pdf", invoice, partner_name=names["A"], program_code=program_code, lines=lines)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    rows = list(csv.reader(io.StringIO(documents.render("csv", invoice, partner_name=names["A"],
                                                        program_code=program_code, lines=lines).decode())))

    # then both carry the number, the partner and the totals
    assert pdf.startswith(b"%PDF")
    for expected in (number, "Partner A", "1.18", "1.250000", "0.070000", "Issued points", "100"):
        assert expected in text, expected
    as_map = {r[0]: r[1] for r in rows if len(r) == 2}
    assert as_map["Amount due"] == "1.18" and as_map["Issued points"] == "100" and as_map["Redeemed points"] == "7"
    assert sum(1 for r in rows if r and r[0].startswith("2026-")) == 2
    with pytest.raises(DomainError):
        documents.render("docx", invoice, partner_name="", program_code=program_code, lines=lines)
