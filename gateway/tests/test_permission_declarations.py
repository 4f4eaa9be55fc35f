"""Every field that runs code (a resolver) declares who may reach it: a catalogue permission, or
Public/Authenticated/MemberSelf on purpose. Plain attribute fields are covered by the field that
returned their object. A new resolver without a declaration fails here."""

from strawberry.types.field import StrawberryField

from gateway.permissions import CATALOGUE
from gateway.schema import schema

# Federation's own fields: `_service` returns the schema's SDL (what introspection shows), and `_entities`
# builds objects from the keys a router sends, whose data fields then check their own permissions.
SHAPING_ONLY = {"Query._entities", "Query._service", "_Service.sdl"}


def declared(field: StrawberryField) -> list[str]:
    return [getattr(p, "declared", None) for p in field.permission_classes]


def resolver_fields():
    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__") or not hasattr(gql_type, "fields"):
            continue
        definition = (gql_type.extensions or {}).get("strawberry-definition")
        if definition is None or getattr(definition, "is_input", False):
            continue
        for field in definition.fields:
            if field.base_resolver is not None:
                yield f"{name}.{field.graphql_name or field.python_name}", field


def test_every_resolver_declares_a_permission():
    missing = [label for label, field in resolver_fields()
               if label not in SHAPING_ONLY and not any(declared(field))]
    assert not missing, f"fields without a declared permission: {missing}"


def test_declared_permissions_are_in_the_catalogue():
    for label, field in resolver_fields():
        for name in declared(field):
            assert name in CATALOGUE or name in ("public", "authenticated", "self", "staff"), (label, name)


def test_every_catalogue_permission_has_a_description():
    assert all(p.description for p in CATALOGUE.values())
