"""Member facts that live in other services (tier, segments, clubs, profile) are fetched before the
earn's transaction opens: no database connection is held across a network call."""

from services.points.rules.evaluation import Facts
from services.points.rules.policy import RulesEarnPolicy
from services.points.rules.tests.helpers import RulesProgram

TEN_PER_EURO = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]
GOLD = [{"code": "gold-x1.5", "action": {"multiplier": "1.5"}}]


class WatchedFacts:
    """A facts source that notes how many of the pool's connections are in use while it is asked."""

    def __init__(self, pool, facts: Facts):
        self.pool, self.facts, self.in_use = pool, facts, []

    async def fetch(self, *, program_id, member_id, needs) -> Facts:
        self.in_use.append(self.pool.get_size() - self.pool.get_idle_size())
        return self.facts if needs else Facts()


async def test_an_earn_fetches_the_facts_its_rules_read_with_no_connection_held(pools):
    # given a gold members' rule set, and a facts source that says the member is gold
    program = await RulesProgram.new(pools["points"])
    watched = WatchedFacts(program.pool, Facts(tiers=("gold",)))
    program.policy = RulesEarnPolicy(watched)
    await program.publish("base", TEN_PER_EURO)
    await program.publish("gold", GOLD, scope="tier", ref="gold")
    number = await program.member()
    # when the member earns, twice (the second with the rules cached)
    first = await program.earn(number, "10", "e1")
    second = await program.earn(number, "10", "e2")
    # then the tier rule applied, and the facts were fetched while no connection of the pool was in use
    assert (first.points_earned, second.points_earned) == (150, 150)
    assert watched.in_use and set(watched.in_use) == {0}
