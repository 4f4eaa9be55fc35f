"""The catalogue: the seed's eight events and the rest, a valid JSON Schema each, and docs/events.md
generated from it (stale docs fail here)."""

import jsonschema
import pytest

from scripts import gen_events_doc
from services.notifications import catalogue

SEED_004 = {"LOY_OPT_IN", "LOY_OPT_OUT", "LOY_POINT_ACCRUAL", "LOY_POINT_REDEMPTION", "TIER_UPGRADE",
            "TIER_DOWNGRADE", "TIER_ANNIVERSARY", "CLOSE_TO_TIER_UPGRADE"}
ISSUE_16 = {"LOY_POINT_EXPIRY", "LOY_POINT_VOID", "LOY_POINT_ADJUSTMENT", "LOY_POINT_GOODWILL", "LOY_POINT_TRANSFER",
            "REWARD_CLAIMED", "REWARD_SETTLED", "REWARD_VOIDED", "VOUCHER_ISSUED", "MEMBER_MERGED", "MEMBER_ERASED",
            "MEMBER_STATUS_CHANGED", "CAMPAIGN_STARTED", "CAMPAIGN_ENDED"}


def test_the_catalogue_holds_the_seed_events_and_the_issues_list():
    assert SEED_004 | ISSUE_16 <= set(catalogue.CATALOGUE)
    assert all(catalogue.CATALOGUE[name].emitted for name in SEED_004)


@pytest.mark.parametrize("name", sorted(catalogue.CATALOGUE))
def test_each_schema_is_a_valid_json_schema_that_refuses_unknown_fields(name):
    event = catalogue.CATALOGUE[name]
    jsonschema.Draft202012Validator.check_schema(event.schema)
    assert event.version >= 1 and event.description
    assert event.emitted or event.note, "an event not yet emitted says why"
    assert catalogue.validation_errors(name, {"surprise": 1})  # additionalProperties false, required fields


def test_validation_names_the_field_that_is_wrong():
    errors = catalogue.validation_errors("LOY_OPT_IN", {"status": "active", "opted_in_at": "yesterday",
                                                        "channel": "pos"})
    assert errors == ["opted_in_at: 'yesterday' is not a 'date-time'"]
    assert catalogue.validation_errors("NO_SUCH_EVENT", {}) == ["'NO_SUCH_EVENT' is not in the catalogue"]


def test_docs_events_md_is_generated_from_the_catalogue():
    assert gen_events_doc.DOC.read_text() == gen_events_doc.render(), \
        "docs/events.md is stale: run .venv/bin/python scripts/gen_events_doc.py"
    for name in catalogue.CATALOGUE:
        assert f"### {name} (v" in gen_events_doc.render()
