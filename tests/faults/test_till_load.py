"""The till mix at a fixed rate, with p50/p99 recorded (printed and kept in the test's report, not asserted).

A fixed open-loop rate (requests start on schedule whatever the answers' pace), 50% enquiries, 35%
earns, 15% redemptions, unique references; afterwards the ledger is checked as after a fault.
"""

import pytest

from tests.e2e.test_contract import new_member, new_program
from tests.faults.till import Till, check_ledger, percentile
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN

pytestmark = pytest.mark.faults

RATE, SECONDS = 20.0, 10.0


async def test_the_till_mix_at_a_fixed_rate(faulty_platform, record_property, capsys):
    admin = GraphQLClient(faulty_platform.url, token=ADMIN_TOKEN)
    try:
        program = await new_program(admin)
        numbers = [await new_member(admin, program) for _ in range(20)]
    finally:
        await admin.aclose()
    till = Till(faulty_platform.url, token=ADMIN_TOKEN, program=program, numbers=numbers, enquiries=0.5)
    try:
        await till.run_at_rate(rate=RATE, seconds=SECONDS)
        await till.settle()
    finally:
        await till.aclose()
    await check_ledger(faulty_platform.admin_dsn, program=program, attempts=till.attempts)
    assert not till.stats.undocumented, till.stats.undocumented[:3]
    p50, p99 = percentile(till.stats.latencies, 0.5), percentile(till.stats.latencies, 0.99)
    record_property("till_p50_ms", round(p50 * 1000, 1))
    record_property("till_p99_ms", round(p99 * 1000, 1))
    with capsys.disabled():
        print(f"\ntill mix at {RATE:.0f}/s for {SECONDS:.0f}s: {len(till.stats.latencies)} answered, "
              f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (recorded, not asserted)")
