"""The builder's vocabulary is the engine's: every variable and item field the engine accepts, with
a type, and nothing the engine would refuse."""

from services.points.rules import model

from gateway.rule_vocabulary.types import RuleValueType
from gateway.rule_vocabulary.vocabulary import OPERATORS, vocabulary


def test_every_engine_variable_and_item_field_is_offered_with_its_member_fact():
    v = vocabulary()
    assert [x.name for x in v.variables] == list(model.VARIABLES)
    assert {x.name: x.member_fact for x in v.variables} == model.VARIABLES
    assert [x.name for x in v.item_fields] == list(model.ITEM_FIELDS)
    assert {x.type for x in v.item_fields} == {RuleValueType.STRING, RuleValueType.NUMBER}


def test_rule_types_modes_and_action_fields_are_the_engines():
    v = vocabulary()
    assert v.rule_types == list(model.RULE_TYPES) and v.modes == list(model.MODES)
    for rule_type in model.RULE_TYPES:
        assert {f.name for f in v.action_fields if f.rule_type == rule_type} == model.ACTION_KEYS[rule_type]


def test_every_value_type_but_items_has_operators():
    offered = {t for op in OPERATORS for t in op.types}
    assert offered == set(RuleValueType) - {RuleValueType.ITEMS}  # items are a group (some/all/none)


UI_RULES = __import__("pathlib").Path(__file__).resolve().parents[2] / "ui" / "src" / "rules"


def test_the_web_apps_copy_of_the_vocabulary_is_current():
    import json

    from gateway.rule_vocabulary.vocabulary import as_json

    assert json.loads((UI_RULES / "vocabulary.json").read_text()) == as_json(), \
        "stale: run `.venv/bin/python -m gateway.rule_vocabulary gateway/ui/src/rules/vocabulary.json`"


def test_the_engine_accepts_every_condition_the_builder_exports():
    import json

    cases = json.loads((UI_RULES / "operator-cases.json").read_text())
    for case in cases:
        _, problems = model.check_rules([{"code": "c", "condition": case["jsonLogic"], "action": {"fixed_bonus": 1}}])
        assert problems == [], (case, problems)
