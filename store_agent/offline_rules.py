"""Points of an earn computed at the till from the last synced rules, for "accepted, will post".

The same precedence as the platform (docs/rules.md): campaign 3 > tier 2 > partner/club/location 1
> program 0, then priority, then document order; an `override` rule drops matching rules of lower
precedence and the same kind; rate rules, then multipliers on the rate points, then bonuses.

What the till cannot know makes the answer an estimate (`exact` false, with the reasons), never a
silent guess: member facts (tier, segments, clubs, birthdays, days since enrolment), a tier's own
rule set, `multiplier: "tier"`, caps per day or per member, campaign budgets and targets by member
facts, discount rules (points are earned on the amount after discounts), partners, and any
JsonLogic operator this small evaluator does not know.
"""

import dataclasses
import datetime as dt
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

MEMBER_FACTS = frozenset({"tier", "tiers", "segments", "clubs", "birth_month", "is_birthday_month",
                          "days_since_enrolment"})
LEVEL = {"campaign": 3, "tier": 2, "partner": 1, "club": 1, "location": 1, "program": 0}
ROUNDING = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
KNOWN_OPS = frozenset({"some", "all", "none", "var", "and", "or", "==", "===", "!=", "!==", "!", "!!", "<", "<=", ">",
                       ">=", "in", "startsWith", "endsWith", "missing"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Unknown(Exception):
    """The condition needs something the till does not have."""


@dataclasses.dataclass(frozen=True)
class Estimate:
    points: int
    exact: bool
    lines: list[dict]
    reasons: list[str]

    def as_dict(self) -> dict:
        return {"points": self.points, "exact": self.exact, "lines": self.lines, "reasons": self.reasons}


def context(*, amount: Decimal, currency: str, channel: str, location: str, items: list[dict],
            at: dt.datetime, timezone: str) -> dict:
    local = at.astimezone(ZoneInfo(timezone))
    rows = [{"sku": i["sku"], "category": i.get("category") or "", "quantity": float(Decimal(i.get("quantity") or 1)),
             "price": float(Decimal(i.get("price") or 0))} for i in items]
    return {
        "amount": float(amount), "currency": currency, "channel": channel, "location": location, "partner": "",
        "items": rows, "skus": sorted({r["sku"] for r in rows}), "categories": sorted({r["category"] for r in rows}),
        "item_count": sum(r["quantity"] for r in rows), "day_of_week": local.isoweekday(),
        "weekday": WEEKDAYS[local.weekday()], "hour": local.hour, "date": local.date().isoformat(),
        "month": local.month,
    }


def _var(data: dict, name):
    if isinstance(name, list):
        name = name[0] if name else ""
    if name in MEMBER_FACTS:
        raise Unknown(f"reads the member's {name}")
    if name == "":
        return data
    value = data
    for part in str(name).split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def _num(x):
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, (int, float)):
        return x
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _cmp(op, a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        pass
    else:
        a, b = _num(a), _num(b)
        if a is None or b is None:
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _truthy(x) -> bool:
    if isinstance(x, list):
        return len(x) > 0
    return bool(x) and x != "0" if isinstance(x, str) else bool(x)


def evaluate(logic, data):
    """The JsonLogic subset the rules mostly use; anything else raises Unknown."""
    if isinstance(logic, list):
        return [evaluate(x, data) for x in logic]
    if not isinstance(logic, dict) or len(logic) != 1:
        return logic
    (op, args), = logic.items()
    if op not in KNOWN_OPS:
        raise Unknown(f"uses the operator {op!r}")
    if op in ("some", "all", "none"):
        seq = evaluate(args[0], data) or []
        hits = [_truthy(evaluate(args[1], x)) for x in seq]
        return any(hits) if op == "some" else (all(hits) and bool(hits)) if op == "all" else not any(hits)
    if not isinstance(args, list):
        args = [args]
    if op == "var":
        value = _var(data, evaluate(args[0], data) if args else "")
        return value if value is not None or len(args) < 2 else evaluate(args[1], data)
    if op == "and":
        value = True
        for a in args:
            value = evaluate(a, data)
            if not _truthy(value):
                return value
        return value
    if op == "or":
        value = False
        for a in args:
            value = evaluate(a, data)
            if _truthy(value):
                return value
        return value
    values = [evaluate(a, data) for a in args]
    if op in ("==", "==="):
        a, b = values[0], values[1]
        if op == "==" and not (isinstance(a, str) and isinstance(b, str)) and _num(a) is not None \
                and _num(b) is not None:
            return _num(a) == _num(b)
        return a == b
    if op in ("!=", "!=="):
        return not evaluate({"==" if op == "!=" else "===": args}, data)
    if op == "!":
        return not _truthy(values[0])
    if op == "!!":
        return _truthy(values[0])
    if op in ("<", "<=", ">", ">="):
        if len(values) == 3:  # between
            return _cmp(op, values[0], values[1]) and _cmp(op, values[1], values[2])
        return _cmp(op, values[0], values[1])
    if op == "in":
        needle, hay = values[0], values[1]
        if isinstance(hay, str):
            return isinstance(needle, str) and needle in hay
        return needle in (hay or [])
    if op == "startsWith":
        return isinstance(values[0], str) and values[0].startswith(str(values[1]))
    if op == "endsWith":
        return isinstance(values[0], str) and values[0].endswith(str(values[1]))
    if op == "missing":
        return [k for k in values if _var(data, k) is None]
    raise Unknown(f"uses the operator {op!r}")


@dataclasses.dataclass
class _Candidate:
    rule: dict
    level: int
    order: int
    set_code: str
    campaign: str
    kind: str


def _kind(action: dict) -> str:
    if "points_per_unit" in action or "points_per_item" in action:
        return "rate"
    if "multiplier" in action:
        return "multiplier"
    return "bonus"


def _items_basis(action: dict, ctx: dict) -> tuple[Decimal, Decimal, bool]:
    """(money basis, quantity) of the lines an action counts; bool: whether it names items."""
    wanted = action.get("items")
    if not wanted:
        return Decimal(str(ctx["amount"])), Decimal(str(ctx["item_count"])), False
    skus, cats = set(wanted.get("skus") or []), set(wanted.get("categories") or [])
    money = qty = Decimal(0)
    for i in ctx["items"]:
        if i["sku"] in skus or i["category"] in cats:
            q = Decimal(str(i["quantity"]))
            money += q * Decimal(str(i["price"]))
            qty += q
    return money, qty, True


def estimate(rules: dict | None, *, amount: Decimal, currency: str, channel: str, location: str, items: list[dict],
             at: dt.datetime, base_rate: Decimal) -> Estimate:
    """`rules` is what the agent synced (ruleSets, campaigns, program); None: never synced."""
    reasons: list[str] = []
    if rules is None:
        rate_points = int((amount * base_rate).to_integral_value(rounding=ROUND_FLOOR))
        return Estimate(rate_points, False, [{"rule": "base-rate", "points": rate_points,
                                              "description": f"{base_rate} per {currency}"}],
                        ["rules never synced: the base rate is assumed"])
    timezone = rules.get("program", {}).get("timezone") or "UTC"
    ctx = context(amount=amount, currency=currency, channel=channel, location=location, items=items, at=at,
                  timezone=timezone)
    campaigns = {c["code"]: c for c in rules.get("campaigns") or []}
    candidates: list[_Candidate] = []
    order = 0
    has_program_set = False
    for rs in rules.get("ruleSets") or []:
        if rs.get("archived") or not rs.get("publishedVersion"):
            continue
        scope, ref = rs["scope"], rs.get("scopeRef")
        published = rs.get("publishedRules") or []
        earn_rules = [r for r in published if r.get("type", "earn") == "earn"]
        if any(r.get("type") == "discount" for r in published):
            reasons.append(f"rule set {rs['code']}: discount rules change the amount points are earned on")
        if scope == "program":
            has_program_set = has_program_set or bool(earn_rules)
        elif scope == "location":
            if ref != location:
                continue
        elif scope == "partner":
            continue  # the till earns without a partner
        elif scope in ("tier", "club"):
            if earn_rules:
                reasons.append(f"rule set {rs['code']}: applies by the member's {scope}")
            continue
        elif scope == "campaign":
            c = campaigns.get(ref)
            if c is None:
                continue
            if not _inside(at, c):
                continue
            if c.get("partners"):
                continue
            if c.get("locations") and location not in c["locations"]:
                continue
            if c.get("segments") or c.get("tiers") or c.get("clubs"):
                if earn_rules:
                    reasons.append(f"campaign {ref}: targets members by segment, tier or club")
                continue
        for r in earn_rules:
            order += 1
            candidates.append(_Candidate(r, LEVEL.get(scope, 0), order, rs["code"], ref if scope == "campaign" else "",
                                         _kind(r.get("action") or {})))
    if not has_program_set:
        candidates.append(_Candidate({"code": "base-rate", "action": {"points_per_unit": str(base_rate)}},
                                     0, 0, "base", "", "rate"))
    matched = []
    for c in candidates:
        try:
            ok = c.rule.get("condition") is None or _truthy(evaluate(c.rule["condition"], ctx))
        except Unknown as e:
            reasons.append(f"rule {c.rule.get('code')}: {e}")
            continue
        except (TypeError, ValueError, IndexError, KeyError, InvalidOperation):
            reasons.append(f"rule {c.rule.get('code')}: condition not evaluated offline")
            continue
        if ok:
            matched.append(c)
    matched.sort(key=lambda c: (-c.level, -int(c.rule.get("priority") or 0), c.order))
    kept = []
    for c in matched:
        if any(o.kind == c.kind and o.level > c.level and o.rule.get("mode") == "override" for o in kept):
            continue
        kept.append(c)
    lines: list[dict] = []
    rate_total = 0
    for c in [c for c in kept if c.kind == "rate"]:
        a = c.rule.get("action") or {}
        basis, qty, named = _items_basis(a, ctx)
        if named and not qty:
            continue
        pts = Decimal(0)
        if "points_per_unit" in a:
            m = a.get("multiplier", 1)
            if m == "tier":
                reasons.append(f"rule {c.rule.get('code')}: multiplied by the member's tier")
                m = 1
            pts += (basis * Decimal(str(a["points_per_unit"])) * Decimal(str(m))).to_integral_value(
                rounding=ROUNDING.get(a.get("rounding", "floor"), ROUND_FLOOR))
        if "points_per_item" in a:
            pts += Decimal(str(a["points_per_item"])) * qty
        value = int(pts) + int(a.get("fixed_bonus") or 0)
        value = _capped(c, value, reasons)
        rate_total += value
        lines.append(_line(c, value))
    for c in [c for c in kept if c.kind == "multiplier"]:
        a = c.rule.get("action") or {}
        m = a.get("multiplier")
        if m == "tier":
            reasons.append(f"rule {c.rule.get('code')}: multiplied by the member's tier")
            continue
        value = int((Decimal(rate_total) * (Decimal(str(m)) - 1)).to_integral_value(
            rounding=ROUNDING.get(a.get("rounding", "floor"), ROUND_FLOOR)))
        lines.append(_line(c, _capped(c, value, reasons)))
    for c in [c for c in kept if c.kind == "bonus"]:
        a = c.rule.get("action") or {}
        lines.append(_line(c, _capped(c, int(a.get("fixed_bonus") or 0), reasons)))
    for c in kept:
        if c.campaign and (campaigns.get(c.campaign, {}).get("budgetTotal")
                           or campaigns.get(c.campaign, {}).get("budgetPerMember")):
            reasons.append(f"campaign {c.campaign}: has a points budget")
    total = sum(x["points"] for x in lines)
    return Estimate(total, not reasons, lines, sorted(set(reasons)))


def _inside(at: dt.datetime, campaign: dict) -> bool:
    def parse(s):
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None
    start, end = parse(campaign.get("startsAt")), parse(campaign.get("endsAt"))
    return (start is None or start <= at) and (end is None or at < end)


def _capped(c: _Candidate, value: int, reasons: list[str]) -> int:
    a = c.rule.get("action") or {}
    if a.get("cap_per_transaction"):
        value = min(value, int(a["cap_per_transaction"]))
    if a.get("cap_per_day") or a.get("cap_per_member"):
        reasons.append(f"rule {c.rule.get('code')}: capped per day or per member")
    return value


def _line(c: _Candidate, points: int) -> dict:
    return {"rule": c.rule.get("code"), "points": points, "description": c.rule.get("name") or c.rule.get("code"),
            "campaign": c.campaign or None}
