"""One-time passcodes with an injected clock: lifetime, single use, lock-out, rate limit, hashing."""

import asyncio
import datetime as dt

import pytest

from services.common.errors import DomainError, ErrorCode
from services.rewards import otp
from services.rewards.otp import OtpPolicy
from services.rewards.tests.conftest import member, passcode_in

POLICY = OtpPolicy(pepper="test-pepper")


async def _issue(pools, program, m, sender, clock):
    await otp.issue(pools["rewards"], program_id=program.id, member=m, sender=sender, policy=POLICY, now=clock)


async def _verify(pools, program, m, code, clock):
    return await otp.verify(pools["rewards"], program_id=program.id, loyalty_number=m.loyalty_number, code=code,
                            policy=POLICY, now=clock)


async def _refused(pending) -> ErrorCode:
    with pytest.raises(DomainError) as err:
        await pending
    return err.value.code


async def test_a_code_issued_at_1445_is_valid_at_1459_and_then_spent(pools, program, sender, smtp_server, clock):
    # given a code mailed at 14:45
    m = member()
    clock.set("14:45")
    await _issue(pools, program, m, sender, clock)
    code = passcode_in(smtp_server, m.email)
    # when it is used at 14:59
    clock.set("14:59")
    # then it works once
    assert await _verify(pools, program, m, code, clock)
    # and is refused on reuse
    assert await _refused(_verify(pools, program, m, code, clock)) == ErrorCode.OTP_USED


async def test_a_code_issued_at_1445_is_refused_at_1501(pools, program, sender, smtp_server, clock):
    m = member()
    clock.set("14:45")
    await _issue(pools, program, m, sender, clock)
    code = passcode_in(smtp_server, m.email)
    clock.set("15:01")
    assert await _refused(_verify(pools, program, m, code, clock)) == ErrorCode.OTP_EXPIRED
    # and identify refuses it too
    assert await _refused(otp.identify(pools["rewards"], program_id=program.id, code=code, principal="pos",
                                       policy=POLICY, now=clock)) == ErrorCode.OTP_EXPIRED


async def test_five_concurrent_wrong_guesses_lock_the_code_even_for_the_right_one(
        pools, program, sender, smtp_server, clock, admin_conn):
    # given a live code
    m = member()
    await _issue(pools, program, m, sender, clock)
    code = passcode_in(smtp_server, m.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # when twelve wrong guesses arrive at once
    results = await asyncio.gather(*(_verify(pools, program, m, wrong, clock) for _ in range(12)),
                                   return_exceptions=True)
    # then every one is refused, exactly five were counted, and the code is locked
    codes = [r.code for r in results]
    assert all(isinstance(r, DomainError) for r in results)
    assert codes.count(ErrorCode.OTP_INVALID) == 4
    assert codes.count(ErrorCode.OTP_LOCKED) == 8
    row = await admin_conn.fetchrow(
        "SELECT status, attempts FROM rewards.otps WHERE program_id = $1 AND loyalty_number = $2",
        program.id, m.loyalty_number)
    assert dict(row) == {"status": "locked", "attempts": 5}
    # and the right code no longer works
    assert await _refused(_verify(pools, program, m, code, clock)) == ErrorCode.OTP_LOCKED


async def test_four_wrong_guesses_leave_the_code_usable(pools, program, sender, smtp_server, clock):
    m = member()
    await _issue(pools, program, m, sender, clock)
    code = passcode_in(smtp_server, m.email)
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    for _ in range(4):
        assert await _refused(_verify(pools, program, m, wrong, clock)) == ErrorCode.OTP_INVALID
    assert await _verify(pools, program, m, code, clock)


async def test_requests_are_limited_per_member_per_hour(pools, program, sender, clock):
    m = member()
    for minute in range(5):
        clock.set(f"10:{minute:02d}")
        await _issue(pools, program, m, sender, clock)
    clock.set("10:30")
    assert await _refused(_issue(pools, program, m, sender, clock)) == ErrorCode.OTP_RATE_LIMITED
    # an hour after the first, one more is allowed
    clock.at = clock.at.replace(hour=11, minute=0, second=30)
    await _issue(pools, program, m, sender, clock)


async def test_a_new_code_replaces_the_previous_one(pools, program, sender, smtp_server, clock):
    m = member()
    await _issue(pools, program, m, sender, clock)
    first = passcode_in(smtp_server, m.email)
    clock.at += dt.timedelta(minutes=1)
    await _issue(pools, program, m, sender, clock)
    second = passcode_in(smtp_server, m.email)
    if first != second:
        assert await _refused(_verify(pools, program, m, first, clock)) == ErrorCode.OTP_INVALID
    assert await _verify(pools, program, m, second, clock)


async def test_identify_finds_the_member_by_code_and_only_in_its_program(
        pools, program, sender, smtp_server, clock, admin_conn):
    from services.common import program_copy
    from services.rewards import api as rewards_api
    from tests.fixtures.postgres import program_spec

    m = member()
    await _issue(pools, program, m, sender, clock)
    code = passcode_in(smtp_server, m.email)
    found = await otp.identify(pools["rewards"], program_id=program.id, code=code, principal="pos-1",
                               policy=POLICY, now=clock)
    assert (found.loyalty_number, found.member_id) == (m.loyalty_number, m.member_id)
    # identify does not spend the code: the claim will
    assert await _verify(pools, program, m, code, clock)
    # another program's POS cannot find the member with it
    other = program_spec()
    await program_copy.provision(pools["rewards"], rewards_api.program_copy_of(other))
    assert await _refused(otp.identify(pools["rewards"], program_id=other.id, code=code, principal="pos-1",
                                       policy=POLICY, now=clock)) == ErrorCode.OTP_INVALID
    # only a keyed hash is stored, never the code
    stored = await admin_conn.fetchval("SELECT code_hash FROM rewards.otps WHERE loyalty_number = $1", m.loyalty_number)
    assert len(stored) == 32 and code.encode() not in bytes(stored)


async def test_identify_is_throttled_per_terminal(pools, program, clock):
    policy = OtpPolicy(pepper="p", identify_failures_per_window=3)
    for guess in ("000001", "000002", "000003"):
        assert await _refused(otp.identify(pools["rewards"], program_id=program.id, code=guess, principal="pos-x",
                                           policy=policy, now=clock)) == ErrorCode.OTP_INVALID
    assert await _refused(otp.identify(pools["rewards"], program_id=program.id, code="000004", principal="pos-x",
                                       policy=policy, now=clock)) == ErrorCode.OTP_RATE_LIMITED
    # another terminal is not affected
    assert await _refused(otp.identify(pools["rewards"], program_id=program.id, code="000004", principal="pos-y",
                                       policy=policy, now=clock)) == ErrorCode.OTP_INVALID


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "12a456"])
async def test_malformed_codes_are_bad_input(pools, program, clock, bad):
    assert await _refused(otp.identify(pools["rewards"], program_id=program.id, code=bad, principal="pos",
                                       policy=POLICY, now=clock)) == ErrorCode.INVALID_INPUT


async def test_a_blocked_member_gets_no_code(pools, program, sender, clock):
    m = member(status="suspended")
    assert await _refused(_issue(pools, program, m, sender, clock)) == ErrorCode.MEMBER_BLOCKED


async def test_concurrent_wrong_identifies_never_pass_the_limit(pools, program, clock):
    # given a terminal allowed 20 wrong codes per window (issue 21: 21 passed once, check then increment)
    policy = OtpPolicy(pepper="p", identify_failures_per_window=20)
    clock.set("10:00")
    # when it sends 30 wrong codes at once
    guesses = [otp.identify(pools["rewards"], program_id=program.id, code=f"{900000 + i}", principal="pos-race",
                            policy=policy, now=clock) for i in range(30)]
    codes = [await _refused(g) for g in [asyncio.ensure_future(g) for g in guesses]]
    # then exactly 20 were judged and the rest refused without a look
    assert codes.count(ErrorCode.OTP_INVALID) == 20
    assert codes.count(ErrorCode.OTP_RATE_LIMITED) == 10
