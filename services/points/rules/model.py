"""Rules as data: parse and validate a rule set's JSON into compiled rules (docs/rules.md).

A rule: {"code", "name", "type": earn|burn|discount|enroll, "condition": JsonLogic or null,
"action": {...}, "mode": stack|override, "priority": int}. Conditions are compiled once with
datalogic-py (a maintained JsonLogic engine with a Rust core); what a condition reads decides
which member facts the earn path must fetch.
"""

import dataclasses
import functools
import json
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import datalogic_py

from services.common.errors import DomainError, ErrorCode
from services.points.rules import native

RULE_TYPES = ("earn", "burn", "discount", "enroll")
POINT_TYPES = ("base", "bonus", "promotional")
MODES = ("stack", "override")
ROUNDING = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
ENROLL_EVENTS = ("enrolment", "birthday", "referral")
SCOPES = ("program", "club", "location", "partner", "tier", "campaign")
# Precedence of rule sets: campaign over tier over partner/club/location over the program's base.
LEVELS = {"program": 0, "club": 1, "location": 1, "partner": 1, "tier": 2, "campaign": 3}

# The documented transaction context. Variable -> the member fact it needs (None: the transaction itself).
VARIABLES: dict[str, str | None] = {
    "amount": None, "currency": None, "channel": None, "location": None, "partner": None,
    "items": None, "skus": None, "categories": None, "item_count": None,
    "day_of_week": None, "weekday": None, "hour": None, "date": None, "month": None,
    "tier": "tier", "tiers": "tier",
    "segments": "segments",
    "clubs": "clubs",
    "birth_month": "member", "is_birthday_month": "member", "days_since_enrolment": "member",
}
ITEM_FIELDS = ("sku", "category", "quantity", "price")
FACTS = ("tier", "segments", "clubs", "member")

_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
RULE_KEYS = {"code", "name", "type", "condition", "action", "mode", "priority", "description"}
ACTION_KEYS = {
    "earn": {"points_per_unit", "rounding", "multiplier", "fixed_bonus", "points_per_item", "items",
             "cap_per_transaction", "cap_per_day", "cap_per_member", "point_type", "expiry_days"},
    "burn": {"points_per_unit", "min_points", "max_points", "max_percent"},
    "discount": {"percent_off", "amount_off", "max_amount", "min_amount", "items", "per_unit", "rounding"},
    "enroll": {"event", "fixed_bonus", "point_type", "expiry_days"},
}


def _starts_with(args_json: str) -> str:
    args = json.loads(args_json)
    return json.dumps(len(args) >= 2 and isinstance(args[0], str) and args[0].startswith(str(args[1])))


def _ends_with(args_json: str) -> str:
    args = json.loads(args_json)
    return json.dumps(len(args) >= 2 and isinstance(args[0], str) and args[0].endswith(str(args[1])))


# react-querybuilder's JsonLogic export uses two custom operators for "begins with" / "ends with".
ENGINE = datalogic_py.Engine(custom_operators={"startsWith": _starts_with, "endsWith": _ends_with})


@dataclasses.dataclass(frozen=True)
class Problem:
    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule!r} {self.field}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Action:
    points_per_unit: Decimal | None = None
    rounding: str = "floor"
    multiplier: Decimal | None = None
    multiplier_from_tier: bool = False
    fixed_bonus: int = 0
    points_per_item: int = 0
    item_skus: frozenset[str] = frozenset()
    item_categories: frozenset[str] = frozenset()
    cap_per_transaction: int | None = None
    cap_per_day: int | None = None
    cap_per_member: int | None = None
    point_type: str = "base"
    expiry_days: int | None = None
    # burn
    min_points: int = 0
    max_points: int | None = None
    max_percent: Decimal | None = None
    # enroll
    event: str = ""
    # discount (money in the program's currency; item_skus/item_categories: what it applies to)
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    max_amount: Decimal | None = None
    min_amount: Decimal | None = None
    per_unit: bool = False

    @functools.cached_property
    def kind(self) -> str:
        """rate, multiplier or bonus: an override replaces lower-precedence rules of the same kind."""
        if self.points_per_unit is not None or self.points_per_item:
            return "rate"
        if self.multiplier is not None or self.multiplier_from_tier:
            return "multiplier"
        return "bonus"

    @functools.cached_property
    def counted(self) -> bool:
        """A cap the database counts (per day, per member)."""
        return bool(self.cap_per_day or self.cap_per_member)

    @functools.cached_property
    def rate_text(self) -> str:
        return str(self.points_per_unit)

    @functools.cached_property
    def bonus_text(self) -> str:
        return f"+{self.fixed_bonus} bonus"

    @functools.cached_property
    def filters_items(self) -> bool:
        return bool(self.item_skus or self.item_categories)


@dataclasses.dataclass(frozen=True)
class Rule:
    code: str
    name: str
    type: str
    condition: Any
    action: Action
    mode: str
    priority: int
    compiled: Any  # datalogic_py.Rule, or None for "always"
    needs: frozenset[str]  # member facts the rule reads
    native: Any = None  # the same condition as a Python predicate (native.py), when it has one

    @functools.cached_property
    def needs_basket_items(self) -> bool:
        """A stacking earn rule whose points come only from the items it names (no fixed bonus):
        without them in the basket it adds nothing, so it is not even a candidate (no 0-point line).
        An override keeps its meaning (it still replaces lower rules of its kind when it matches)."""
        return self.type == "earn" and self.mode == "stack" and self.action.filters_items \
            and not self.action.fixed_bonus

    def matches(self, data: "Context | datalogic_py.DataHandle | dict") -> bool:
        """JsonLogic truthiness of the condition over the context (a Context made once per
        transaction, a DataHandle, or a plain dict)."""
        if self.compiled is None:
            return True
        if isinstance(data, dict):
            data = Context(data)
        if isinstance(data, Context):
            if self.native is not None:
                return bool(self.native(data.values))
            data = data.handle
        return truthy(self.compiled.evaluate_data(data))


class Context:
    """One transaction's variables; parsed for datalogic-py only if a rule without a native
    predicate asks (most programs' conditions never do, and the parse is the costly part)."""

    __slots__ = ("values", "_handle")

    def __init__(self, values: dict):
        self.values = values
        self._handle = None

    @property
    def handle(self) -> "datalogic_py.DataHandle":
        if self._handle is None:
            self._handle = data_handle(self.values)
        return self._handle


def truthy(value: Any) -> bool:
    """JsonLogic's truthiness: 0, "", [], {}, null and false are false; "0" is true."""
    return bool(value)


def data_handle(context: dict) -> "datalogic_py.DataHandle":
    return datalogic_py.DataHandle(json.dumps(context))


def parse_rules_json(text: str) -> list:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, f"rules: malformed JSON at line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}", field="rules") from None
    if isinstance(value, dict) and "rules" in value:
        value = value["rules"]
    if not isinstance(value, list):
        raise DomainError(ErrorCode.INVALID_INPUT, "rules: must be a JSON array of rules", field="rules")
    return value


def check_rules(raw_rules: list) -> tuple[list[Rule], list[Problem]]:
    """Every rule parsed, or every problem found (each naming its rule and field)."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        name = raw.get("code") if isinstance(raw, dict) and isinstance(raw.get("code"), str) and raw.get("code") \
            else f"#{index + 1}"
        found: list[Problem] = []
        rule = _parse_rule(raw, name, found)
        if rule is not None and rule.code in seen:
            found.append(Problem(name, "code", "is used by another rule of this set"))
        problems += found
        if rule is not None and not found:
            seen.add(rule.code)
            rules.append(rule)
    return rules, problems


def compile_rules(raw_rules: list) -> list[Rule]:
    rules, problems = check_rules(raw_rules)
    if problems:
        raise DomainError(ErrorCode.INVALID_INPUT, "invalid rules: " + "; ".join(str(p) for p in problems),
                          field="rules")
    return rules


def _parse_rule(raw: Any, name: str, problems: list[Problem]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(Problem(name, "rule", "must be a JSON object"))
        return None
    for key in sorted(set(raw) - RULE_KEYS):
        problems.append(Problem(name, key, f"unknown field (allowed: {', '.join(sorted(RULE_KEYS))})"))
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(Problem(name, "code", "is required: 1-63 lower-case letters, digits, '-', '_' or '.'"))
    rule_type = raw.get("type", "earn")
    if rule_type not in RULE_TYPES:
        problems.append(Problem(name, "type", f"{rule_type!r} is not one of {', '.join(RULE_TYPES)}"))
        return None
    mode = raw.get("mode", "stack")
    if mode not in MODES:
        problems.append(Problem(name, "mode", f"{mode!r} is not one of {', '.join(MODES)}"))
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        problems.append(Problem(name, "priority", "must be a whole number"))
        priority = 0
    compiled, needs = _condition(raw.get("condition"), name, problems)
    action = _action(raw.get("action"), rule_type, name, problems)
    if action is None:
        return None
    if action.multiplier_from_tier:
        needs = needs | {"tier"}
    condition = raw.get("condition")
    if isinstance(condition, str):
        try:
            condition = json.loads(condition)
        except json.JSONDecodeError:
            condition = None  # _condition reported it
    return Rule(code=code if isinstance(code, str) else name, name=str(raw.get("name") or code or name),
                type=rule_type, condition=raw.get("condition"), action=action, mode=mode, priority=priority,
                compiled=compiled, needs=frozenset(needs),
                native=native.compile_predicate(condition) if compiled is not None else None)


def _condition(condition: Any, name: str, problems: list[Problem]):
    if condition is None or condition is True or condition == {}:
        return None, set()
    if isinstance(condition, str):
        try:
            condition = json.loads(condition)
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, "condition", f"malformed JSON: {exc.msg}"))
            return None, set()
    if not isinstance(condition, (dict, bool)):
        problems.append(Problem(name, "condition", "must be a JsonLogic object"))
        return None, set()
    diagnostics = [d for d in ENGINE.check(condition) if d.get("severity") == "error"]
    if diagnostics:
        for d in diagnostics:
            problems.append(Problem(name, "condition", d.get("message", "invalid JsonLogic")))
        return None, set()
    try:
        compiled = ENGINE.compile(condition)
    except datalogic_py.DataLogicError as exc:
        problems.append(Problem(name, "condition", str(exc)))
        return None, set()
    facts = compiled.facts()
    if facts.get("computed_reads"):
        problems.append(Problem(name, "condition", "variable names must be literal strings"))
    needs: set[str] = set()
    for path in facts.get("reads", []):
        root = str(path[0]) if path else ""
        if root not in VARIABLES:
            problems.append(Problem(name, "condition",
                                    f"unknown variable {'.'.join(map(str, path)) or '(whole context)'!r}; "
                                    f"known: {', '.join(VARIABLES)}"))
            continue
        if VARIABLES[root]:
            needs.add(VARIABLES[root])
    return compiled, needs


def _decimal(value: Any, field: str, name: str, problems: list[Problem], *, positive: bool = False):
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append(Problem(name, field, "must be a number"))
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        problems.append(Problem(name, field, f"{value!r} is not a number"))
        return None
    if not parsed.is_finite() or parsed < 0 or (positive and parsed == 0):
        problems.append(Problem(name, field, "must be greater than zero" if positive else "must not be negative"))
        return None
    if parsed > Decimal("1000000"):
        problems.append(Problem(name, field, "is too large"))
        return None
    return parsed


def _whole(value: Any, field: str, name: str, problems: list[Problem], *, minimum: int = 0):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(Problem(name, field, "must be a whole number"))
        return None
    if value < minimum:
        problems.append(Problem(name, field, f"must be at least {minimum}"))
        return None
    if value > 10**12:
        problems.append(Problem(name, field, "is too large"))
        return None
    return value


def _action(raw: Any, rule_type: str, name: str, problems: list[Problem]) -> Action | None:
    if not isinstance(raw, dict):
        problems.append(Problem(name, "action", "is required: a JSON object"))
        return None
    allowed = ACTION_KEYS[rule_type]
    for key in sorted(set(raw) - allowed):
        problems.append(Problem(name, f"action.{key}",
                                f"unknown for a {rule_type} rule (allowed: {', '.join(sorted(allowed))})"))
    before = len(problems)
    if rule_type == "earn":
        action = _earn_action(raw, name, problems)
    elif rule_type == "burn":
        action = _burn_action(raw, name, problems)
    elif rule_type == "enroll":
        event = raw.get("event", "enrolment")
        if event not in ENROLL_EVENTS:
            problems.append(Problem(name, "action.event", f"{event!r} is not one of {', '.join(ENROLL_EVENTS)}"))
        bonus = _whole(raw.get("fixed_bonus"), "action.fixed_bonus", name, problems, minimum=1)
        if bonus is None and "fixed_bonus" not in raw:
            problems.append(Problem(name, "action.fixed_bonus", "is required for an enroll rule"))
        point_type = raw.get("point_type", "bonus")
        if point_type not in POINT_TYPES:
            problems.append(Problem(name, "action.point_type", f"{point_type!r} is not one of {', '.join(POINT_TYPES)}"))
        action = Action(event=event, fixed_bonus=bonus or 0, point_type=point_type,
                        expiry_days=_whole(raw.get("expiry_days"), "action.expiry_days", name, problems, minimum=1))
    else:
        action = _discount_action(raw, name, problems)
    return action if len(problems) == before else None


def _items(raw: dict, name: str, problems: list[Problem]) -> tuple[frozenset[str], frozenset[str]]:
    items = raw.get("items") or {}
    if not isinstance(items, dict) or set(items) - {"skus", "categories"}:
        problems.append(Problem(name, "action.items", "must be {\"skus\": [...], \"categories\": [...]}"))
        return frozenset(), frozenset()
    for key in ("skus", "categories"):
        values = items.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            problems.append(Problem(name, f"action.items.{key}", "must be a list of non-empty strings"))
            return frozenset(), frozenset()
    return frozenset(items.get("skus") or []), frozenset(items.get("categories") or [])


def _discount_action(raw: dict, name: str, problems: list[Problem]) -> Action:
    """percent_off (0-100] or amount_off of the basket, or of the basket lines `items` names;
    `per_unit`: amount_off per unit of those lines; `max_amount` caps the discount, `min_amount`
    is the least the basket (or those lines) must come to; `rounding` to the cent."""
    percent = _decimal(raw.get("percent_off"), "action.percent_off", name, problems, positive=True)
    amount_off = _decimal(raw.get("amount_off"), "action.amount_off", name, problems, positive=True)
    if percent is not None and percent > 100:
        problems.append(Problem(name, "action.percent_off", "cannot be more than 100"))
    if (percent is None) == (amount_off is None) and "percent_off" not in raw and "amount_off" not in raw:
        problems.append(Problem(name, "action", "a discount rule needs exactly one of percent_off or amount_off"))
    elif percent is not None and amount_off is not None:
        problems.append(Problem(name, "action", "a discount rule needs exactly one of percent_off or amount_off"))
    maximum = _decimal(raw.get("max_amount"), "action.max_amount", name, problems, positive=True)
    minimum = _decimal(raw.get("min_amount"), "action.min_amount", name, problems)
    rounding = raw.get("rounding", "half_up")
    if rounding not in ROUNDING:
        problems.append(Problem(name, "action.rounding", f"{rounding!r} is not one of {', '.join(ROUNDING)}"))
    skus, categories = _items(raw, name, problems)
    per_unit = raw.get("per_unit", False)
    if not isinstance(per_unit, bool):
        problems.append(Problem(name, "action.per_unit", "must be true or false"))
        per_unit = False
    if per_unit and (amount_off is None or not (skus or categories)):
        problems.append(Problem(name, "action.per_unit", "needs amount_off and action.items (an amount per unit of "
                                "the items named)"))
    if maximum is not None and amount_off is not None and not per_unit and maximum < amount_off:
        problems.append(Problem(name, "action.max_amount", f"{maximum} is below amount_off {amount_off}: the "
                                "discount could never be given in full"))
    return Action(percent_off=percent, amount_off=amount_off, max_amount=maximum, min_amount=minimum,
                  per_unit=per_unit, rounding=rounding, item_skus=skus, item_categories=categories,
                  point_type="bonus")


def _earn_action(raw: dict, name: str, problems: list[Problem]) -> Action:
    ppu = _decimal(raw.get("points_per_unit"), "action.points_per_unit", name, problems)
    rounding = raw.get("rounding", "floor")
    if rounding not in ROUNDING:
        problems.append(Problem(name, "action.rounding", f"{rounding!r} is not one of {', '.join(ROUNDING)}"))
    multiplier_raw = raw.get("multiplier")
    from_tier = multiplier_raw == "tier"
    multiplier = None if from_tier else _decimal(multiplier_raw, "action.multiplier", name, problems, positive=True)
    bonus = _whole(raw.get("fixed_bonus"), "action.fixed_bonus", name, problems) or 0
    per_item = _whole(raw.get("points_per_item"), "action.points_per_item", name, problems) or 0
    items = raw.get("items") or {}
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    if not isinstance(items, dict) or set(items) - {"skus", "categories"}:
        problems.append(Problem(name, "action.items", "must be {\"skus\": [...], \"categories\": [...]}"))
    else:
        for key in ("skus", "categories"):
            values = items.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                problems.append(Problem(name, f"action.items.{key}", "must be a list of non-empty strings"))
        skus = frozenset(items.get("skus") or [])
        categories = frozenset(items.get("categories") or [])
    if per_item and not (skus or categories):
        problems.append(Problem(name, "action.points_per_item", "needs action.items to say which items count"))
    caps = {key: _whole(raw.get(key), f"action.{key}", name, problems, minimum=1)
            for key in ("cap_per_transaction", "cap_per_day", "cap_per_member")}
    if bonus and caps["cap_per_transaction"] and bonus > caps["cap_per_transaction"] and ppu is None:
        problems.append(Problem(name, "action.cap_per_transaction",
                                f"{caps['cap_per_transaction']} is below the fixed bonus {bonus}: the bonus "
                                "could never be given in full"))
    for key in ("cap_per_transaction", "cap_per_day"):
        if caps[key] and caps["cap_per_member"] and caps[key] > caps["cap_per_member"]:
            problems.append(Problem(name, f"action.{key}", f"{caps[key]} exceeds cap_per_member "
                                    f"{caps['cap_per_member']}: it can never be reached"))
    if caps["cap_per_transaction"] and caps["cap_per_day"] and caps["cap_per_transaction"] > caps["cap_per_day"]:
        problems.append(Problem(name, "action.cap_per_transaction",
                                f"{caps['cap_per_transaction']} exceeds cap_per_day {caps['cap_per_day']}: "
                                "it can never be reached"))
    if ppu is None and multiplier is None and not from_tier and not bonus and not per_item:
        problems.append(Problem(name, "action", "an earn rule needs points_per_unit, points_per_item, multiplier "
                                "or fixed_bonus"))
    default_type = "base" if ppu is not None or per_item else "bonus"
    point_type = raw.get("point_type", default_type)
    if point_type not in POINT_TYPES:
        problems.append(Problem(name, "action.point_type", f"{point_type!r} is not one of {', '.join(POINT_TYPES)}"))
    return Action(
        points_per_unit=ppu, rounding=rounding, multiplier=multiplier, multiplier_from_tier=from_tier,
        fixed_bonus=bonus, points_per_item=per_item, item_skus=skus, item_categories=categories,
        cap_per_transaction=caps["cap_per_transaction"], cap_per_day=caps["cap_per_day"],
        cap_per_member=caps["cap_per_member"], point_type=point_type,
        expiry_days=_whole(raw.get("expiry_days"), "action.expiry_days", name, problems, minimum=1),
    )


def _burn_action(raw: dict, name: str, problems: list[Problem]) -> Action:
    ppu = _decimal(raw.get("points_per_unit"), "action.points_per_unit", name, problems, positive=True)
    if ppu is None and "points_per_unit" not in raw:
        problems.append(Problem(name, "action.points_per_unit", "is required: points per currency unit paid"))
    minimum = _whole(raw.get("min_points"), "action.min_points", name, problems) or 0
    maximum = _whole(raw.get("max_points"), "action.max_points", name, problems, minimum=1)
    percent = _decimal(raw.get("max_percent"), "action.max_percent", name, problems, positive=True)
    if percent is not None and percent > 100:
        problems.append(Problem(name, "action.max_percent", "cannot be more than 100"))
    if maximum is not None and minimum > maximum:
        problems.append(Problem(name, "action.min_points",
                                f"{minimum} is above max_points {maximum}: no payment could ever qualify"))
    return Action(points_per_unit=ppu, min_points=minimum, max_points=maximum, max_percent=percent)
