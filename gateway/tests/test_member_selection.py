"""A search asks the member service for the Member fields its document selects, and those answer each
selected field as the whole message does."""

import types

from graphql import parse

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.members import selection
from gateway.members.records import MemberRecord
from gateway.schema import schema
from gateway.tests.test_member_records import FULL

ALWAYS = ("id", "loyalty_number")  # services/member/search.py: every page holds them


def info_for(document: str):
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if d.kind == "operation_definition")
    fragments = {d.name.value: d for d in parsed.definitions if d.kind == "fragment_definition"}
    node = operation.selection_set.selections[0]
    return types.SimpleNamespace(_raw_info=types.SimpleNamespace(field_nodes=[node], fragments=fragments))


def test_every_field_of_member_in_the_schema_is_known():
    member_type = schema._schema.type_map["Member"]
    assert set(member_type.fields) | {"__typename"} == set(selection.READS)
    assert set(m for reads in selection.READS.values() for m in reads) <= set(member_pb.Member.DESCRIPTOR.fields_by_name)


def test_the_fields_a_document_selects():
    info = info_for("""query { searchMembers(program: "p", query: "a") {
        members { loyaltyNumber firstName lastName email phone status __typename } nextPageToken } }""")
    assert selection.member_fields(info) == ("email", "first_name", "last_name", "loyalty_number", "phone", "status")
    assert selection.member_fields(info) is selection.member_fields(info)  # kept per document node


def test_through_fragments_and_the_member_views_parts():
    info = info_for("""query { searchMembers(program: "p", query: "a") { members { ...names ... on Member { zip }
        points { available } } } } fragment names on Member { firstName customAttributes }""")
    assert selection.member_fields(info) == ("custom_attributes_json", "first_name", "loyalty_number", "zip")


def test_anything_not_known_asks_for_every_field():
    assert selection.member_fields(info_for(
        'query { searchMembers(program: "p", query: "a") { members { firstName someNewField } } }')) == ()
    assert selection.member_fields(info_for(
        'query { searchMembers(program: "p", query: "a") { members { ...missing } } }')) == ()
    assert selection.member_fields(info_for('query { searchMembers(program: "p", query: "a") { nextPageToken } }')) == ()


def test_each_field_answers_from_the_message_fields_it_reads_as_from_the_whole_message():
    whole = MemberRecord(FULL, "demo")
    for graphql_name, field in schema._schema.type_map["Member"].fields.items():
        definition = field.extensions["strawberry-definition"]
        if definition.base_resolver is not None:
            continue  # the member view's parts: looked up by the loyalty number, always on the page
        part = member_pb.Member()
        for name in set(selection.READS[graphql_name]) | set(ALWAYS):
            if name == "consents":
                part.consents.CopyFrom(FULL.consents)
            else:
                setattr(part, name, getattr(FULL, name))
        answer, expected = getattr(MemberRecord(part, "demo"), definition.python_name), getattr(whole, definition.python_name)
        if graphql_name == "consents":
            answer, expected = (answer.email, answer.sms, answer.post), (expected.email, expected.sms, expected.post)
        assert answer == expected, graphql_name
