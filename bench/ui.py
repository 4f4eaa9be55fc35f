"""The web app in headless Chromium over the real platform with 100,000 generated members.

    .venv/bin/python bench/ui.py              # 100,000 members
    .venv/bin/python bench/ui.py --quick      # 5,000 members, fewer rounds

Starts its own PostgreSQL and the platform processes (what `make run` starts), serves the built app
(gateway/ui/dist: scripts/bootstrap.sh builds it), brings the members in as a migrated program gets
them (a generated legacy dump through `loyalty-import run`, so the member, points and tier services
each know every one) and measures, side by side in the same run:

    RATIO member360_vs_blank_route <member 360 load to data shown / blank route load> target <= 2.0
    RATIO till_earn_vs_api_earn <till earn, Enter keydown to the result screen painted (page clock) / the same
                                 earn POSTed to GraphQL by the page's fetch (page clock)> target <= 1.5
    RATIO initial_route_gzip_kb <gzipped JS+CSS the first screen loads> target <= 300

and the gzipped size of each route's own chunk, so the till and the portal can be seen to load
neither the rule builder nor the charts. Medians of alternating rounds; loads are full navigations
with the hashed assets in the browser's cache (as a cashier's second page load is).
"""

import argparse
import asyncio
import datetime as dt
import gzip
import os
import json
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "gen")]

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from _common import local_postgres, platform  # noqa: E402
from services.importer.tests.legacy_dump import write_dump  # noqa: E402
from tests.fixtures.platform import ADMIN_TOKEN  # noqa: E402
from tests.ui.conftest import chromium_path  # noqa: E402

DIST = ROOT / "gateway" / "ui" / "dist"
SLAB = """mutation($p: String!) { defineTierSlab(input: {program: $p, code: "status", name: "Status", metric: "points",
  windowLength: 12, windowUnit: "month", downgrade: "one_level", tiers: [{code: "KING", name: "King", threshold: "0"},
  {code: "SUPERKING", name: "Superking", threshold: "15000", validityMonths: 12}]}) { code } }"""
EARN = """mutation($input: EarnInput!) { earn(input: $input) { oldBalance pointsEarned newBalance breakdown { rule points description } } }"""


# The till earn on the page's clock: from the Enter keydown event (its timestamp) to the frame that
# paints the result screen. Playwright's own hops (sending the key over CDP, polling for the element
# and answering) are the harness's cost, not the till's: they are printed beside it.
TILL_CLOCK = """() => {
  window.__keydown = null; window.__painted = null;
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") window.__keydown = e.timeStamp; },
                            {once: true, capture: true});
  const seen = new MutationObserver(() => {
    if (!document.querySelector("[data-testid=till-result]")) return;
    seen.disconnect();
    requestAnimationFrame(() => { window.__painted = performance.now(); });
  });
  seen.observe(document.body, {childList: true, subtree: true});
}"""

# The same earn POSTed to GraphQL by the same page (its network stack and connection, its clock): the
# till's figure less this one is what the app adds to the API.
PAGE_EARN = """async ([query, variables, token]) => {
  const started = performance.now();
  const answer = await fetch("/graphql", {method: "POST", body: JSON.stringify({query, variables}),
    headers: {"content-type": "application/json", authorization: `Bearer ${token}`}});
  const body = await answer.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return performance.now() - started;
}"""


def gz(path: pathlib.Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def bundle_report() -> float:
    """Gzipped bytes the first screen needs (index.html's script, its preloads and CSS); route chunks."""
    html = (DIST / "index.html").read_text()
    initial = set(re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', html))
    # Static imports of the entry are fetched at once too.
    for entry in list(initial):
        if entry.endswith(".js"):
            initial |= {f"assets/{m}" for m in re.findall(r'from"\./([^"]+\.js)"', (DIST / entry).read_text())}
    total = sum(gz(DIST / a) for a in initial) + gz(DIST / "index.html")
    for chunk in sorted((DIST / "assets").glob("*.js")):
        name = chunk.name.split("-")[0]
        if name in ("RuleEditor", "Dashboard", "Reports", "MemberCard", "Find", "Home", "Member360", "Transactions"):
            print(f"  route chunk {name}: {gz(chunk) / 1024:.1f} KB gz")
    return total / 1024


def timed_loads(page, url: str, ready: str, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(ready)
        samples.append(time.perf_counter() - started)
    return samples


def import_members(database, ports: dict, code: str, members: int) -> str:
    """`members` members from a generated legacy dump (one legacy transaction each) through the import
    tool against the running platform; the loyalty number of the middle one."""
    env = dict(os.environ, IMPORT_DATABASE_URL=database.tool_dsn("staging"),
               MEMBER_ADDR=f"127.0.0.1:{ports['member']}", POINTS_ADDR=f"127.0.0.1:{ports['points']}",
               TIER_ADDR=f"127.0.0.1:{ports['tier']}")
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-ui-") as tmp:
        dump = pathlib.Path(tmp) / "dump"
        write_dump(dump, members=members, transactions_per_member=1, now=dt.datetime.now(dt.timezone.utc),
                   plant_errors=False)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "services.importer.cli", "run", str(dump), "--program", code],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"loyalty-import run failed:\n{done.stdout}\n{done.stderr}")
        print(f"imported {members:,} members in {time.perf_counter() - started:.1f}s", flush=True)

    async def middle() -> str:
        conn = await asyncpg.connect(database.admin_dsn)
        try:
            await conn.execute("ANALYZE member.members")
            return await conn.fetchval("SELECT loyalty_number FROM staging.member_map m JOIN staging.imports i"
                                       " ON i.program_id = m.program_id WHERE i.program_code = $1 AND m.legacy_id = $2",
                                       code, f"L{members // 2:07d}")
        finally:
            await conn.close()

    return asyncio.run(middle())


def run(args) -> None:
    with local_postgres() as database, platform(database) as (url, ports, _procs):
        api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        code = f"bench-{uuid.uuid4().hex[:8]}"
        made = api.post("/graphql", json={"query": """mutation($c: String!) { createProgram(input: {code: $c,
            name: "Bench", currency: "EUR", timezone: "Europe/Madrid"}) { program { id } } }""", "variables": {"c": code}})
        assert made.json()["data"]["createProgram"]["program"]["id"], made.text
        assert not api.post("/graphql", json={"query": SLAB, "variables": {"p": code}}).json().get("errors")
        number = import_members(database, ports, code, args.members)
        for i in range(20):  # some ledger history for member 360
            seeded = api.post("/graphql", json={"query": EARN, "variables": {"input": {
                "program": code, "loyaltyNumber": number, "amount": "12.50", "currency": "EUR", "reference": f"seed-{i}"}}})
            assert not seeded.json().get("errors"), seeded.text
        print(f"{args.members:,} members; member {number}", flush=True)

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path())
            page = browser.new_context().new_page()
            session = json.dumps({"kind": "staff", "accessToken": ADMIN_TOKEN, "program": code})
            page.add_init_script(f"localStorage.setItem('loyalty.session', {json.dumps(session)})")
            # Warm the asset cache and the gateway's document cache once each.
            timed_loads(page, f"{url}/blank", "[data-testid=blank-ready]", 2)
            timed_loads(page, f"{url}/admin/members/{number}", "[data-testid=available-points]", 2)
            blank, m360 = [], []
            for _ in range(args.rounds):
                blank += timed_loads(page, f"{url}/blank", "[data-testid=blank-ready]", 1)
                m360 += timed_loads(page, f"{url}/admin/members/{number}", "[data-testid=available-points]", 1)

            till, harness, direct, fetched = [], [], [], []
            page.goto(f"{url}/till/{number}")
            page.wait_for_selector("[data-testid=earn-amount]")
            for i in range(args.rounds):
                page.fill("[data-testid=earn-amount]", "9.99")
                page.evaluate(TILL_CLOCK)
                started = time.perf_counter()
                page.press("[data-testid=earn-amount]", "Enter")
                page.wait_for_selector("[data-testid=till-result]")
                harness.append(time.perf_counter() - started)
                page.wait_for_function("window.__painted !== null")
                till.append(page.evaluate("window.__painted - window.__keydown") / 1000)
                page.click("text=New action")
                page.wait_for_selector("[data-testid=earn-amount]")
                started = time.perf_counter()
                answer = api.post("/graphql", json={"query": EARN, "variables": {"input": {
                    "program": code, "loyaltyNumber": number, "amount": "9.99", "currency": "EUR",
                    "reference": f"api-{i}", "orderReference": f"api-{i}", "channel": "pos"}}})
                answer.json()
                direct.append(time.perf_counter() - started)
                fetched.append(page.evaluate(PAGE_EARN, [EARN, {"input": {
                    "program": code, "loyaltyNumber": number, "amount": "9.99", "currency": "EUR",
                    "reference": f"page-{i}", "orderReference": f"page-{i}", "channel": "pos"}}, ADMIN_TOKEN]) / 1000)
            browser.close()

    med = statistics.median
    print(f"  blank route {med(blank) * 1000:.0f} ms, member 360 {med(m360) * 1000:.0f} ms, "
          f"till earn {med(till) * 1000:.0f} ms (with the harness's own round trips {med(harness) * 1000:.0f} ms), "
          f"API earn {med(direct) * 1000:.0f} ms from this process, {med(fetched) * 1000:.0f} ms from the page's fetch "
          f"(medians of {args.rounds}; load average {os.getloadavg()[0]:.2f})")
    print(f"RATIO member360_vs_blank_route {med(m360) / med(blank):.2f} target <= 2.0")
    print(f"RATIO till_earn_vs_api_earn {med(till) / med(fetched):.2f} target <= 1.5")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.members, args.rounds = 5_000, 5
    if not (DIST / "index.html").is_file():
        sys.exit("gateway/ui/dist is missing: run scripts/bootstrap.sh")
    size = bundle_report()
    print(f"RATIO initial_route_gzip_kb {size:.1f} target <= 300")
    run(args)


if __name__ == "__main__":
    main()
