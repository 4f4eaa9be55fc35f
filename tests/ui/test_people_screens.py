"""Users, API keys and the audit log in the browser, against the real identity and member services:
an invitation mailed from the Users screen, a deactivation that ends the person's session, a key
shown once that works and then is refused at once after Revoke, and the audit trail of it all."""

import re
import time

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import enroll, mailed, new_program, sign_in, unique

ACCEPT = """mutation($t: String!) { acceptInvitation(input: {token: $t, password: "a long enough passphrase 42"}) {
  refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"
AUDITED = 'query($p: String!) { auditLog(program: $p, operation: "revokeApiKey") { operation } }'
ENQUIRE = "query($p: String!, $n: String!) { enquire(program: $p, loyaltyNumber: $n) { availablePoints } }"


def call(app_url: str, query: str, *, headers: dict | None = None, **variables) -> dict:
    r = httpx.post(f"{app_url}/graphql", json={"query": query, "variables": variables}, headers=headers or {},
                   timeout=30)
    return r.json()


def with_key(app_url: str, key: str, query: str, **variables) -> dict:
    return call(app_url, query, headers={"x-api-key": key}, **variables)


def test_invite_from_the_users_screen_then_deactivate(page, app_url, api, smtp_server):
    program = new_program(api)
    email = f"{unique('colleague')}@example.com"
    sign_in(page, app_url, program=program, next_path="/admin/users")
    page.get_by_label("Invite by email").fill(email)
    page.get_by_role("combobox", name=re.compile(r"^Role")).click()
    page.get_by_role("option", name="Admin", exact=True).click()
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_test_id("invite-sent").inner_text() == \
        f"Invitation mailed to {email}; the link works once, for 72 hours."

    token = mailed(smtp_server, email, r"token=(inv_[A-Za-z0-9_\-]+)")
    refresh = call(app_url, ACCEPT, t=token)["data"]["acceptInvitation"]["refreshToken"]
    page.reload()
    row = page.get_by_test_id("users-table").locator(f"tr[data-email='{email}']")
    assert "admin" in row.inner_text().lower() and "active" in row.inner_text().lower()

    page.on("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Deactivate").click()
    row.get_by_text("deactivated").wait_for()
    refused = call(app_url, REFRESH, t=refresh)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_key_is_shown_once_works_and_is_refused_at_once_after_revoke(page, app_url, api):
    program = new_program(api)
    number, _ = enroll(api, program)
    sign_in(page, app_url, program=program, next_path="/admin/api-keys")
    page.get_by_label("New key's name").fill("Till 9")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key-secret").inner_text()
    assert with_key(app_url, key, ENQUIRE, p=program, n=number)["data"]["enquire"]["availablePoints"] == 0

    page.get_by_test_id("new-key").get_by_role("button", name="Close").click()
    assert key not in page.content()  # the secret is not shown again
    page.on("dialog", lambda d: d.accept())
    row = page.get_by_test_id("keys-table").get_by_role("row", name=re.compile("Till 9"))
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_count(0)  # revoked keys are listed only on request
    page.get_by_label("Show revoked keys").check()
    expect(row.get_by_text("revoked")).to_be_visible()
    answer = with_key(app_url, key, ENQUIRE, p=program, n=number)
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # the audit log has both, filtered by operation through the URL, and exports them
    for _ in range(200):  # the gateway writes its audit entries in the background, in batches
        if api(AUDITED, p=program)["auditLog"]:
            break
        time.sleep(0.05)
    page.goto(f"{app_url}/admin/audit?operation=revokeApiKey")
    table = page.get_by_test_id("audit-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 1 and "revokeApiKey" in table.inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    exported = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert len(exported) == 2 and "revokeApiKey" in exported[1]
