import enum

import strawberry


@strawberry.enum(description="How the rule builder edits a variable's value")
class RuleValueType(enum.Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"  # a list of codes: "contains" tests membership
    ITEMS = "items"  # the basket lines: some / all / none of them match a group of item conditions


@strawberry.type
class RuleVariable:
    name: str
    type: RuleValueType
    label: str
    description: str
    member_fact: str | None = strawberry.field(description="The member fact the earn path fetches for it")
    values: list[str] | None = strawberry.field(description="The values it can take, where the list is fixed")
    values_from: str | None = strawberry.field(
        description="Where its values come from in the program: tiers, segments, clubs, locations, partners")


@strawberry.type
class RuleOperator:
    name: str = strawberry.field(description="The builder's operator name (react-querybuilder)")
    label: str
    json_logic: str = strawberry.field(description="The JsonLogic operation it exports to")
    types: list[RuleValueType]


@strawberry.type
class RuleActionField:
    rule_type: str
    name: str
    type: str = strawberry.field(description="number, integer, string, choice, boolean, items or multiplier")
    choices: list[str] | None


@strawberry.type
class RuleVocabulary:
    variables: list[RuleVariable]
    item_fields: list[RuleVariable]
    operators: list[RuleOperator]
    rule_types: list[str]
    modes: list[str]
    action_fields: list[RuleActionField]
