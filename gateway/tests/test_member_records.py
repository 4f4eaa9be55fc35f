"""A member read from its message answers every Member field as the copied Member did."""

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.members.records import MemberRecord
from gateway.members.types import Member

FULL = member_pb.Member(
    id="7f1c3c1e-0000-4000-8000-000000000001", loyalty_number="10000000017", email="ana@example.com",
    first_name="Ana", last_name="López", phone="+34600000001", birth_date="1990-02-03", status="merged",
    enrolled_at="2024-01-01T00:00:00+00:00", channel="web", zip="28001", nationality="ES",
    consents=member_pb.MarketingConsents(email=True, sms=False, post=True),
    custom_attributes_json='{"pets": 2}', opted_in_at="2024-01-02T00:00:00+00:00",
    status_changed_at="2024-02-01T00:00:00+00:00", merged_into="10000000025")
BARE = member_pb.Member(id="7f1c3c1e-0000-4000-8000-000000000002", loyalty_number="10000000033")


def test_every_member_field_is_read_from_the_message():
    record = MemberRecord(FULL, "demo")
    assert (record.id, record.loyalty_number, record.email, record.first_name, record.last_name, record.phone,
            record.birth_date, record.status, record.enrolled_at, record.channel, record.zip, record.nationality,
            record.opted_in_at, record.status_changed_at, record.merged_into, record.program) == (
        FULL.id, "10000000017", "ana@example.com", "Ana", "López", "+34600000001", "1990-02-03", "merged",
        "2024-01-01T00:00:00+00:00", "web", "28001", "ES", "2024-01-02T00:00:00+00:00",
        "2024-02-01T00:00:00+00:00", "10000000025", "demo")
    assert (record.consents.email, record.consents.sms, record.consents.post) == (True, False, True)
    assert record.custom_attributes == {"pets": 2}


def test_empty_fields_are_null_as_before():
    record = MemberRecord(BARE)
    assert record.birth_date is None and record.merged_into is None
    assert record.custom_attributes == {} and record.program == ""
    assert (record.consents.email, record.consents.sms, record.consents.post) == (False, False, False)


def test_the_record_has_every_attribute_of_the_member_type():
    names = {f.python_name for f in Member.__strawberry_definition__.fields if f.base_resolver is None}
    record = MemberRecord(FULL, "demo")
    assert all(hasattr(record, name) for name in names | {"program"})
    assert isinstance(Member.from_proto(FULL, "demo"), MemberRecord)
