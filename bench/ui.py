"""The web app in headless Chromium over the real platform with 100,000 generated members.

    .venv/bin/python bench/ui.py              # 100,000 members
    .venv/bin/python bench/ui.py --quick      # 5,000 members, fewer rounds

Starts its own PostgreSQL and the platform processes (what `make run` starts), serves the built app
(gateway/ui/dist: scripts/bootstrap.sh builds it) and measures, side by side in the same run:

    RATIO member360_vs_blank_route <member 360 load to data shown / blank route load> target <= 2.0
    RATIO till_earn_vs_api_earn <till earn, Enter to result screen / the same earn POSTed to GraphQL> target <= 1.5
    RATIO initial_route_gzip_kb <gzipped JS+CSS the first screen loads> target <= 300

and the gzipped size of each route's own chunk, so the till and the portal can be seen to load
neither the rule builder nor the charts. Medians of alternating rounds; loads are full navigations
with the hashed assets in the browser's cache (as a cashier's second page load is).
"""

import argparse
import asyncio
import gzip
import json
import pathlib
import re
import statistics
import sys
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "gen")]

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from _common import local_postgres, platform  # noqa: E402
from members import generate_sql  # noqa: E402
from tests.fixtures.platform import ADMIN_TOKEN  # noqa: E402
from tests.ui.conftest import chromium_path  # noqa: E402

DIST = ROOT / "gateway" / "ui" / "dist"
EARN = """mutation($input: EarnInput!) { earn(input: $input) { oldBalance pointsEarned newBalance breakdown { rule points description } } }"""


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


def run(args) -> None:
    with local_postgres() as database, platform(database) as (url, _ports, _procs):
        api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        code = f"bench-{uuid.uuid4().hex[:8]}"
        made = api.post("/graphql", json={"query": """mutation($c: String!) { createProgram(input: {code: $c,
            name: "Bench", currency: "EUR", timezone: "Europe/Madrid"}) { program { id } } }""", "variables": {"c": code}})
        program_id = uuid.UUID(made.json()["data"]["createProgram"]["program"]["id"])

        async def seed():
            conn = await asyncpg.connect(database.admin_dsn)
            for first in range(1, args.members + 1, 50_000):
                await conn.execute(generate_sql(first, min(50_000, args.members - first + 1)), program_id)
            await conn.execute("ANALYZE member.members")
            await conn.close()

        asyncio.run(seed())
        number = "9" + str(args.members // 2).zfill(10)
        for i in range(20):  # some ledger history for member 360
            api.post("/graphql", json={"query": EARN, "variables": {"input": {
                "program": code, "loyaltyNumber": number, "amount": "12.50", "currency": "EUR", "reference": f"seed-{i}"}}})
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

            till, direct = [], []
            page.goto(f"{url}/till/{number}")
            page.wait_for_selector("[data-testid=earn-amount]")
            for i in range(args.rounds):
                page.fill("[data-testid=earn-amount]", "9.99")
                started = time.perf_counter()
                page.press("[data-testid=earn-amount]", "Enter")
                page.wait_for_selector("[data-testid=till-result]")
                till.append(time.perf_counter() - started)
                page.click("text=New action")
                page.wait_for_selector("[data-testid=earn-amount]")
                started = time.perf_counter()
                answer = api.post("/graphql", json={"query": EARN, "variables": {"input": {
                    "program": code, "loyaltyNumber": number, "amount": "9.99", "currency": "EUR",
                    "reference": f"api-{i}", "orderReference": f"api-{i}", "channel": "pos"}}})
                answer.json()
                direct.append(time.perf_counter() - started)
            browser.close()

    med = statistics.median
    print(f"  blank route {med(blank) * 1000:.0f} ms, member 360 {med(m360) * 1000:.0f} ms, "
          f"till earn {med(till) * 1000:.0f} ms, API earn {med(direct) * 1000:.0f} ms (medians of {args.rounds})")
    print(f"RATIO member360_vs_blank_route {med(m360) / med(blank):.2f} target <= 2.0")
    print(f"RATIO till_earn_vs_api_earn {med(till) / med(direct):.2f} target <= 1.5")


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
