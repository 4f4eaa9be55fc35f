"""Rule sets: save a draft (validated), publish it as an immutable version, archive, read."""

import dataclasses
import re
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.points.rules import model, repository

_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclasses.dataclass(frozen=True)
class RuleSetView:
    row: asyncpg.Record
    versions: list[asyncpg.Record]

    @property
    def published(self) -> asyncpg.Record | None:
        done = [v for v in self.versions if v["status"] == "published"]
        return done[-1] if done else None

    @property
    def draft(self) -> asyncpg.Record | None:
        return next((v for v in self.versions if v["status"] == "draft"), None)


def validate_rules_json(text: str) -> list[model.Problem]:
    """Every problem of a rules document, for the editor (nothing is saved)."""
    try:
        raw = model.parse_rules_json(text)
    except DomainError as err:
        return [model.Problem("(document)", "rules", err.message.removeprefix("rules: "))]
    return model.check_rules(raw)[1]


def _validated(text: str) -> list:
    raw = model.parse_rules_json(text)
    model.compile_rules(raw)
    return raw


async def _view(conn: asyncpg.Connection, row: asyncpg.Record) -> RuleSetView:
    return RuleSetView(row=row, versions=list(await repository.versions(conn, [row["id"]])))


async def save(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, principal: str, code: str, name: str, scope: str, scope_ref: str,
    rules_json: str,
) -> RuleSetView:
    """Create the set or replace its draft. The published version is never touched."""
    if not _CODE.match(code or ""):
        raise invalid("code", "must be 1-63 lower-case letters, digits, '-', '_' or '.'")
    rules = _validated(rules_json)
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.rule_set(conn, code, lock=True)
        if row is None:
            scope = scope or "program"
            if scope not in model.SCOPES:
                raise invalid("scope", f"{scope!r} is not one of {', '.join(model.SCOPES)}")
            scope_ref = (scope_ref or "").strip()
            if scope == "program" and scope_ref:
                raise invalid("scopeRef", "must be empty for a program rule set")
            if scope != "program" and not scope_ref:
                raise invalid("scopeRef", f"names the {scope} the set attaches to")
            if scope == "campaign" and await repository.campaign(conn, scope_ref) is None:
                raise invalid("scopeRef", f"campaign {scope_ref!r} does not exist: create it first")
            row = await repository.insert_rule_set(conn, program_id=program_id, code=code,
                                                   name=(name or code).strip()[:200], scope=scope, scope_ref=scope_ref)
        else:
            if row["archived_at"] is not None:
                raise invalid("code", f"rule set {code!r} is archived")
            if (scope and scope != row["scope"]) or (scope_ref and scope_ref != row["scope_ref"]):
                raise invalid("scope", f"rule set {code!r} is attached to {row['scope']} {row['scope_ref']!r}; "
                              "its attachment cannot change")
            if name and name != row["name"]:
                await repository.rename_rule_set(conn, row["id"], name.strip()[:200])
                row = await repository.rule_set(conn, code)
        await repository.save_draft(conn, program_id=program_id, set_id=row["id"], rules=rules, by=principal)
        return await _view(conn, row)


async def publish(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, principal: str, code: str, draft_version: int = 0,
    on_change=None,
) -> RuleSetView:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.rule_set(conn, code, lock=True)
        if row is None:
            raise not_found("rule set", code)
        if row["archived_at"] is not None:
            raise invalid("code", f"rule set {code!r} is archived")
        draft = await repository.draft(conn, row["id"])
        if draft is None:
            raise DomainError(ErrorCode.INVALID_INPUT, f"rule set {code!r} has no draft to publish", field="code")
        if draft_version and draft["version"] != draft_version:
            raise invalid("draftVersion", f"the draft is version {draft['version']}, not {draft_version}")
        model.compile_rules(draft["rules"])  # still valid under today's rules of validation
        await repository.publish(conn, set_id=row["id"], version=draft["version"], by=principal)
        await repository.bump_revision(conn, program_id)
        view = await _view(conn, row)
    if on_change:
        on_change(program_id)
    return view


async def archive(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str, on_change=None) -> RuleSetView:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.rule_set(conn, code, lock=True)
        if row is None:
            raise not_found("rule set", code)
        await repository.archive_rule_set(conn, row["id"])
        await repository.bump_revision(conn, program_id)
        view = await _view(conn, await repository.rule_set(conn, code))
    if on_change:
        on_change(program_id)
    return view


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> RuleSetView:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.rule_set(conn, code)
        if row is None:
            raise not_found("rule set", code)
        return await _view(conn, row)


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID, include_archived: bool) -> list[RuleSetView]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.rule_sets(conn, include_archived=include_archived)
        versions = await repository.versions(conn, [r["id"] for r in rows])
    by_set: dict = {}
    for v in versions:
        by_set.setdefault(v["rule_set_id"], []).append(v)
    return [RuleSetView(row=r, versions=by_set.get(r["id"], [])) for r in rows]
