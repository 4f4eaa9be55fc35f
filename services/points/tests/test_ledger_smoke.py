from services.points.tests.helpers import Ledger, check_invariants


async def test_every_operation_once(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    a, b = await ledger.member(), await ledger.member()
    await ledger.goodwill(a, 50, "g0")
    assert (await ledger.earn(a, "100", "e1", order_reference="o1")).new_balance == 150
    assert (await ledger.burn(a, 30, "b1", order_reference="o1")).new_balance == 120
    held = await ledger.hold(a, 20, "h1", order_reference="o1")
    assert held.available_after == 100
    await ledger.capture("h1", "c1", points=5)
    await ledger.void("b1", "v1", points=10)
    assert await ledger.available(a) == 110
    await ledger.transfer(a, b, 10, "t1")
    await ledger.goodwill(b, 7, "g1")
    await ledger.adjust(b, -3, "a1")
    await ledger.earn(b, "9", "p1", pending=True)
    await ledger.activate("p1", "act1")
    done = await ledger.void("o1", "vo1")
    assert len(done.transaction_ids) >= 3
    await ledger.merge(b, a, "m1")
    s = await ledger.summary(a)
    assert s.available == await ledger.available(a)
    history = await ledger.history(a)
    assert history.transactions
    await check_invariants(admin_conn, ledger.program_id)
