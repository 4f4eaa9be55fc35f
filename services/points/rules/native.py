"""Common JsonLogic conditions compiled to plain Python predicates over the context dict.

Why: on the earn hot path a JsonLogic evaluation through datalogic-py costs a JSON encoding of the
whole context plus a parse in Rust per transaction, and a call per rule; the conditions staff
write are mostly `channel == "web"`, `weekday in [...]`, `15 <= hour <= 17`, `amount >= 100`,
`"bakery" in categories`, `some item has category food`, joined by and/or/not. Those are compiled
here once per published version, with JsonLogic's meaning kept exactly: only operand types whose
comparison has no coercion (a string variable with string literals, a number variable with number
literals) are compiled; anything else returns None and the rule keeps its datalogic-py program.
tests/test_rules_native.py checks both engines agree.
"""

from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict], Any]

# Variables of the documented context (evaluation.context) whose type never varies.
STRINGS = frozenset({"currency", "channel", "location", "partner", "weekday", "date", "tier"})
NUMBERS = frozenset({"amount", "item_count", "day_of_week", "hour", "month"})
LISTS = frozenset({"skus", "categories", "tiers", "segments", "clubs"})
ITEM_STRINGS = frozenset({"sku", "category"})
ITEM_NUMBERS = frozenset({"quantity", "price"})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _args(node: dict, op: str) -> list:
    args = node[op]
    return args if isinstance(args, list) else [args]


def _var(arg: Any, scope: str) -> tuple[str, str] | None:
    """(name, type) of a plain {"var": "name"} of a known type, in the context or an item."""
    if not isinstance(arg, dict) or set(arg) != {"var"} or not isinstance(arg["var"], str):
        return None
    name = arg["var"]
    strings, numbers = (STRINGS, NUMBERS) if scope == "context" else (ITEM_STRINGS, ITEM_NUMBERS)
    if name in strings:
        return name, "string"
    if name in numbers:
        return name, "number"
    if scope == "context" and name in LISTS:
        return name, "list"
    return None


def _literal_type(value: Any) -> str | None:
    if isinstance(value, str):
        return "string"
    if _is_number(value):
        return "number"
    return None


def _operand(arg: Any, scope: str) -> tuple[Callable[[dict], Any], str] | None:
    """A getter and its type for a variable or a string/number literal."""
    var = _var(arg, scope)
    if var is not None:
        name, kind = var
        return (lambda data: data[name]), kind
    kind = _literal_type(arg)
    if kind is None:
        return None
    return (lambda data: arg), kind


_COMPARE = {
    "==": lambda a, b: a == b, "===": lambda a, b: a == b, "!=": lambda a, b: a != b, "!==": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}
_ORDERING = frozenset({"<", "<=", ">", ">="})


def _compare(op: str, args: list, scope: str) -> Predicate | None:
    if op in ("<", "<=") and len(args) == 3:  # between: a < b < c
        ops = [_operand(a, scope) for a in args]
        if any(o is None or o[1] != "number" for o in ops):
            return None
        (a, _), (b, _), (c, _) = ops
        test = _COMPARE[op]
        return lambda data: test(a(data), b(data)) and test(b(data), c(data))
    if len(args) != 2:
        return None
    left, right = _operand(args[0], scope), _operand(args[1], scope)
    if left is None or right is None or left[1] != right[1] or left[1] == "list":
        return None  # mixed types coerce in JsonLogic: leave those to datalogic-py
    if op in _ORDERING and left[1] != "number":
        return None
    var = _var(args[0], scope)
    if var is not None and _var(args[1], scope) is None:  # the usual `variable <op> literal`: one call
        return _against_literal(op, var[0], args[1])
    get_a, get_b, test = left[0], right[0], _COMPARE[op]
    return lambda data: test(get_a(data), get_b(data))


def _against_literal(op: str, name: str, value: Any) -> Predicate:
    if op in ("==", "==="):
        return lambda data: data[name] == value
    if op in ("!=", "!=="):
        return lambda data: data[name] != value
    if op == "<":
        return lambda data: data[name] < value
    if op == "<=":
        return lambda data: data[name] <= value
    if op == ">":
        return lambda data: data[name] > value
    return lambda data: data[name] >= value


def _in(args: list, scope: str) -> Predicate | None:
    if len(args) != 2:
        return None
    needle, haystack = args
    var = _var(needle, scope)
    if var is not None and var[1] == "string" and isinstance(haystack, list) \
            and all(isinstance(v, str) for v in haystack):
        name, values = var[0], frozenset(haystack)
        return lambda data: data[name] in values
    target = _var(haystack, scope)
    if isinstance(needle, str) and target is not None and target[1] in ("list", "string"):
        name = target[0]
        return lambda data: needle in data[name]  # list membership, or a substring of a string
    return None


def _item_quantifier(op: str, args: list, scope: str) -> Predicate | None:
    # `all` over an empty list is false in JsonLogic, unlike Python: left to datalogic-py
    if scope != "context" or len(args) != 2 or args[0] != {"var": "items"}:
        return None
    inner = compile_predicate(args[1], scope="item")
    if inner is None:
        return None
    if op == "some":
        def some(data: dict) -> bool:
            for item in data["items"]:
                if inner(item):
                    return True
            return False
        return some
    return lambda data: not any(inner(item) for item in data["items"])


def compile_predicate(condition: Any, *, scope: str = "context") -> Predicate | None:
    """A predicate with the condition's JsonLogic truthiness, or None when not compiled here."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    op = next(iter(condition))
    args = _args(condition, op)
    if op in _COMPARE:
        return _compare(op, args, scope)
    if op == "in":
        return _in(args, scope)
    if op in ("and", "or"):
        parts = [compile_predicate(a, scope=scope) for a in args]
        if not parts or any(p is None for p in parts):
            return None
        if len(parts) == 2:  # the usual pair, without a generator per call
            first, second = parts
            if op == "and":
                return lambda data: first(data) and second(data)
            return lambda data: first(data) or second(data)
        if op == "and":
            return lambda data: all(p(data) for p in parts)
        return lambda data: any(p(data) for p in parts)
    if op == "!" and len(args) == 1:
        inner = compile_predicate(args[0], scope=scope)
        return None if inner is None else (lambda data: not inner(data))
    if op in ("startsWith", "endsWith") and len(args) == 2:
        var = _var(args[0], scope)
        if var is None or var[1] != "string" or not isinstance(args[1], str):
            return None
        name, affix = var[0], args[1]
        if op == "startsWith":
            return lambda data: data[name].startswith(affix)
        return lambda data: data[name].endswith(affix)
    if op in ("some", "none"):
        return _item_quantifier(op, args, scope)
    return None
