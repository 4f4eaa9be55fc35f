"""Claims, settle, void and vouchers against the real rewards schema (and the real ledger where points move)."""

import asyncio
import datetime as dt
import uuid

import pytest

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from loyalty.points.v1 import points_service_pb2 as points_pb
from services.common.clients import call, metadata
from services.common.errors import DomainError, ErrorCode
from services.rewards import api, catalogue, claiming, commands, eligibility, redemption, report, vouchers
from services.rewards.results import Claim, Reward, Voucher
from services.rewards.otp import OtpPolicy
from services.rewards.peers import Profile
from services.rewards.tests.conftest import enrol, member, require_holds

POLICY = OtpPolicy(pepper="test-pepper")
NO_PROFILE = Profile(tier_codes=None, segment_codes=None)


def spec(code: str | None = None, **overrides) -> commands.RewardInput:
    """A reward as the POS would send it, through api.py's translation (which validates it)."""
    values = {"code": code or f"r-{uuid.uuid4().hex[:8]}", "name": "Free coffee", "kind": "free_item",
              "plu": "COFFEE", "points_cost": 100}
    values.update(overrides)
    return api.reward_input(pb.RewardInput(**values))


async def _create(pools, program, **overrides) -> Reward:
    return await catalogue.create(pools["rewards"], program_id=program.id, spec=spec(**overrides))


async def claim_request(pools, program, ledger, m, request: pb.ClaimRequest, *, profile=NO_PROFILE, clock=None,
                        policy=None) -> Claim:
    """A claim as api.py makes it from the request."""
    async def profile_of():
        return profile

    return await claiming.claim(pools["rewards"], program_id=program.id, command=api.claim_command(request),
                                principal="staff:test", member=m, ledger=ledger, profile_of=profile_of,
                                policy=policy or POLICY, now=clock or (lambda: dt.datetime.now(dt.timezone.utc)),
                                replay=api.replay(request, pb.RewardClaim, Claim))


async def _claim(pools, program, ledger, m, reward_code, *, reference=None, profile=NO_PROFILE, clock=None,
                 **fields) -> Claim:
    request = pb.ClaimRequest(loyalty_number=m.loyalty_number, reward_code=reward_code,
                              reference=reference or f"pos-{uuid.uuid4().hex[:10]}", otp_bypass=True, **fields)
    return await claim_request(pools, program, ledger, m, request, profile=profile, clock=clock)


def _now():
    return dt.datetime.now(dt.timezone.utc)


async def _refused(pending) -> DomainError:
    with pytest.raises(DomainError) as err:
        await pending
    return err.value


# --- catalogue ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": "Bad Code"}, "code"), ({"kind": "cash"}, "kind"), ({"type": "coupon"}, "type"),
    ({"points_cost": -1}, "pointsCost"), ({"points_cost": 0}, "pointsCost"),
    ({"kind": "amount_off", "plu": "", "value": "abc"}, "value"), ({"kind": "percent_off", "plu": "", "value": "150"}, "value"),
    ({"plu": ""}, "plu"), ({"kind": "partner_voucher", "plu": ""}, "partnerCode"),
    ({"valid_from": "2026-02-01T00:00:00+00:00", "valid_until": "2026-01-01T00:00:00+00:00"}, "validUntil"),
    ({"valid_until": "tomorrow"}, "validUntil"), ({"image_url": "javascript:alert(1)"}, "imageUrl"),
    ({"name": ""}, "name"), ({"tier_codes": ["gold tier"]}, "tierCodes"),
])
async def test_bad_catalogue_input_names_the_field(pools, program, overrides, field):
    err = await _refused(_create(pools, program, **overrides))
    assert err.code == ErrorCode.INVALID_INPUT and err.field == field


async def test_catalogue_round_trip_and_duplicates(pools, program):
    made = await _create(pools, program, code="ten-off", kind="amount_off", plu="", value="10.50",
                         image_url="https://cdn.example.com/ten.png", description="Ten euros fifty off",
                         has_stock=True, stock=3, per_member_limit=2, tier_codes=["gold"], location_codes=["mad-1"])
    got = await catalogue.get(pools["rewards"], program_id=program.id, code="ten-off")
    assert got == made
    assert (got.spec.value, got.spec.stock, got.spec.has_stock, list(got.spec.tier_codes)) == ("10.5", 3, True, ["gold"])
    assert (await _refused(_create(pools, program, code="ten-off"))).code == ErrorCode.DUPLICATE_REWARD
    # offers are listed apart
    await _create(pools, program, code="welcome", type="offer", points_cost=0, segment_codes=["new"])
    offers = await catalogue.list_all(pools["rewards"], program_id=program.id,
                                      command=commands.ListRewards(type="offer"))
    assert [r.spec.code for r in offers] == ["welcome"]
    # an update replaces the spec; an inactive reward leaves the active list
    changed = spec("ten-off", kind="amount_off", plu="", value="12", points_cost=150, active=False)
    assert (await catalogue.update(pools["rewards"], program_id=program.id, spec=changed)).spec.points_cost == 150
    active = await catalogue.list_all(pools["rewards"], program_id=program.id, command=commands.ListRewards())
    assert "ten-off" not in [r.spec.code for r in active]


# --- refusals -----------------------------------------------------------------------------------

async def test_unknown_expired_not_yet_valid_and_wrong_tier_are_clear_refusals(pools, program, ledger):
    m = member()
    assert (await _refused(_claim(pools, program, ledger, m, "no-such-reward"))).code == ErrorCode.NOT_FOUND
    expired = await _create(pools, program, valid_until="2020-01-01T00:00:00+00:00", type="offer", points_cost=0)
    assert (await _refused(_claim(pools, program, ledger, m, expired.spec.code))).code == ErrorCode.REWARD_EXPIRED
    later = await _create(pools, program, valid_from="2999-01-01T00:00:00+00:00", type="offer", points_cost=0)
    assert (await _refused(_claim(pools, program, ledger, m, later.spec.code))).code == ErrorCode.REWARD_NOT_YET_VALID
    gold = await _create(pools, program, tier_codes=["gold"], type="offer", points_cost=0)
    silver = Profile(tier_codes=frozenset({"silver"}), segment_codes=frozenset())
    err = await _refused(_claim(pools, program, ledger, m, gold.spec.code, profile=silver))
    assert err.code == ErrorCode.REWARD_NOT_ELIGIBLE and "gold" in err.message
    # missing tier data never grants a restricted reward
    err = await _refused(_claim(pools, program, ledger, m, gold.spec.code, profile=NO_PROFILE))
    assert err.code == ErrorCode.REWARD_NOT_ELIGIBLE
    # the right tier may
    ok = await _claim(pools, program, ledger, m, gold.spec.code,
                      profile=Profile(tier_codes=frozenset({"gold"}), segment_codes=None))
    assert ok.status == "held"
    # location and club restrictions read the claim's place
    local = await _create(pools, program, location_codes=["mad-1"], type="offer", points_cost=0)
    err = await _refused(_claim(pools, program, ledger, m, local.spec.code, location_code="bcn-2"))
    assert (err.code, err.field) == (ErrorCode.REWARD_NOT_ELIGIBLE, "locationCode")
    assert (await _claim(pools, program, ledger, m, local.spec.code, location_code="mad-1")).status == "held"


async def test_a_claim_needs_a_passcode_unless_bypassed(pools, program, ledger):
    m = member()
    offer = await _create(pools, program, type="offer", points_cost=0)
    request = pb.ClaimRequest(loyalty_number=m.loyalty_number, reward_code=offer.spec.code, reference="no-otp")
    err = await _refused(claim_request(pools, program, ledger, m, request))
    assert err.code == ErrorCode.OTP_REQUIRED
    request.otp = "123456"
    err = await _refused(claim_request(pools, program, ledger, m, request))
    assert err.code == ErrorCode.OTP_INVALID


# --- concurrency: stock and per-member limit ------------------------------------------------------

async def test_concurrent_claims_never_exceed_stock_or_the_per_member_limit(pools, program, ledger, admin_conn):
    # given an offer with 5 units, at most 2 per member, and 3 members
    offer = await _create(pools, program, type="offer", points_cost=0, has_stock=True, stock=5, per_member_limit=2)
    members = [member() for _ in range(3)]
    # when each member tries 6 claims at once (18 in all)
    results = await asyncio.gather(*(
        _claim(pools, program, ledger, m, offer.spec.code) for m in members for _ in range(6)
    ), return_exceptions=True)
    # then exactly 5 succeed, no member got more than 2, and the rest got clear codes
    won = [r for r in results if isinstance(r, Claim)]
    refused = [r.code for r in results if isinstance(r, DomainError)]
    assert len(won) == 5
    assert len(won) + len(refused) == 18
    assert set(refused) <= {ErrorCode.OUT_OF_STOCK, ErrorCode.REWARD_LIMIT_REACHED}
    per_member = {m.loyalty_number: sum(1 for w in won if w.loyalty_number == m.loyalty_number) for m in members}
    assert max(per_member.values()) == 2
    row = await admin_conn.fetchrow("SELECT stock, claimed FROM rewards.rewards WHERE id = $1", uuid.UUID(offer.id))
    assert dict(row) == {"stock": 0, "claimed": 5}


async def test_void_gives_back_stock_and_allowance_and_is_idempotent(pools, program, ledger):
    offer = await _create(pools, program, type="offer", points_cost=0, has_stock=True, stock=1, per_member_limit=1)
    m = member()
    first = await _claim(pools, program, ledger, m, offer.spec.code, reference="v-1")
    assert (await _refused(_claim(pools, program, ledger, m, offer.spec.code))).code == ErrorCode.OUT_OF_STOCK
    voided = await redemption.void(pools["rewards"], program_id=program.id, reference="v-1", reason="changed mind",
                                   ledger=ledger, now=_now)
    assert voided.status == "voided"
    again = await redemption.void(pools["rewards"], program_id=program.id, reference="v-1", reason="changed mind",
                                  ledger=ledger, now=_now)
    assert again.status == "voided" and again.id == first.id
    # the unit and the member's allowance are back
    assert (await _claim(pools, program, ledger, m, offer.spec.code)).status == "held"
    # a voided claim cannot be settled
    err = await _refused(redemption.settle(pools["rewards"], program_id=program.id, reference="v-1", ledger=ledger,
                                           now=_now))
    assert err.code == ErrorCode.CLAIM_NOT_ACTIVE


async def test_the_same_reference_answers_the_same_and_a_different_request_conflicts(pools, program, ledger):
    offer = await _create(pools, program, type="offer", points_cost=0, has_stock=True, stock=10)
    m = member()
    answers = await asyncio.gather(*(_claim(pools, program, ledger, m, offer.spec.code, reference="same")
                                     for _ in range(8)))
    assert len({a.id for a in answers}) == 1
    assert (await catalogue.get(pools["rewards"], program_id=program.id, code=offer.spec.code)).spec.stock == 9
    other = await _create(pools, program, type="offer", points_cost=0)
    err = await _refused(_claim(pools, program, ledger, m, other.spec.code, reference="same"))
    assert err.code == ErrorCode.IDEMPOTENCY_CONFLICT


# --- vouchers -----------------------------------------------------------------------------------

async def test_a_voucher_is_validated_then_consumed_once(pools, program, ledger):
    reward = await _create(pools, program, type="offer", points_cost=0, kind="partner_voucher", plu="",
                           partner_code="cinema")
    m = member()
    claimed = await _claim(pools, program, ledger, m, reward.spec.code, reference="vch-1")
    assert len(claimed.voucher_code) == 12
    seen = await vouchers.validate(pools["rewards"], program_id=program.id, code=claimed.voucher_code.lower())
    assert (seen.status, seen.partner_code, seen.loyalty_number) == ("issued", "cinema", m.loyalty_number)
    # when two tills consume it at once, one wins
    results = await asyncio.gather(*(
        vouchers.consume(pools["rewards"], program_id=program.id, ledger=ledger, now=_now,
                         command=commands.ConsumeVoucher(code=claimed.voucher_code, reference=f"till-{i}",
                                                         location_code="mad-1"))
        for i in range(4)
    ), return_exceptions=True)
    won = [r for r in results if isinstance(r, Voucher)]
    assert len(won) == 1 and won[0].status == "consumed"
    assert {r.code for r in results if isinstance(r, DomainError)} == {ErrorCode.VOUCHER_ALREADY_USED}
    # consuming it settled the claim; the winner's replay answers the same
    assert (await redemption.get(pools["rewards"], program_id=program.id, reference="vch-1")).status == "settled"
    replay = await vouchers.consume(pools["rewards"], program_id=program.id, ledger=ledger, now=_now,
                                    command=commands.ConsumeVoucher(code=claimed.voucher_code,
                                                                    reference=won[0].consumed_reference,
                                                                    location_code="mad-1"))
    assert replay == won[0]


async def test_a_voided_claims_voucher_cannot_be_used(pools, program, ledger):
    reward = await _create(pools, program, type="offer", points_cost=0, issues_voucher=True)
    claimed = await _claim(pools, program, ledger, member(), reward.spec.code, reference="vch-2")
    await redemption.void(pools["rewards"], program_id=program.id, reference="vch-2", reason="", ledger=ledger, now=_now)
    err = await _refused(vouchers.consume(pools["rewards"], program_id=program.id, ledger=ledger, now=_now,
                                          command=commands.ConsumeVoucher(code=claimed.voucher_code, reference="t")))
    assert err.code == ErrorCode.CLAIM_NOT_ACTIVE


async def test_a_members_claims_with_their_vouchers_newest_first(pools, program, ledger):
    reward = await _create(pools, program, type="offer", points_cost=0, issues_voucher=True)
    m, other = member(), member()
    first = await _claim(pools, program, ledger, m, reward.spec.code, reference="mine-1")
    second = await _claim(pools, program, ledger, m, reward.spec.code, reference="mine-2")
    await _claim(pools, program, ledger, other, reward.spec.code, reference="theirs-1")
    await redemption.void(pools["rewards"], program_id=program.id, reference="mine-1", reason="", ledger=ledger, now=_now)
    listed = await redemption.member_claims(pools["rewards"], program_id=program.id, loyalty_number=m.loyalty_number,
                                            page_size=0)
    assert [(c.reference, c.status, c.voucher_code) for c in listed.claims] == [
        ("mine-2", "held", second.voucher_code), ("mine-1", "voided", first.voucher_code)]
    message = api.response(pb.ListClaimsResponse, listed)
    assert [c.reward_code for c in message.claims] == [reward.spec.code] * 2
    err = await _refused(redemption.member_claims(pools["rewards"], program_id=program.id,
                                                  loyalty_number=m.loyalty_number, page_size=-1))
    assert err.field == "pageSize"


# --- eligibility and report ------------------------------------------------------------------------

async def test_eligibility_lists_what_the_member_can_take_the_next_and_the_highest(pools, program):
    for code, cost in (("coffee", 100), ("cake", 250), ("lunch", 900), ("dinner", 2000)):
        await _create(pools, program, code=code, points_cost=cost)
    await _create(pools, program, code="gold-lounge", points_cost=50, tier_codes=["gold"])
    await _create(pools, program, code="sold-out", points_cost=10, has_stock=True, stock=0)
    m = member()
    result = await eligibility.for_member(
        pools["rewards"], program_id=program.id, loyalty_number=m.loyalty_number, balance=300, profile=NO_PROFILE,
        where=eligibility.Where(), reward_type="", now=_now())
    assert [e.reward.spec.code for e in result.available] == ["coffee", "cake"]
    assert (result.next.reward.spec.code, result.next.points_needed) == ("lunch", 600)
    assert result.highest.reward.spec.code == "cake"
    gold = Profile(tier_codes=frozenset({"gold"}), segment_codes=frozenset())
    result = await eligibility.for_member(
        pools["rewards"], program_id=program.id, loyalty_number=m.loyalty_number, balance=60, profile=gold,
        where=eligibility.Where(), reward_type="", now=_now())
    assert [e.reward.spec.code for e in result.available] == ["gold-lounge"]
    assert result.next.reward.spec.code == "coffee" and result.next.points_needed == 40


async def test_report_counts_redemptions_per_reward_and_day(pools, program, ledger):
    offer = await _create(pools, program, code="tea", type="offer", points_cost=0)
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
    for i in range(3):
        await _claim(pools, program, ledger, member(), "tea", reference=f"rep-{i}", clock=lambda: at)
    await redemption.settle(pools["rewards"], program_id=program.id, reference="rep-0", ledger=ledger, now=lambda: at)
    await redemption.void(pools["rewards"], program_id=program.id, reference="rep-2", reason="", ledger=ledger,
                          now=lambda: at)
    built = await report.build(pools["rewards"], program_id=program.id, command=commands.GetReport(
        since="2026-03-01T00:00:00+00:00", to="2026-03-03T00:00:00+00:00", period="day"))
    assert [(r.period, r.reward_code, r.redemptions, r.settled) for r in built.rows] == [("2026-03-02", "tea", 2, 1)]
    assert (built.open_holds, built.total_redemptions) == (1, 2)
    assert offer.spec.code == "tea"


# --- with the ledger (points move) ----------------------------------------------------------------

async def test_concurrent_claims_never_overspend_the_balance(pools, program, ledger):
    m = member()
    await enrol(ledger, program, m, points=350)
    await require_holds(ledger, program, m)  # spends 1 point
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=10, per_member_limit=5)
    results = await asyncio.gather(*(_claim(pools, program, ledger, m, reward.spec.code) for _ in range(8)),
                                   return_exceptions=True)
    won = [r for r in results if isinstance(r, Claim)]
    assert len(won) == 3  # 349 points buy three
    assert {r.code for r in results if isinstance(r, DomainError)} == {ErrorCode.INSUFFICIENT_POINTS}
    assert await ledger.available_points(program.id, m.loyalty_number) == 49
    assert (await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)).spec.stock == 7


async def test_claim_settle_and_void_move_points_through_the_ledger(pools, program, ledger):
    m = member()
    await enrol(ledger, program, m, points=500)
    await require_holds(ledger, program, m)
    reward = await _create(pools, program, points_cost=200)
    held = await _claim(pools, program, ledger, m, reward.spec.code, reference="two-phase")
    assert held.status == "held" and held.hold_expires_at
    assert await ledger.available_points(program.id, m.loyalty_number) == 299
    settled = await redemption.settle(pools["rewards"], program_id=program.id, reference="two-phase", ledger=ledger,
                                      now=_now)
    assert settled.status == "settled"
    assert await ledger.available_points(program.id, m.loyalty_number) == 299
    voided = await redemption.void(pools["rewards"], program_id=program.id, reference="two-phase", reason="refund",
                                   ledger=ledger, now=_now)
    assert voided.status == "voided"
    assert await ledger.available_points(program.id, m.loyalty_number) == 499
    # a member with too few points gets a clear refusal and nothing is left behind
    poor = member()
    await enrol(ledger, program, poor, points=150)
    err = await _refused(_claim(pools, program, ledger, poor, reward.spec.code, reference="poor-1"))
    assert err.code == ErrorCode.INSUFFICIENT_POINTS
    assert (await _refused(redemption.get(pools["rewards"], program_id=program.id, reference="poor-1"))).code \
        == ErrorCode.NOT_FOUND
    assert (await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)).claimed == 0


async def test_void_of_the_order_voids_the_claim_and_the_earn_and_restores_the_balance(pools, program, ledger):
    # given a member with 500 points
    m = member()
    await enrol(ledger, program, m, points=500)
    await require_holds(ledger, program, m)
    before = await ledger.available_points(program.id, m.loyalty_number)
    reward = await _create(pools, program, points_cost=200, has_stock=True, stock=1)
    md = metadata(program_id=program.id, principal="test")
    # when the reward is claimed at payment and the purchase earns at pickup, in one order
    await _claim(pools, program, ledger, m, reward.spec.code, reference="pay-1", order_reference="order-1")
    await call(ledger.points.Earn(points_pb.EarnRequest(
        loyalty_number=m.loyalty_number, amount="30", currency="EUR", reference="pickup-1",
        order_reference="order-1"), metadata=md))
    await redemption.settle(pools["rewards"], program_id=program.id, reference="pay-1", ledger=ledger, now=_now)
    assert await ledger.available_points(program.id, m.loyalty_number) == before - 200 + 30
    # and the order is voided
    result = await redemption.void_order(pools["rewards"], program_id=program.id, order_reference="order-1",
                                         reason="order cancelled", ledger=ledger, now=_now)
    # then the balance is exactly what it was, the claim is voided and its unit is back in stock
    assert result.new_balance == before
    assert await ledger.available_points(program.id, m.loyalty_number) == before
    assert [c.status for c in result.claims] == ["voided"]
    assert (await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)).spec.stock == 1
    # and the ledger's history shows both transactions of the order voided
    history = await call(ledger.points.ListTransactions(
        points_pb.ListTransactionsRequest(loyalty_number=m.loyalty_number, page_size=50), metadata=md))
    status = {(t.kind, t.reference.rsplit(":", 1)[-1] if t.kind == "CAPTURE" else t.reference): t.status
              for t in history.transactions}
    assert status[("EARN", "pickup-1")] == "voided"
    assert status[("CAPTURE", "settle")] == "voided"
    # voiding the order again answers the same
    again = await redemption.void_order(pools["rewards"], program_id=program.id, order_reference="order-1",
                                        reason="order cancelled", ledger=ledger, now=_now)
    assert again.new_balance == before and [c.status for c in again.claims] == ["voided"]
