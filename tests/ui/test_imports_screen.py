"""The legacy import status screen: a run made by the real importer in the test, listed with its state,
counts and reconciliation, and opened to its rejected rows (file, line, problem); refused to a
Front-Line Manager by the API, not only hidden."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from services.importer.tests.legacy_dump import write_dump
from tests.e2e.test_migration import cli_env, loyalty_import
from tests.ui.conftest import FRONT_LINE, new_program, screenshot, sign_in, staff_token

pytestmark = pytest.mark.ui

RUNS = "query($p: String!) { legacyImports(program: $p) { id rejectedRows } }"


def test_a_run_made_by_the_importer_shows_its_counts_reconciliation_and_rejections(
        page, app_url, api, platform, database, tmp_path):
    # given a legacy dump with planted bad rows, run into a new program and reconciled
    program = new_program(api)
    dump = tmp_path / "dump"
    write_dump(dump, members=12, now=dt.datetime.now(dt.timezone.utc))
    env = cli_env(platform, database)
    loyalty_import(env, "run", str(dump), "--program", program, "--max-reject-rate", "0.2")
    loyalty_import(env, "reconcile", "--program", program, str(dump), check=False)
    [run] = api(RUNS, p=program)["legacyImports"]

    # when the import status screen opens
    sign_in(page, app_url, program=program, next_path="/admin/imports")

    # then the run is listed, done, with its members, rejected rows and reconciliation
    row = page.get_by_test_id("imports-table").locator(f"tr[data-id='{run['id']}']")
    expect(row.get_by_test_id("import-state")).to_have_text("done")
    expect(row).to_contain_text("12 new, 0 matched")
    expect(row.get_by_test_id("reconcile-badge")).to_have_text("12 of 12 balances match")

    # and its detail shows the figures and each rejected row with its file, line and problem
    row.get_by_role("link").first.click()
    detail = page.get_by_test_id("import-run")
    expect(detail.get_by_test_id("import-counts")).to_contain_text("Members created")
    expect(detail.get_by_test_id("reconcile-balances")).to_be_visible()
    rejections = detail.get_by_test_id("rejections")
    expect(rejections.locator("tbody tr")).to_have_count(run["rejectedRows"])
    expect(rejections).to_contain_text("members.csv")
    expect(rejections).to_contain_text("duplicate legacy_id")
    expect(page).to_have_url(re.compile(rf"/admin/imports\?run={run['id']}"))
    screenshot(page, "legacy-imports")


def test_a_front_line_manager_is_refused_the_import_screen(page, app_url, api):
    program = new_program(api)
    token = staff_token(programs=[program], permissions=FRONT_LINE, subject="cashier-imports")
    sign_in(page, app_url, program=program, token=token, next_path="/till")
    expect(page.get_by_label("Find member")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Legacy imports")).to_have_count(0)
    page.goto(f"{app_url}/admin/imports")
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "FORBIDDEN")
