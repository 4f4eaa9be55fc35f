"""The till's input objects built from a per-field plan made once, instead of Strawberry's generic walk.

For every request, Strawberry's `convert_argument` turned an input dict into its dataclass field by
field: the field's GraphQL name converted again from its Python name, its type annotation resolved
again, each type asked whether it is a leaf. For the earn's 12-field input that was about a tenth of
the gateway's CPU per earn (docs/performance.md). `planned_input` sets Strawberry's own hook for input
types that build their value (`StrawberryObjectDefinition.from_input`) to a loop over a plan made on
first use: a scalar or enum field (or an optional one) is taken as is, which is what `convert_argument`
does with it; any other field (a nested input, a list, a GlobalID) goes through `convert_argument`
itself, with the same path. Same value, same errors (gateway/tests/test_inputs.py holds them equal).
"""

import dataclasses
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.types.arguments import _is_leaf_type, _is_optional_leaf_type, convert_argument

_MISSING = dataclasses.MISSING


def planned_input(cls):
    """Class decorator, under `@strawberry.input`: the input is built from its plan (module doc)."""
    definition = cls.__strawberry_definition__
    plan: list[tuple[str, str, Any, bool]] = []  # (GraphQL name, Python name, type, taken as is)
    unset: dict[str, None] = {}  # fields with no default: None unless given (as Strawberry does)

    def from_input(type_, value, context):
        if not plan:
            fields, no_default = [], {}
            for field in definition.fields:
                field_type = field.resolve_type(type_definition=definition)
                registry = context.scalar_registry
                as_is = (_is_leaf_type(field_type, registry, skip_classes=(GlobalID,))
                         or _is_optional_leaf_type(field_type, registry, skip_classes=(GlobalID,)))
                fields.append((context.config.name_converter.from_field(field), field.python_name, field_type, as_is))
                if field.default_value is _MISSING and field.default_factory is _MISSING:
                    no_default[field.python_name] = None
            unset.update(no_default)
            plan.extend(fields)  # whole or not at all
        kwargs = dict(unset)
        for graphql_name, python_name, field_type, as_is in plan:
            if graphql_name in value:
                item = value[graphql_name]
                kwargs[python_name] = item if as_is else convert_argument(
                    item, field_type, context.scalar_registry, context.config, context.info,
                    path=(*context.path, graphql_name))
        return type_(**kwargs)

    definition.from_input = from_input
    return cls
