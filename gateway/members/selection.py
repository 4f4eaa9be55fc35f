"""The Member message fields a search page needs, from the fields the document selects on its members.

A list of members read by a staff screen or a till asks for a few of their fields (loyalty number,
names, email, phone, status); the member service reads, builds and sends only those (and the
member's id and loyalty number, which every page holds), instead of every field of every member.
Which message fields a GraphQL field reads is `READS` (records.py reads the message, types.py's
resolvers the loyalty number); a field it does not name, or a selection not resolved here, asks
for every field, so a field added to Member later is answered in full, never left empty.
"""

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

# Member's GraphQL fields -> the Member message fields each one is made from.
READS: dict[str, tuple[str, ...]] = {
    "__typename": (), "id": ("id",), "loyaltyNumber": ("loyalty_number",), "email": ("email",),
    "firstName": ("first_name",), "lastName": ("last_name",), "phone": ("phone",), "birthDate": ("birth_date",),
    "status": ("status",), "enrolledAt": ("enrolled_at",), "channel": ("channel",), "zip": ("zip",),
    "nationality": ("nationality",), "consents": ("consents",), "customAttributes": ("custom_attributes_json",),
    "optedInAt": ("opted_in_at",), "statusChangedAt": ("status_changed_at",), "mergedInto": ("merged_into",),
    # The member view's parts: looked up by the loyalty number (and the program the query names).
    "points": ("loyalty_number",), "tiers": ("loyalty_number",), "recentActivity": ("loyalty_number",),
    "statusHistory": ("loyalty_number",), "segments": ("loyalty_number",),
}

_MAX_CACHED = 256
# id(field node) -> (the node, its fields): documents are parsed once and kept (DocumentCache, persisted
# plans), so a search's field node is the same object request after request; the node is held so its id
# is not reused while the entry lives.
_cache: dict[int, tuple[object, tuple[str, ...]]] = {}


def member_fields(info, *, list_field: str = "members") -> tuple[str, ...]:
    """The Member message fields the resolving field's `list_field` selections read; () for all."""
    raw = info._raw_info  # noqa: SLF001 - graphql-core's resolve info: the field's nodes and fragments
    nodes = raw.field_nodes
    if len(nodes) != 1:
        return _fields(nodes, raw.fragments, list_field)
    node = nodes[0]
    cached = _cache.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    fields = _fields(nodes, raw.fragments, list_field)
    if len(_cache) >= _MAX_CACHED:
        _cache.clear()
    _cache[id(node)] = (node, fields)
    return fields


def _fields(nodes, fragments, list_field: str) -> tuple[str, ...]:
    try:
        return _narrowed(nodes, fragments, list_field)
    except _Unknown:
        return ()


def _narrowed(nodes, fragments, list_field: str) -> tuple[str, ...]:
    wanted: set[str] = set()
    for node in nodes:
        for member_list in _selected(node.selection_set, fragments):
            if member_list.name.value != list_field:
                continue
            for selected in _selected(member_list.selection_set, fragments):
                reads = READS.get(selected.name.value)
                if reads is None:
                    return ()
                wanted.update(reads)
    return tuple(sorted(wanted)) if wanted else ()


def _selected(selection_set, fragments):
    """The field nodes of a selection set, through fragments (a missing one: nothing is narrowed)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _selected(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                raise _Unknown
            yield from _selected(fragment.selection_set, fragments)
        else:
            raise _Unknown


class _Unknown(Exception):
    """A selection this module does not read: every field is asked for."""
