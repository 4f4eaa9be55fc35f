"""The interceptor keeps the printer's connection between jobs (its default): receipts still reach the
printer whole and in order, a connection the printer closed is never written to, and status answers
still go back to the POS that asked."""

import asyncio

import httpx
import pytest

from tests.store.conftest import print_job, receipt

pytestmark = pytest.mark.e2e


def keepalive_agent(agents, platform, store, printer, seconds: str = "30"):
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port,
                   printer_keepalive_seconds=seconds).start()
    return agent, int(agent.env["STORE_AGENT_PROXY_PORT"])


async def test_receipts_in_a_row_share_one_printer_connection_whole_and_in_order(platform, store, printer,
                                                                                 agents):
    number = await store.member()
    agent, proxy_port = keepalive_agent(agents, platform, store, printer)
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        earned = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "8.00", "reference": "K-2"})
        assert earned.status_code == 200, earned.text
    plain, with_activity, chunked = receipt("K-1", "5.00"), receipt("K-2", "8.00"), receipt("K-3", "1.00") * 2
    # when the POS prints three receipts, each on its own connection, the last one in small pieces
    assert await print_job(proxy_port, plain) == b""
    await print_job(proxy_port, with_activity)
    await print_job(proxy_port, chunked, chunk=11)
    # then the printer got them on one connection, byte for byte, the loyalty block in the second
    assert printer.connections == 1 and printer.jobs == []
    for writer in list(printer.open):
        writer.close()
    stream = (await printer.wait_jobs(1))[0]
    assert stream.startswith(plain) and stream.endswith(chunked)
    middle = stream[len(plain):-len(chunked)]
    cut = with_activity.rindex(b"\x1dV")
    assert middle.startswith(with_activity[:cut]) and middle.endswith(with_activity[cut:])
    assert "Points earned" in middle[cut:-len(with_activity[cut:])].decode("cp437")


async def test_a_connection_the_printer_closed_is_not_written_to(platform, store, printer, agents):
    _, proxy_port = keepalive_agent(agents, platform, store, printer)
    first, second = receipt("C-1", "2.00"), receipt("C-2", "3.00")
    await print_job(proxy_port, first)
    await printer.wait_received(len(first))
    # when the printer drops the kept connection (its own idle timeout, a power cycle)
    for writer in list(printer.open):
        writer.close()
    assert (await printer.wait_jobs(1)) == [first]
    # then the next receipt goes on a new connection, whole
    await print_job(proxy_port, second)
    await printer.wait_received(len(first) + len(second))  # the printer's accept runs after the POS is done
    assert printer.connections == 2
    for writer in list(printer.open):
        writer.close()
    assert (await printer.wait_jobs(2)) == [first, second]


async def test_a_job_the_printer_closed_its_kept_connection_on_goes_again_on_a_new_one(platform, store, printer,
                                                                                       agents):
    _, proxy_port = keepalive_agent(agents, platform, store, printer)
    first, second = receipt("R-1", "2.00"), receipt("R-2", "3.00")
    await print_job(proxy_port, first)
    await printer.wait_received(len(first))
    # when the printer closes the kept connection just as the next job's bytes arrive on it
    printer.close_after = len(first)
    await print_job(proxy_port, second)
    # then that job is printed whole on a new connection, once
    assert (await printer.wait_jobs(1)) == [first]
    await printer.wait_received(len(first) + len(second))
    for writer in list(printer.open):
        writer.close()
    assert (await printer.wait_jobs(2)) == [first, second] and printer.connections == 2


async def test_the_kept_connection_is_let_go_after_its_idle_time(platform, store, printer, agents):
    _, proxy_port = keepalive_agent(agents, platform, store, printer, seconds="0.2")
    job = receipt("I-1", "2.00")
    await print_job(proxy_port, job)
    # the agent ends the idle connection itself (a printer that takes one client at a time is free again)
    assert await printer.wait_jobs(1, timeout=30) == [job]


async def test_status_answers_reach_the_pos_on_a_kept_connection(platform, store, printer, agents):
    _, proxy_port = keepalive_agent(agents, platform, store, printer)
    await print_job(proxy_port, receipt("S-1", "1.00"))
    answers = []
    for _ in range(2):
        # a POS asks for the status and waits for the answer before it prints (as drivers do)
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
        writer.write(b"\x10\x04\x01")
        answers.append(await asyncio.wait_for(reader.readexactly(1), 30))
        writer.write(receipt("S-2", "1.00"))
        writer.write_eof()
        await reader.read()
        writer.close()
    assert answers == [b"\x16", b"\x16"] and printer.connections == 1
