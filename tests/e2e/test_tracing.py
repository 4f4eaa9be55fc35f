"""One trace spans the gateway, a service and its SQL, across real processes."""

import asyncio
import json

import pytest

from tests.e2e.test_contract import EARN, new_member, new_program

pytestmark = pytest.mark.e2e


def read_spans(platform) -> list[dict]:
    spans = []
    for path in platform.spans_dir.glob("*.jsonl"):
        # the services are still appending: a span over the write buffer arrives in pieces, so the
        # text after the last newline may be half a line
        finished = path.read_text().split("\n")[:-1]
        spans.extend(json.loads(line) for line in finished if line.strip())
    return spans


async def test_earn_is_one_trace_from_gateway_to_sql(admin, platform):
    program = await new_program(admin)
    number = await new_member(admin, program)
    result = await admin(EARN, program=program, number=number, amount="9.99", currency="EUR", reference="traced")
    assert result.ok()

    earn_rpc = None
    for _ in range(50):  # spans are written as they end; give the exporters a moment
        spans = read_spans(platform)
        earn_rpc = next((s for s in spans if s["name"] == "/loyalty.points.v1.PointsService/Earn"
                         and s["kind"] == "SpanKind.SERVER"), None)
        if earn_rpc:
            break
        await asyncio.sleep(0.1)
    assert earn_rpc is not None, "the points service recorded no Earn span"
    trace_id = earn_rpc["context"]["trace_id"]
    in_trace = [s for s in read_spans(platform) if s["context"]["trace_id"] == trace_id]
    services = {s["resource"]["attributes"]["service.name"] for s in in_trace}
    assert {"gateway", "points"} <= services
    sql = [s for s in in_trace if s["resource"]["attributes"]["service.name"] == "points"
           and s["attributes"].get("db.system") == "postgresql"]
    assert sql, "no SQL span in the earn trace"
    # the SQL spans hang under the service's server span, which hangs under the gateway's client span
    gateway_span_ids = {s["context"]["span_id"] for s in in_trace if s["resource"]["attributes"]["service.name"] == "gateway"}
    assert earn_rpc["parent_id"] in gateway_span_ids
