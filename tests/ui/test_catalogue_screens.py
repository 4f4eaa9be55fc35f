"""The rewards catalogue, tiers, segments and campaigns screens in the browser: what the UI creates is
read back through the API, and what the API holds is what the screens show."""

import datetime as dt
import json
import re
import time

from playwright.sync_api import expect

from tests.ui.conftest import enroll, new_program, sign_in

REWARDS = """query($p: String!) { rewards(program: $p, includeInactive: true) {
  code name kind pointsCost value stock type active } }"""


def test_create_edit_and_deactivate_a_reward(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/rewards")
    page.get_by_test_id("empty").wait_for()
    page.get_by_role("button", name="New reward").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile(r"^Code")).fill("coffee")
    dialog.get_by_label(re.compile(r"^Name")).fill("Free coffee")
    dialog.get_by_label(re.compile(r"^Points cost")).fill("150")
    dialog.get_by_label(re.compile(r"^Amount off")).fill("2.50")
    dialog.get_by_label(re.compile(r"^Stock")).fill("40")
    dialog.get_by_role("button", name="Create reward").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id("rewards-table").locator("tr[data-code='coffee']")
    expect(row).to_contain_text("Free coffee")
    [made] = api(REWARDS, p=program)["rewards"]
    assert made == {"code": "coffee", "name": "Free coffee", "kind": "amount_off", "pointsCost": 150, "value": "2.5",
                    "stock": 40, "type": "reward", "active": True}

    # a bad value is refused by the API and named, nothing changes
    row.get_by_role("button", name="Edit").click()
    dialog.get_by_label(re.compile(r"^Kind")).click()
    page.get_by_role("option", name="Percent off").click()
    dialog.get_by_label(re.compile(r"^Percent off")).fill("150")
    dialog.get_by_role("button", name="Save reward").click()
    error = dialog.get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "INVALID_INPUT")
    expect(error).to_contain_text("value")
    dialog.get_by_label(re.compile(r"^Percent off")).fill("10")
    dialog.get_by_label(re.compile(r"^Points cost")).fill("120")
    dialog.get_by_role("button", name="Save reward").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("percent_off 10")
    [edited] = api(REWARDS, p=program)["rewards"]
    assert (edited["kind"], edited["value"], edited["pointsCost"], edited["stock"]) == ("percent_off", "10", 120, 40)

    page.on("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Deactivate").click()
    expect(row).to_have_count(0)  # inactive rewards are listed only on request
    assert api(REWARDS, p=program)["rewards"][0]["active"] is False
    page.get_by_label("Show inactive").check()
    page.wait_for_url(re.compile(r"inactive=true"))
    expect(row.get_by_text("inactive")).to_be_visible()


SLABS = """query($p: String!) { tierSlabs(program: $p) { code name metric windowLength
  tiers { code name threshold earnMultiplier validityMonths } } }"""
TIER_REPORT = """query($p: String!, $s: String!, $f: String!, $t: String!) {
  tierReport(program: $p, slabCode: $s, from: $f, to: $t) { tiers { tierCode members } } }"""
TIER_OF = """query($p: String!, $n: String!) { tierStatus(program: $p, loyaltyNumber: $n) { tierCode } }"""


def eventually_tier(api, program: str, number: str, expected: str) -> str:
    """The tier service hears of an earn from the ledger's events, after the earn commits: wait for them
    (a bounded number of reads, not a time)."""
    for _ in range(200):
        if (current := api(TIER_OF, p=program, n=number)["tierStatus"][0]["tierCode"]) == expected:
            return current
        time.sleep(0.05)
    return current


def test_define_a_slab_and_read_its_report(page, app_url, api):
    program = new_program(api)
    sign_in(page, app_url, program=program, next_path="/admin/tiers")
    page.get_by_test_id("empty").wait_for()
    page.get_by_role("button", name="New slab").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(re.compile(r"^Slab code")).fill("status")
    dialog.get_by_label(re.compile(r"^Slab name")).fill("Status")
    dialog.get_by_label("Tier 1 name").fill("Green")
    dialog.get_by_label("Tier 2 code").fill("gold")
    dialog.get_by_label("Tier 2 name").fill("Gold")
    dialog.get_by_role("button", name="Save slab").click()
    # the threshold was left empty: the API names the field, nothing is saved
    expect(dialog.get_by_test_id("error")).to_have_attribute("data-code", "INVALID_INPUT")
    expect(dialog.get_by_test_id("error")).to_contain_text("threshold")
    assert api(SLABS, p=program)["tierSlabs"] == []
    dialog.get_by_label("Tier 2 threshold").fill("100")
    dialog.get_by_label("Tier 2 multiplier").fill("1.5")
    dialog.get_by_role("button", name="Save slab").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("ladder").locator("tr[data-code='gold']")).to_contain_text("Gold")
    [slab] = api(SLABS, p=program)["tierSlabs"]
    assert (slab["code"], slab["metric"], slab["windowLength"]) == ("status", "points", 12)
    assert [(t["code"], t["name"], t["threshold"], t["earnMultiplier"], t["validityMonths"]) for t in slab["tiers"]] \
        == [("base", "Green", "0", "1", None), ("gold", "Gold", "100", "1.5", 12)]

    # two members, one earns past gold's threshold; the report's members per tier are the API's
    rich, _ = enroll(api, program, first="Rica")
    enroll(api, program, first="Pablo")
    api("""mutation($p: String!, $n: String!) { earn(input: {program: $p, loyaltyNumber: $n, amount: "250",
           currency: "EUR", reference: "tier-earn"}) { newBalance } }""", p=program, n=rich)
    assert eventually_tier(api, program, rich, "gold") == "gold"
    page.reload()
    mix = page.get_by_test_id("tier-mix")
    mix.wait_for()
    since = page.get_by_label("From").input_value()
    until = page.get_by_label("To").input_value()
    expected = {t["tierCode"]: t["members"] for t in
                api(TIER_REPORT, p=program, s="status", f=since, t=until)["tierReport"]["tiers"]}
    assert expected["gold"] == 1  # the one who earned 250 points
    for code, members in expected.items():
        expect(page.get_by_test_id(f"members-{code}")).to_have_text(str(members))


SEGMENTS = "query($p: String!) { segments(program: $p) { code name kind rule memberCount } }"
ENROLL_ZIP = """mutation($p: String!, $e: String!, $z: String!) { enroll(input: {program: $p, email: $e, firstName: "Zoe",
  lastName: "Zip", zip: $z}) { member { loyaltyNumber } } }"""
RULE = {"and": [{"==": [{"var": "zip"}, "08001"]}]}


def test_build_preview_and_save_a_segment(page, app_url, api):
    program = new_program(api)
    for i, zip_code in enumerate(("08001", "28001", "08001")):
        api(ENROLL_ZIP, p=program, e=f"zip{i}-{program}@example.com", z=zip_code)
    sign_in(page, app_url, program=program, next_path="/admin/segments")
    page.get_by_test_id("empty").wait_for()
    page.get_by_role("button", name="New segment").click()
    form = page.get_by_test_id("segment-form")
    form.get_by_label(re.compile(r"^Segment code")).fill("barcelona")
    form.get_by_label("Segment name").fill("Barcelona")
    form.get_by_role("button", name="+ Condition").click()
    form.get_by_test_id("fields").click()
    form.get_by_role("option", name="Zip", exact=True).click()
    expect(form.get_by_test_id("segment-problem")).to_contain_text("zip")  # an empty value is not sent
    form.get_by_test_id("value-editor").fill("08001")
    expect(form.get_by_test_id("segment-logic")).to_have_text(json.dumps(RULE, separators=(",", ":")))
    form.get_by_role("button", name="Preview").click()
    expect(form.get_by_test_id("preview-count")).to_contain_text("2 members now")
    preview = api("query($p: String!, $r: JSON!) { segmentPreview(program: $p, rule: $r) { memberCount } }",
                  p=program, r=RULE)
    assert preview["segmentPreview"]["memberCount"] == 2
    form.get_by_role("button", name="Save segment").click()
    expect(form).to_have_count(0)
    row = page.get_by_test_id("segments-table").locator("tr[data-code='barcelona']")
    expect(row.get_by_test_id("member-count")).to_have_text("2")
    [saved] = api(SEGMENTS, p=program)["segments"]
    assert saved == {"code": "barcelona", "name": "Barcelona", "kind": "rule",
                     "rule": RULE, "memberCount": 2}


CAMPAIGNS = """query($p: String!) { campaigns(program: $p) { code name startsAt endsAt budgetTotal budgetPerMember
  targets { segments tiers } } }"""
CAMPAIGN_REPORT = """query($p: String!, $c: String!) { campaignReport(program: $p, code: $c) {
  pointsIssued membersReached transactions budgetLeft } }"""


def test_create_a_campaign_and_read_its_report(page, app_url, api):
    program = new_program(api)
    today = dt.date.today()
    starts, ends = (today - dt.timedelta(days=30)).isoformat(), (today + dt.timedelta(days=300)).isoformat()
    sign_in(page, app_url, program=program, next_path="/admin/campaigns")
    page.get_by_test_id("empty").wait_for()
    page.get_by_role("button", name="New campaign").click()
    form = page.get_by_test_id("campaign-form")
    form.get_by_label(re.compile(r"^Campaign code")).fill("summer")
    form.get_by_label(re.compile(r"^Campaign name")).fill("Summer double")
    form.get_by_label(re.compile(r"^Starts")).fill(starts)
    form.get_by_label(re.compile(r"^Ends")).fill((today - dt.timedelta(days=60)).isoformat())
    form.get_by_label("Points budget").fill("5000")
    form.get_by_role("button", name="Save campaign").click()
    # ends before it starts: refused with the field named, nothing saved
    expect(form.get_by_test_id("error")).to_have_attribute("data-code", "INVALID_INPUT")
    expect(form.get_by_test_id("error")).to_contain_text("endsAt")
    assert api(CAMPAIGNS, p=program)["campaigns"] == []
    form.get_by_label(re.compile(r"^Ends")).fill(ends)
    form.get_by_label("Target segments").fill("vip")
    form.get_by_label("Target segments").press("Enter")
    form.get_by_role("button", name="Save campaign").click()
    expect(form).to_have_count(0)
    page.wait_for_url(re.compile(r"campaign=summer"))
    [saved] = api(CAMPAIGNS, p=program)["campaigns"]
    assert (saved["code"], saved["name"], saved["startsAt"][:10], saved["endsAt"][:10], saved["budgetTotal"],
            saved["targets"]["segments"]) == ("summer", "Summer double", starts, ends, 5000, ["vip"])

    report = api(CAMPAIGN_REPORT, p=program, c="summer")["campaignReport"]
    shown = page.get_by_test_id("campaign-report")
    expect(shown.get_by_test_id("report-points")).to_have_text(str(report["pointsIssued"]))
    expect(shown.get_by_test_id("report-members")).to_have_text(str(report["membersReached"]))
    expect(shown.get_by_test_id("report-budget-left")).to_have_text(str(report["budgetLeft"]))
    assert report["budgetLeft"] == 5000
    expect(page.get_by_test_id("campaigns-table").locator("tr[data-code='summer']")).to_contain_text("running")
