"""The rules engine's vocabulary for the visual rule builder, read from the engine's own tables
(services/points/rules: the variables it accepts, their member facts, item fields, rule types,
modes and action keys), so the builder offers exactly what a save accepts. Labels and
descriptions are for people; names and types come from the engine."""

import functools

from services.points.rules import model, native

from gateway.rule_vocabulary.types import (
    RuleActionField, RuleOperator, RuleValueType, RuleVariable, RuleVocabulary,
)

_T = RuleValueType
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# name -> (label, description, fixed values, where values come from)
_TEXT: dict[str, tuple[str, str, list[str] | None, str | None]] = {
    "amount": ("Amount", "The purchase amount in the program's currency", None, None),
    "currency": ("Currency", "ISO 4217; always the program's", None, None),
    "channel": ("Channel", "As sent by the POS or app: pos, web, app, retro_claim, ...", None, None),
    "location": ("Location", "The store or channel code", None, "locations"),
    "partner": ("Partner", "The partner code", None, "partners"),
    "items": ("Basket lines", "Each line has sku, category, quantity and price", None, None),
    "skus": ("SKUs in basket", "The basket's distinct SKUs", None, None),
    "categories": ("Categories in basket", "The basket's distinct categories", None, None),
    "item_count": ("Item count", "Total quantity in the basket", None, None),
    "day_of_week": ("Day of week (1-7)", "ISO: 1 = Monday, in the program's time zone", None, None),
    "weekday": ("Weekday", "In the program's time zone", WEEKDAYS, None),
    "hour": ("Hour (0-23)", "In the program's time zone", None, None),
    "date": ("Date", "YYYY-MM-DD in the program's time zone", None, None),
    "month": ("Month (1-12)", "In the program's time zone", None, None),
    "tier": ("Tier", "The member's tier code", None, "tiers"),
    "tiers": ("Tiers", "The member's tier codes in every slab", None, "tiers"),
    "segments": ("Segments", "The member's segment codes", None, "segments"),
    "clubs": ("Clubs", "The member's clubs (the default club when none)", None, "clubs"),
    "birth_month": ("Birth month", "1-12", None, None),
    "is_birthday_month": ("Birthday month", "The purchase is in the member's birth month", None, None),
    "days_since_enrolment": ("Days since enrolment", "Local days since the member enrolled", None, None),
}
_ITEM_TEXT = {
    "sku": ("SKU", "The line's SKU"), "category": ("Category", "The line's category"),
    "quantity": ("Quantity", "Units on the line"), "price": ("Unit price", "In the program's currency"),
}
# Types the engine's native compiler knows, and the two it leaves to JsonLogic's general path.
_EXTRA_TYPES = {"items": _T.ITEMS, "is_birthday_month": _T.BOOLEAN, "birth_month": _T.NUMBER,
                "days_since_enrolment": _T.NUMBER}

# The builder's operators, each exporting to a JsonLogic operation the engine evaluates
# (datalogic-py, plus the engine's startsWith/endsWith); gateway/rule_vocabulary/tests checks the
# engine accepts every one of them on every type it is offered for.
OPERATORS = [
    RuleOperator(name="=", label="is", json_logic="==", types=[_T.STRING, _T.NUMBER, _T.BOOLEAN]),
    RuleOperator(name="!=", label="is not", json_logic="!=", types=[_T.STRING, _T.NUMBER, _T.BOOLEAN]),
    RuleOperator(name="<", label="less than", json_logic="<", types=[_T.NUMBER]),
    RuleOperator(name="<=", label="at most", json_logic="<=", types=[_T.NUMBER]),
    RuleOperator(name=">", label="greater than", json_logic=">", types=[_T.NUMBER]),
    RuleOperator(name=">=", label="at least", json_logic=">=", types=[_T.NUMBER]),
    RuleOperator(name="between", label="between", json_logic="<=", types=[_T.NUMBER]),
    RuleOperator(name="notBetween", label="not between", json_logic="!", types=[_T.NUMBER]),
    RuleOperator(name="in", label="is one of", json_logic="in", types=[_T.STRING, _T.NUMBER]),
    RuleOperator(name="notIn", label="is not one of", json_logic="!", types=[_T.STRING, _T.NUMBER]),
    RuleOperator(name="contains", label="contains", json_logic="in", types=[_T.STRING, _T.LIST]),
    RuleOperator(name="doesNotContain", label="does not contain", json_logic="!", types=[_T.STRING, _T.LIST]),
    RuleOperator(name="beginsWith", label="begins with", json_logic="startsWith", types=[_T.STRING]),
    RuleOperator(name="doesNotBeginWith", label="does not begin with", json_logic="!", types=[_T.STRING]),
    RuleOperator(name="endsWith", label="ends with", json_logic="endsWith", types=[_T.STRING]),
    RuleOperator(name="doesNotEndWith", label="does not end with", json_logic="!", types=[_T.STRING]),
]

_ACTION_TYPES = {
    "points_per_unit": "number", "rounding": "choice", "multiplier": "multiplier", "fixed_bonus": "integer",
    "points_per_item": "integer", "items": "items", "cap_per_transaction": "integer", "cap_per_day": "integer",
    "cap_per_member": "integer", "point_type": "choice", "expiry_days": "integer", "min_points": "integer",
    "max_points": "integer", "max_percent": "number", "percent_off": "number", "amount_off": "number",
    "max_amount": "number", "min_amount": "number", "per_unit": "boolean", "event": "choice",
}
_CHOICES = {"rounding": list(model.ROUNDING), "point_type": list(model.POINT_TYPES), "event": list(model.ENROLL_EVENTS)}


def _type_of(name: str, *, item: bool = False) -> RuleValueType:
    strings, numbers = (native.ITEM_STRINGS, native.ITEM_NUMBERS) if item else (native.STRINGS, native.NUMBERS)
    if name in strings:
        return _T.STRING
    if name in numbers:
        return _T.NUMBER
    if not item and name in native.LISTS:
        return _T.LIST
    if name in _EXTRA_TYPES:
        return _EXTRA_TYPES[name]
    raise LookupError(f"the rule builder has no type for the engine's variable {name!r}")


@functools.cache
def vocabulary() -> RuleVocabulary:
    variables = []
    for name, fact in model.VARIABLES.items():
        label, description, values, values_from = _TEXT.get(name, (name, "", None, None))
        variables.append(RuleVariable(name=name, type=_type_of(name), label=label, description=description,
                                      member_fact=fact, values=values, values_from=values_from))
    item_fields = [RuleVariable(name=n, type=_type_of(n, item=True), label=_ITEM_TEXT[n][0],
                                description=_ITEM_TEXT[n][1], member_fact=None, values=None, values_from=None)
                   for n in model.ITEM_FIELDS]
    actions = [RuleActionField(rule_type=rule_type, name=key, type=_ACTION_TYPES.get(key, "string"),
                               choices=_CHOICES.get(key))
               for rule_type in model.RULE_TYPES for key in sorted(model.ACTION_KEYS[rule_type])]
    return RuleVocabulary(variables=variables, item_fields=item_fields, operators=OPERATORS,
                          rule_types=list(model.RULE_TYPES), modes=list(model.MODES), action_fields=actions)


def as_json() -> dict:
    """The vocabulary in the shape of `ruleVocabulary`'s GraphQL answer (camelCase, enum names)."""
    v = vocabulary()

    def var(x: RuleVariable) -> dict:
        return {"name": x.name, "type": x.type.name, "label": x.label, "description": x.description, "values": x.values}

    return {
        "variables": [var(x) for x in v.variables],
        "itemFields": [var(x) for x in v.item_fields],
        "operators": [{"name": o.name, "label": o.label, "types": [t.name for t in o.types]} for o in v.operators],
        "ruleTypes": v.rule_types,
        "modes": v.modes,
        "actionFields": [{"ruleType": f.rule_type, "name": f.name, "type": f.type, "choices": f.choices}
                         for f in v.action_fields],
    }
