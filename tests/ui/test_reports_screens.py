"""The dashboard and the transaction list in the browser, checked against the API's own answers."""

import csv
import io
import re

from tests.ui.conftest import enroll, new_program, screenshot, sign_in

REDEEM = """mutation($p: String!, $n: String!, $points: Int!, $r: String!) {
  redeem(input: {program: $p, loyaltyNumber: $n, points: $points, reference: $r}) { newBalance } }"""
EARN = """mutation($p: String!, $n: String!, $a: String!, $r: String!) {
  earn(input: {program: $p, loyaltyNumber: $n, amount: $a, currency: "EUR", reference: $r}) { newBalance } }"""


def busy_program(api) -> tuple[str, str, str]:
    program = new_program(api)
    ana, _ = enroll(api, program, first="Ana")
    bob, _ = enroll(api, program, first="Bob")
    for number, amount, ref in ((ana, "120", "t-1"), (bob, "30", "t-2")):
        api(EARN, p=program, n=number, a=amount, r=ref)
    api(REDEEM, p=program, n=ana, points=20, r="t-3")
    return program, ana, bob


def test_the_dashboard_shows_the_programs_figures(page, app_url, api):
    program, _, _ = busy_program(api)
    sign_in(page, app_url, program=program)
    page.wait_for_url(re.compile(r"/admin$"))
    assert page.get_by_test_id("kpi-outstanding").inner_text() == "130"
    assert page.get_by_test_id("kpi-members").inner_text() == "2"
    assert page.get_by_test_id("kpi-earned").inner_text() == "150"
    assert page.get_by_test_id("kpi-redeemed").inner_text() == "20"
    page.get_by_text("30 days", exact=True).click()
    assert page.get_by_test_id("kpi-earned").inner_text() == "150"
    assert page.get_by_test_id("liability").is_visible()
    screenshot(page, "dashboard")


def test_transactions_filter_page_and_export(page, app_url, api):
    program, ana, bob = busy_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/transactions")
    table = page.get_by_test_id("transactions-table")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    assert rows.first.locator("td").nth(3).inner_text() == "t-3"

    # the kind filter is kept in the URL: a reload shows the same list
    page.get_by_role("combobox", name="Kind").click()
    page.get_by_role("option", name="EARN", exact=True).click()
    page.wait_for_url(re.compile(r"kind=EARN"))
    page.reload()
    page.get_by_test_id("transactions-table").wait_for()
    assert [r.locator("td").nth(3).inner_text() for r in page.get_by_test_id("transactions-table").locator("tbody tr").all()] \
        == ["t-2", "t-1"]

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    text = open(download.value.path(), encoding="utf-8").read()
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [(r["loyaltyNumber"], r["kind"], r["reference"], r["points"]) for r in exported] == [
        (bob, "EARN", "t-2", "30"), (ana, "EARN", "t-1", "120")]


def test_a_csv_cell_never_runs_as_a_formula(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    api(EARN, p=program, n=number, a="10", r="=HYPERLINK(1)")
    sign_in(page, app_url, program=program, next_path="/admin/transactions")
    page.get_by_test_id("transactions-table").wait_for()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    row = next(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert row["reference"] == "'=HYPERLINK(1)"
