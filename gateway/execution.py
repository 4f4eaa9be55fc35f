"""Executing plain scalar fields without graphql-core's per-field machinery.

A search returns 20 members of 6 scalar fields each: 120 fields that only read an attribute. For
each, graphql-core builds a resolve-info object and a node list, calls Strawberry's wrapper, asks
twice whether the result is awaitable and walks `complete_value`; that was most of the gateway's
CPU per search. A field Strawberry itself calls "basic" (no resolver, no field extensions, so no
permission classes) whose type is a scalar or enum runs no code of ours, so here it is read and
coerced directly, with the same value, null handling and errors; a list of objects whose selected
fields are all such fields is completed in one loop. Every other field (resolvers, permissions,
objects, other lists) goes through graphql-core unchanged.
"""

import dataclasses
import weakref
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLLeafType, GraphQLObjectType, GraphQLOutputType, Undefined
from graphql.pyutils import Path, gather_with_cancel, inspect
from graphql.type import get_nullable_type, is_leaf_type, is_non_null_type, is_object_type
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

# Strawberry's resolver for a basic field (types/field.py `is_basic_field`, schema_converter
# `from_resolver`): it only calls the field's default resolver on the source.
BASIC_RESOLVER_NAME = "_get_basic_result"


@dataclasses.dataclass(frozen=True, slots=True)
class PlainLeaf:
    """How to produce one plain scalar field: read `attribute` from the source, coerce it."""

    attribute: str
    read: Callable[[Any, str], Any]  # Strawberry's default resolver (getattr unless configured)
    coerce: Callable[[Any], Any]
    return_type: GraphQLOutputType
    leaf_type: GraphQLLeafType
    non_null: bool
    label: str  # "Type.field", for the null error
    str_as_is: bool  # String and ID coerce a str to itself

    def complete(self, source: Any) -> Any:
        value = self.read(source, self.attribute)
        if type(value) is str and self.str_as_is:
            return value
        if isinstance(value, Exception):  # as graphql-core's complete_value: a returned error is raised
            raise value
        if value is None or value is Undefined:
            if self.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {self.label}.")
            return None
        coerced = self.coerce(value)
        if coerced is None or coerced is Undefined:
            raise TypeError(f"Expected `{inspect(self.leaf_type)}.coerce_output_value({inspect(value)})` to return"
                            f" non-nullable value, returned: {inspect(coerced)}")
        return coerced


def plain_leaf(parent_type: GraphQLObjectType, name: str, *, field_def: GraphQLField) -> PlainLeaf | None:
    """A PlainLeaf when the field is basic in Strawberry's sense and of scalar or enum type."""
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if getattr(field_def.resolve, "__name__", None) != BASIC_RESOLVER_NAME or field_def.args:
        return None
    leaf_type = get_nullable_type(field_def.type)
    if not is_leaf_type(leaf_type) or definition.python_name is None:
        return None
    assert isinstance(leaf_type, GraphQLLeafType)
    return PlainLeaf(
        attribute=definition.python_name, read=definition.default_resolver, coerce=leaf_type.coerce_output_value,
        return_type=field_def.type, leaf_type=leaf_type, non_null=is_non_null_type(field_def.type),
        label=f"{parent_type.name}.{name}", str_as_is=leaf_type.coerce_output_value in (serialize_string, serialize_id),
    )


# Per object type: field name -> its PlainLeaf, or None for a field graphql-core must run.
_PLAN: "weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, PlainLeaf | None]]" = weakref.WeakKeyDictionary()


def _plan_for(parent_type: GraphQLObjectType) -> dict[str, PlainLeaf | None]:
    plan = _PLAN.get(parent_type)
    if plan is None:
        plan = _PLAN[parent_type] = {}
        for name, field_def in parent_type.fields.items():
            plan[name] = plain_leaf(parent_type, name, field_def=field_def)
    return plan


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain scalar fields read directly (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A schema extension with a `resolve` hook wraps every field: then every field runs it.
        manager = self.middleware_manager
        self._plain_fields = not (manager and manager.middlewares)

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        """graphql-core's execute_fields, with plain leaves completed in the loop."""
        if not self._plain_fields:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plan = _plan_for(parent_type)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                leaf = plan.get(field_details_list[0].node.name.value)
                if leaf is not None:
                    try:
                        results[response_name] = leaf.complete(source_value)
                    except Exception as raw_error:  # located and reported as graphql-core does
                        self.handle_field_error(raw_error, leaf.return_type, field_details_list,
                                                Path(path, response_name, parent_type.name))
                        results[response_name] = None
                    continue
                result = self.execute_field(parent_type, source_value, field_details_list,
                                            Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:  # settle what other fields started, as graphql-core does
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def complete_iterable_value(self, item_type, field_details_list, info, path, items, position_context):
        """A list of objects whose selected fields are all plain leaves (a search's members) becomes
        a list of dicts in one loop; anything else, or any error, takes graphql-core's way, which
        reads the same attributes again and reports the error with its path."""
        leaves = self._plain_object_leaves(item_type, field_details_list=field_details_list, path=path, items=items,
                                           position_context=position_context)
        if leaves is not None:
            is_awaitable = self.is_awaitable
            try:
                completed = []
                for item in items:
                    if item is None or is_awaitable(item):
                        raise _NotPlain
                    completed.append({name: leaf.complete(item) for name, leaf in leaves})
                return completed
            except Exception:  # noqa: BLE001, S110 - redone below, where errors are located and reported
                pass
        return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)

    def _plain_object_leaves(self, item_type, *, field_details_list, path, items, position_context):
        """(response name, PlainLeaf) per selected field, or None when the fast loop does not apply."""
        object_type = get_nullable_type(item_type)
        if (not self._plain_fields or position_context is not None or not isinstance(items, list | tuple)
                or not is_object_type(object_type) or object_type.is_type_of is not None
                or self.get_stream_usage(field_details_list, path) is not None):
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        plan = _plan_for(object_type)
        leaves = [(name, plan.get(details[0].node.name.value)) for name, details in grouped_field_set.items()]
        return leaves if all(leaf is not None for _, leaf in leaves) else None


class _NotPlain(Exception):
    """An item the fast loop leaves to graphql-core (null or awaitable)."""
