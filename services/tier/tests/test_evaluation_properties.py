"""Hypothesis: evaluation on any generated history equals a direct computation from the definition,
and a rerun changes nothing. Example counts are modest: each example runs the real service."""

import calendar
import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.common.v1 import program_pb2
from loyalty.tier.v1 import tier_service_pb2 as pb
from services.common.clients import call
from services.tier.tests.conftest import Member, TierClient, earn
from tests.fixtures.postgres import program_spec

START = dt.date(2024, 1, 1)
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---- the definition, written out plainly --------------------------------------------------------

def plus_months(day: dt.date, months: int) -> dt.date:
    year, month = day.year, day.month + months
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclasses.dataclass
class Definition:
    thresholds: list[int]  # level 1..n
    retention: list[int]
    validity: list[int]
    window_months: int
    one_level: bool
    grace_days: int

    def value(self, history: list[tuple[dt.date, int]], day: dt.date) -> int:
        start = plus_months(day, -self.window_months)
        return sum(points for when, points in history if start < when <= day)

    def qualified(self, value: int) -> int:
        return sum(1 for t in self.thresholds if value >= t)


@dataclasses.dataclass
class ModelMember:
    level: int = 0
    achieved: dt.date | None = None
    lapse: dt.date | None = None
    floor: int | None = None
    floor_ends: dt.date | None = None
    history: list = dataclasses.field(default_factory=list)


def model_earn(d: Definition, m: ModelMember, earned: list, day: dt.date) -> None:
    if m.achieved is None:
        m.achieved = day
    q = d.qualified(d.value(earned, day))
    if q > m.level:
        m.history.append(("upgrade", m.level, q, day))
        m.level, m.achieved, m.lapse = q, day, plus_months(day, d.validity[q - 1])


def model_job(d: Definition, m: ModelMember, earned: list, day: dt.date, frozen: bool) -> None:
    value = d.value(earned, day)
    q = d.qualified(value)
    floor = m.floor if m.floor is not None and (m.floor_ends is None or m.floor_ends > day) else 0
    if q > m.level:
        m.history.append(("upgrade", m.level, q, day))
        m.level, m.achieved, m.lapse = q, day, plus_months(day, d.validity[q - 1])
    elif m.lapse is not None and m.lapse <= day:
        if value >= d.retention[m.level - 1]:
            k = 1
            while plus_months(m.lapse, k * d.validity[m.level - 1]) <= day:
                k += 1
            m.history.append(("anniversary", m.level, m.level, day))
            m.lapse = plus_months(m.lapse, k * d.validity[m.level - 1])
        elif frozen or day < m.lapse + dt.timedelta(days=d.grace_days):
            pass
        else:
            new = max(m.level - 1 if d.one_level else 0, q, floor)
            if new < m.level:
                m.history.append(("downgrade", m.level, new, day))
                m.level, m.achieved = new, day
                m.lapse = plus_months(day, d.validity[new - 1]) if new else None
            else:
                m.lapse = m.floor_ends


# ---- generated histories --------------------------------------------------------------------------

@st.composite
def definitions(draw):
    levels = draw(st.integers(1, 3))
    steps = draw(st.lists(st.integers(500, 6000), min_size=levels, max_size=levels))
    thresholds = [sum(steps[: i + 1]) for i in range(levels)]
    retention = [draw(st.integers(thresholds[i] // 2, thresholds[i])) for i in range(levels)]
    return Definition(
        thresholds=thresholds, retention=retention,
        validity=draw(st.lists(st.integers(1, 4), min_size=levels, max_size=levels)),
        window_months=draw(st.integers(1, 6)), one_level=draw(st.booleans()), grace_days=draw(st.sampled_from([0, 10])),
    )


@st.composite
def scenarios(draw):
    definition = draw(definitions())
    members = draw(st.integers(1, 3))
    earns = draw(st.lists(st.tuples(st.integers(0, members - 1), st.integers(0, 420), st.integers(1, 4000)),
                          max_size=25))
    jobs = sorted(set(draw(st.lists(st.integers(0, 480), min_size=1, max_size=10))))
    freeze = draw(st.none() | st.tuples(st.integers(0, 400), st.integers(0, 90)))
    overrides = draw(st.lists(st.tuples(st.integers(0, members - 1), st.integers(0, 420),
                                        st.integers(1, len(definition.thresholds)), st.integers(1, 120)), max_size=2,
                              unique_by=lambda o: o[0]))
    return definition, members, earns, jobs, freeze, overrides


def slab_proto(d: Definition) -> pb.Slab:
    return pb.Slab(
        code="s", name="Generated", metric="points", window_length=d.window_months, window_unit="month",
        downgrade="one_level" if d.one_level else "to_base", grace_days=d.grace_days,
        tiers=[pb.Tier(code="L0", name="Base")] + [
            pb.Tier(code=f"L{i + 1}", name=f"Level {i + 1}", threshold=str(t), retention_threshold=str(r),
                    validity_months=v)
            for i, (t, r, v) in enumerate(zip(d.thresholds, d.retention, d.validity))],
    )


async def new_program(stub) -> TierClient:
    spec = program_spec(timezone="UTC")
    await call(stub.ProvisionProgram(program_pb2.ProvisionProgramRequest(spec=spec), timeout=10))
    return TierClient(stub, spec.id)


async def state_of(program: TierClient, member: Member) -> tuple:
    reply = await program.rpc("GetMemberTiers", pb.GetMemberTiersRequest(loyalty_number=member.number))
    (tier,) = reply.tiers
    history = [(c.change, int(c.from_tier_code[1:]), int(c.to_tier_code[1:]), dt.date.fromisoformat(c.effective_on))
               for c in await program.history(member.number) if c.change in ("upgrade", "downgrade", "anniversary")]
    return tier.level, tier.lapses_on or None, history


@SETTINGS
@given(scenario=scenarios())
async def test_evaluation_equals_the_definition_and_a_rerun_changes_nothing(tier_stub, scenario):
    definition, count, earns, jobs, freeze, overrides = scenario
    program = await new_program(tier_stub)
    await program.define(slab_proto(definition))
    members = [Member() for _ in range(count)]
    model = [ModelMember() for _ in range(count)]
    earned: list[list] = [[] for _ in range(count)]
    frozen_days = set()
    if freeze:
        first = START + dt.timedelta(days=freeze[0])
        last = first + dt.timedelta(days=freeze[1])
        await program.rpc("AddFreezeWindow", pb.AddFreezeWindowRequest(
            starts_on=first.isoformat(), ends_on=last.isoformat(), reason="generated"))
        frozen_days = {first + dt.timedelta(days=i) for i in range(freeze[1] + 1)}

    # the timeline: on each day, earns first, then overrides, then the job
    timeline = sorted({e[1] for e in earns} | {o[1] for o in overrides} | set(jobs))
    for offset in timeline:
        day = START + dt.timedelta(days=offset)
        todays = [e for e in earns if e[1] == offset]
        if todays:
            await program.consume(*(earn(program, members[i], points, day) for i, _, points in todays))
            for i in sorted({i for i, _, _ in todays}):
                earned[i].extend((day, p) for j, _, p in todays if j == i)
                model_earn(definition, model[i], earned[i], day)
        for i, _, level, days in (o for o in overrides if o[1] == offset):
            ends = day + dt.timedelta(days=days)
            await program.rpc("SetOverride", pb.SetOverrideRequest(
                loyalty_number=members[i].number, member_id=members[i].id, slab_code="s", tier_code=f"L{level}",
                reason="generated", ends_on=ends.isoformat(), as_of=day.isoformat()))
            m = model[i]
            m.floor, m.floor_ends = level, ends
            if level > m.level:
                m.level, m.achieved, m.lapse = level, day, ends
        if offset in jobs:
            await program.evaluate(day)
            for i in range(count):
                if model[i].achieved is not None:
                    model_job(definition, model[i], earned[i], day, day in frozen_days)

    expected = [(m.level, m.lapse.isoformat() if m.lapse else None, m.history) for m in model]
    assert [await state_of(program, member) for member in members] == expected

    # a rerun of the last day changes nothing
    rerun = await program.evaluate(START + dt.timedelta(days=jobs[-1]), force=True)
    assert (rerun.slabs[0].upgrades, rerun.slabs[0].downgrades, rerun.slabs[0].anniversaries) == (0, 0, 0)
    assert [await state_of(program, member) for member in members] == expected


@SETTINGS
@given(definition=definitions(),
       earns=st.lists(st.tuples(st.integers(0, 500), st.integers(1, 6000)), min_size=1, max_size=20))
async def test_upgrades_at_the_events_reach_the_best_tier_any_window_ever_qualified_for(tier_stub, definition, earns):
    # given any history delivered in any order of batches, before any daily job
    program = await new_program(tier_stub)
    await program.define(slab_proto(definition))
    member = Member()
    history = [(START + dt.timedelta(days=offset), points) for offset, points in earns]
    for day in sorted({d for d, _ in history}):
        await program.consume(*(earn(program, member, p, day) for d, p in history if d == day))
    # then the tier is the highest any rolling window ending on an earn day reached
    best = max(definition.qualified(definition.value(history, day)) for day, _ in history)
    level, _, _ = await state_of(program, member)
    assert level == best
