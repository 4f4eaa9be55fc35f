"""The identity service's domain against the session's PostgreSQL, connected as its own role."""

import asyncpg
import pytest

from services.common.errors import DomainError
from services.identity import audit, passwords


async def test_audit_entries_are_appended_and_filtered(pools):
    pool = pools["identity"]
    appended = await audit.append(pool, [
        {"subject": "staff:a", "subject_kind": "staff", "program_code": "p-audit-1", "operation": "earn",
         "target_ids": '["loyaltyNumber=1"]', "summary_json": '{"input": {"amount": "5"}}', "outcome": "ok"},
        {"subject": "api_key:k", "subject_kind": "api_key", "program_code": "p-audit-1", "operation": "redeem",
         "outcome": "INSUFFICIENT_POINTS"},
    ])
    assert appended == 2
    rows = await audit.query(pool, program_code="p-audit-1", subject="", operation="", outcome="", from_="", to="",
                             limit=10, before_id="")
    assert [(r["operation"], r["outcome"]) for r in rows] == [("redeem", "INSUFFICIENT_POINTS"), ("earn", "ok")]
    assert rows[1]["summary"] == {"input": {"amount": "5"}}
    only = await audit.query(pool, program_code="p-audit-1", subject="api_key:k", operation="", outcome="",
                             from_="", to="", limit=10, before_id="")
    assert [r["operation"] for r in only] == ["redeem"]
    with pytest.raises(DomainError) as bad:
        await audit.query(pool, program_code="", subject="", operation="", outcome="", from_="yesterday", to="",
                          limit=10, before_id="")
    assert bad.value.field == "from"


async def test_the_service_role_cannot_change_or_delete_entries(pools):
    pool = pools["identity"]
    await audit.append(pool, [{"subject": "x", "operation": "op", "program_code": "p-audit-2"}])
    async with pool.acquire() as conn:
        for statement in ("UPDATE audit_log SET outcome = 'changed' WHERE program_code = 'p-audit-2'",
                          "DELETE FROM audit_log WHERE program_code = 'p-audit-2'"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    # the retention purge deletes only what is past the retention: a fresh entry stays
    assert await audit.purge(pool, retention_days=30) == 0
    with pytest.raises(DomainError):
        await audit.purge(pool, retention_days=3)


@pytest.mark.parametrize("password, reason", [
    ("short", "at least 12"), ("password1234", "too common"), ("qwertyuiop123!", "too common"),
    ("aaaaaaaaaaaaaaaa", "different characters"), ("ana.lopez-secret-2026", "email"),
])
def test_password_policy_names_the_field(password, reason):
    with pytest.raises(DomainError) as refused:
        passwords.check_policy(password, email="ana.lopez@example.com")
    assert refused.value.field == "password" and reason in refused.value.message


async def test_argon2id_hash_and_verify(hasher):
    stored = await hasher.hash("Tortilla-de-patatas-42")
    assert stored.startswith("$argon2id$")
    assert await hasher.verify(stored, "Tortilla-de-patatas-42")
    assert not await hasher.verify(stored, "tortilla-de-patatas-42")
    assert not await hasher.verify(None, "anything at all")


async def test_an_entry_holding_nul_a_lone_surrogate_or_broken_json_is_stored_with_them_escaped(pools):
    pool = pools["identity"]
    await audit.append(pool, [
        {"subject": "staff:\x00", "operation": "earn", "program_code": "p-audit-3",
         "target_ids": '["loyaltyNumber=1\\u0000"]', "summary_json": '{"input": {"amount": "1\\u0000", "r": "\\ud800"}}'},
        {"subject": "s", "operation": "redeem", "program_code": "p-audit-3", "summary_json": "{not json"},
    ])
    rows = await audit.query(pool, program_code="p-audit-3", subject="", operation="", outcome="", from_="", to="",
                             limit=10, before_id="")
    redeem, earn = rows
    assert earn["subject"] == "staff:\\u0000" and earn["target_ids"] == ["loyaltyNumber=1\\u0000"]
    assert earn["summary"] == {"input": {"amount": "1\\u0000", "r": "\\ud800"}}
    assert redeem["summary"] == {"unparsed": "{not json"}


async def test_an_entry_sent_again_with_its_key_is_stored_once(pools):
    # a writer whose deadline passed while the INSERT committed sends the batch again
    pool = pools["identity"]
    batch = [{"subject": "s", "operation": "earn", "program_code": "p-audit-4", "entry_key": "k-1"},
             {"subject": "s", "operation": "redeem", "program_code": "p-audit-4", "entry_key": "k-2"}]
    await audit.append(pool, batch)
    await audit.append(pool, batch + [{"subject": "s", "operation": "void", "program_code": "p-audit-4",
                                       "entry_key": "k-3"}])
    rows = await audit.query(pool, program_code="p-audit-4", subject="", operation="", outcome="", from_="", to="",
                             limit=10, before_id="")
    assert [r["operation"] for r in rows] == ["void", "redeem", "earn"]


async def test_a_batch_is_stored_in_its_order_once_per_key_or_not_at_all(pools):
    pool = pools["identity"]
    batch = [{"subject": "s", "operation": f"op-{i}", "program_code": "p-audit-5", "entry_key": f"k5-{i % 3}",
              "summary_json": f'{{"i": {i}}}'} for i in range(5)]
    assert await audit.append(pool, batch) == 5
    rows = await audit.query(pool, program_code="p-audit-5", subject="", operation="", outcome="", from_="", to="",
                             limit=10, before_id="")
    # a key twice in one batch: its first entry kept
    assert [(r["operation"], r["summary"]) for r in reversed(rows)] == [("op-0", {"i": 0}), ("op-1", {"i": 1}),
                                                                        ("op-2", {"i": 2})]
    # JSON the database refuses (NaN) in one entry: nothing of its batch is written, and the writer is told
    with pytest.raises(DomainError) as refused:
        await audit.append(pool, [{"subject": "s", "operation": "fine", "program_code": "p-audit-6"},
                                  {"subject": "s", "operation": "nan", "program_code": "p-audit-6",
                                   "summary_json": '{"amount": NaN}'}])
    assert refused.value.field == "entries"
    assert await audit.query(pool, program_code="p-audit-6", subject="", operation="", outcome="", from_="", to="",
                             limit=10, before_id="") == []
