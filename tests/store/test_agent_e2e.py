"""The store agent against the real platform: a POS, the agent process, the interceptor, a printer."""

import asyncio
import time

import httpx
import pytest

from tests.fixtures.postgres import free_port
from tests.store.conftest import print_job, receipt

pytestmark = pytest.mark.e2e


async def test_an_earn_posts_once_and_its_receipt_carries_the_loyalty_block(platform, store, printer, agents):
    # given a member and a running agent in front of the printer
    number = await store.member()
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    proxy_port = int(agent.env["STORE_AGENT_PROXY_PORT"])
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        # when the till earns for the sale, twice (a retry)
        first = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "23.40", "reference": "R-1001"})
        again = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "23.40", "reference": "R-1001"})
        # then it is posted once with the platform's answer
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["status"], body["points"], body["old_balance"], body["new_balance"]) == ("posted", 23, 0, 23)
        assert again.json()["new_balance"] == 23
        assert await store.balance(number) == 23
        assert [p["reference"] for p in await store.earn_postings(number)] == ["madrid-01:till-1:R-1001"]

    # when the POS prints the receipt through the interceptor
    sent = receipt("R-1001", "23.40")
    await print_job(proxy_port, sent)
    job = (await printer.wait_jobs(1))[0]
    # then the block is inside, before the cut, and everything the POS sent is there in order
    cut = sent.rindex(b"\x1dV")
    assert job.startswith(sent[:cut]) and job.endswith(sent[cut:])
    block = job[cut:-len(sent[cut:])].decode("cp437")
    assert "LOYALTY" in block and f"Member {'*' * (len(number) - 4)}{number[-4:]}" in block
    assert "Points earned" in block and "+23" in block
    assert "Balance" in block and "23 pts" in block
    # and a reprint after the agent restarted still carries it (what the agent earned on is in its queue)
    agent.stop()
    agent.start()
    await print_job(proxy_port, sent)
    reprint = (await printer.wait_jobs(2))[1]
    assert reprint == job


async def test_a_receipt_without_loyalty_activity_passes_byte_for_byte(platform, store, printer, agents):
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    proxy_port = int(agent.env["STORE_AGENT_PROXY_PORT"])
    # a receipt whose reference nobody earned on, one with no reference at all, and one sent in tiny pieces
    jobs = [receipt("R-9999", "5.00"), receipt("", "7.00").replace(b"Ref: \n", b""),
            receipt("R-9998", "1.00") * 3]
    await print_job(proxy_port, jobs[0])
    await print_job(proxy_port, jobs[1])
    await print_job(proxy_port, jobs[2], chunk=7)
    assert await printer.wait_jobs(3) == jobs


async def test_printer_status_answers_reach_the_pos(platform, store, printer, agents):
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    answer = await print_job(int(agent.env["STORE_AGENT_PROXY_PORT"]), b"\x10\x04\x01" + receipt("R-1", "1.00"))
    assert answer == b"\x16"


async def test_in_one_job_only_the_receipt_with_activity_gets_the_block(platform, store, printer, agents):
    # given an earn on R-2001 and none on R-2002
    number = await store.member()
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port).start()
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        r = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "8.00", "reference": "R-2001"})
        assert r.status_code == 200, r.text
    # when the POS prints both receipts in one job, in 7-byte pieces (bytes keep coming while the
    # first cut is held for its block)
    first, second = receipt("R-2001", "8.00"), receipt("R-2002", "3.00")
    await print_job(int(agent.env["STORE_AGENT_PROXY_PORT"]), first + second, chunk=7)
    job = (await printer.wait_jobs(1))[0]
    # then the block goes before the first cut only, and every byte the POS sent follows in order
    cut = first.rindex(b"\x1dV")
    assert job.startswith(first[:cut]) and job.endswith(first[cut:] + second)
    block = job[cut:len(job) - len(first[cut:] + second)].decode("cp437")
    assert "LOYALTY" in block and "+8" in block and block.count("LOYALTY") == 1


async def test_an_unreachable_printer_ends_the_job_at_once_and_says_why(platform, store, agents):
    dead = free_port()  # nothing listens there
    agent = agents(platform_url=platform.url, store=store, printer_port=dead).start()
    started = time.monotonic()
    # the POS's connection is closed (its job did not print) instead of hanging: the POS sees the
    # end of the stream, or a reset if it was still sending
    reader, writer = await asyncio.open_connection("127.0.0.1", int(agent.env["STORE_AGENT_PROXY_PORT"]))
    try:
        writer.write(receipt("R-1", "1.00"))
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""
    except TimeoutError:  # (an OSError: named first)
        raise AssertionError("the POS's connection was left open") from None
    except OSError:  # reset, or not connected any more
        pass
    finally:
        writer.close()
    assert time.monotonic() - started < 10
    for _ in range(100):
        if f"printer 127.0.0.1:{dead} unreachable" in agent.log.read_text():
            break
        await asyncio.sleep(0.05)
    assert f"printer 127.0.0.1:{dead} unreachable" in agent.log.read_text()


async def test_plain_text_mode_puts_the_block_before_the_form_feed(platform, store, printer, agents):
    # given a printer driven through OPOS or a driver: plain text, a receipt ends at a form feed
    number = await store.member()
    agent = agents(platform_url=platform.url, store=store, printer_port=printer.port, receipt_mode="text").start()
    async with httpx.AsyncClient(base_url=agent.url, timeout=30) as till:
        r = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "4.00", "reference": "T-1"})
        assert r.status_code == 200, r.text
    earned = b"TAPAS BAR\nRef: T-1\nTOTAL EUR 4.00\n"
    plain = b"TAPAS BAR\nRef: T-404\nTOTAL EUR 2.00\n"
    await print_job(int(agent.env["STORE_AGENT_PROXY_PORT"]), earned + b"\x0c" + plain + b"\x0c", chunk=5)
    job = (await printer.wait_jobs(1))[0]
    assert job.startswith(earned) and job.endswith(b"\x0c" + plain + b"\x0c")
    block = job[len(earned):-len(b"\x0c" + plain + b"\x0c")].decode("cp437")
    assert "LOYALTY" in block and "+4" in block and "\x0c" not in block
