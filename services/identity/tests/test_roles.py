"""The built-in roles as seeded, against the role table in docs/identity.md and the catalogue."""

import pathlib

from gateway.permissions import CATALOGUE, expand

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "identity.md"


async def test_builtin_roles_match_the_documented_table(pools):
    async with pools["identity"].acquire() as conn:
        rows = await conn.fetch("SELECT code, permissions, platform FROM roles WHERE builtin ORDER BY code")
    granted = {r["code"]: expand(r["permissions"], platform=r["platform"]) for r in rows}
    assert set(granted) == {"lms_admin", "super_admin", "admin", "management", "front_line_manager", "member"}
    text = DOCS.read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("| permission |"))
    header = text[start]
    lines = []
    for line in text[start + 2:]:
        if not line.startswith("|"):
            break
        lines.append(line)
    columns = [c.strip() for c in header.strip("|").split("|")][3:]
    documented = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = {role for role, mark in zip(columns, cells[3:]) if mark}
    assert set(documented) == set(CATALOGUE), "every catalogue permission has a row"
    for permission, roles in documented.items():
        assert roles == {code for code, held in granted.items() if permission in held}, permission
    # every pattern of a built-in role names something in the catalogue
    assert all(held for held in granted.values())
    assert "user.manage" in granted["super_admin"] and "user.manage" not in granted["admin"]
    assert "program.create" in granted["lms_admin"] and "program.create" not in granted["super_admin"]
