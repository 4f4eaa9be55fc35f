"""The load's SQL fast path loads exactly what the line-exact path loads, or declines to it."""

import datetime as dt
import pathlib
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.importer import bulk_load, dump, loading
from services.importer.tests import test_malformed as _malformed
from services.importer.tests.legacy_dump import write_dump

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)


def _edit(directory: pathlib.Path, name: str, change) -> None:
    path = directory / name
    path.write_bytes(change(path.read_bytes()))


def _line(data: bytes, n: int, change) -> bytes:
    """Line n changed (the generated files end lines with CRLF, as csv.writer does)."""
    lines = data.split(b"\r\n")
    lines[n] = change(lines[n])
    return b"\r\n".join(lines)


def _field(data: bytes, n: int, index: int, value: bytes) -> bytes:
    def change(line: bytes) -> bytes:
        fields = line.split(b",")
        fields[index] = value
        return b",".join(fields)
    return _line(data, n, change)


def test_whitespace_is_what_strip_removes():
    """The fast path's written-out list of whitespace is every code point str.strip() removes."""
    assert bulk_load.WHITESPACE == tuple(c for c in range(0x110000) if chr(c).isspace())


# each a clean dump but for one thing the fast path must decline or read exactly as the reader does
CASES = {
    "clean": None,
    "LF line ends": ("transactions.csv", lambda d: d.replace(b"\r\n", b"\n")),
    "CR CR LF": ("transactions.csv", lambda d: d.replace(b"\n", b"\r\n")),
    "a bare CR": ("transactions.csv", lambda d: _line(d, 3, lambda x: x + b"\r")),
    "a quoted name": ("members.csv", lambda d: _line(d, 2, lambda x: x.replace(b"Smith", b'"Smith, Jr"'))),
    "a backslash-dot line": ("transactions.csv", lambda d: _line(d, 4, lambda x: b"\\.")),
    "a blank line": ("transactions.csv", lambda d: _line(d, 4, lambda x: x + b"\r\n")),
    "a byte order mark": ("members.csv", lambda d: b"\xef\xbb\xbf" + d),
    "trailing space": ("members.csv", lambda d: _line(d, 2, lambda x: x.replace(b"Smith", b"Smith "))),
    "no-break space": ("members.csv", lambda d: _line(d, 2, lambda x: x.replace(b"Smith", "Smith\u00a0".encode()))),
    "a space for T": ("transactions.csv", lambda d: _line(d, 2, lambda x: x.replace(b"T", b" ", 2))),
    "Z for UTC": ("transactions.csv", lambda d: d.replace(b"+00:00", b"Z")),
    "enrolled on a date": ("members.csv", lambda d: _field(d, 3, 6, b"2020-02-29")),
    "30 February": ("transactions.csv", lambda d: _field(d, 5, 2, b"2024-02-30T10:00:00+00:00")),
    "a timestamp in the future": ("transactions.csv", lambda d: _field(d, 6, 2, b"2099-01-01T00:00:00+00:00")),
    "a timestamp without offset": ("transactions.csv", lambda d: _field(d, 6, 2, b"2024-01-01T00:00:00")),
    "a duplicate transaction id": ("transactions.csv", lambda d: d + d.split(b"\r\n")[1] + b"\r\n"),
    "a duplicate email": ("members.csv", lambda d: d + d.split(b"\r\n")[1].replace(b"L0000000", b"LDUP") + b"\r\n"),
    "an orphan balance": ("balances.csv", lambda d: d + b"LNOBODY,5,KING,\r\n"),
    "zero points": ("transactions.csv", lambda d: _field(d, 2, 4, b"0")),
    "leading zeros": ("transactions.csv", lambda d: _field(d, 2, 4, b"007")),
    "a negative balance": ("balances.csv", lambda d: _line(d, 2, lambda x: x.replace(b",", b",-", 1))),
    "latin-1": ("members.csv", lambda d: _line(d, 2, lambda x: x.replace(b"Smith", b"Sm\xefth"))),
    "no final line end": ("transactions.csv", lambda d: d.rstrip(b"\r\n")),
    "a bad email": ("members.csv", lambda d: _line(d, 2, lambda x: x.replace(b"@", b"@@"))),
    "an extra field": ("transactions.csv", lambda d: _line(d, 2, lambda x: x + b",extra")),
    # last lines, in id order: the later part's own checks (two parts)
    "an orphan transaction last": ("transactions.csv", lambda d: d.rstrip(b"\r\n") + b"\r\n"
                                   b"T9999999-0,LNOBODY,2024-01-01T00:00:00+00:00,earn,5,pos,R\r\n"),
    "a bad timestamp last": ("transactions.csv", lambda d: d.rstrip(b"\r\n") + b"\r\n"
                             b"T9999999-0,L0000001,2024-13-01T00:00:00+00:00,earn,5,pos,R\r\n"),
    "a good line last": ("transactions.csv", lambda d: d.rstrip(b"\r\n") + b"\r\n"
                         b"T9999999-0,L0000001,2024-01-01T00:00:00+00:00,earn,5,pos,R\r\n"),
}


async def _load(pools, directory: pathlib.Path, *, fast: bool, monkeypatch, parts: bool = False) -> tuple[dict, list]:
    """`parts`: the transactions file, however short, in two parts on two connections."""
    said: list[str] = []
    if not fast:
        async def declined(*args, **kwargs):
            raise bulk_load.Declined("the test")
        monkeypatch.setattr(bulk_load, "load", declined)
    if parts:
        monkeypatch.setattr(bulk_load, "PARTS_FROM_BYTES", 1)
    import_id = uuid.uuid4()
    async with pools["staging"].acquire() as conn:
        await conn.execute("INSERT INTO imports(id, program_code, program_id, directory) VALUES ($1, 'x', $2, $3)",
                           import_id, uuid.uuid4(), str(directory))
        try:
            async with conn.transaction():
                result = await loading.load(conn, import_id=import_id, directory=directory, now=NOW,
                                            max_reject_rate=1.0, progress=said.append,
                                            second=pools["staging"].acquire if parts else None)
        except loading.Refused as refused:
            return {"refused": str(refused)}, said
        rows = {}
        for table in ("members", "balances", "transactions", "quarantine"):
            rows[table] = sorted(tuple(r)[1:] for r in await conn.fetch(
                f"SELECT * FROM staging.{table} WHERE import_id = $1", import_id))
    monkeypatch.undo()
    report = result.report
    return {"rows": rows, "loaded": result.loaded, "counts": report.row_counts, "kinds": report.points_by_kind,
            "balances": report.sum_of_balances, "rejections": report.rejections}, said


@pytest.mark.parametrize("parts", [False, True], ids=["one connection", "two parts"])
@pytest.mark.parametrize("case", list(CASES))
async def test_the_fast_path_loads_what_the_line_exact_path_loads(pools, tmp_path, monkeypatch, case, parts):
    write_dump(tmp_path, members=12, transactions_per_member=5, now=NOW - dt.timedelta(days=1), plant_errors=False)
    if CASES[case]:
        name, change = CASES[case]
        _edit(tmp_path, name, change)
    fast, said = await _load(pools, tmp_path, fast=True, monkeypatch=monkeypatch, parts=parts)
    exact, _ = await _load(pools, tmp_path, fast=False, monkeypatch=monkeypatch)
    assert fast == exact
    took_fast = not any("row by row" in s for s in said)
    if case in ("clean", "LF line ends", "a byte order mark", "Z for UTC", "enrolled on a date",
                "no final line end", "leading zeros", "a good line last"):
        assert took_fast, said
        # a file in id order goes in two parts when asked to
        assert any("in two parts" in s for s in said) == parts, said
    elif case not in ("a blank line",):
        assert not took_fast, said
    # and a declined fast path leaves nothing of a second part behind: every row above came from one load


# --- any bytes: the fast path takes a mutated file only where it reads it as the reader does --------

MUTATIONS = st.lists(st.tuples(
    st.sampled_from([b'"', b"\r", b"\n", b"\r\n", b"\x00", b";", b",", b"\xe9", b"\xef\xbb\xbf", b'"x"y',
                     b"x" * 70_000, b"\x1c", b" ", b"delete", b"truncate", b"\\.", b"\t", "\u00a0".encode(), b"9",
                     b"0", b"T", b"-", b"Z", b":", b"+", b".", b"@", b"earn", b"expire,", b"L0000001"]),
    st.floats(min_value=0.0, max_value=1.0)), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=MUTATIONS, target=st.sampled_from(sorted(dump.FILES)))
async def test_any_mutated_dump_loads_the_same_either_way(pools, tmp_path_factory, mutations, target):
    directory = tmp_path_factory.mktemp("dump")
    write_dump(directory, members=8, transactions_per_member=4, now=NOW - dt.timedelta(days=1), plant_errors=False)
    _edit(directory, target, lambda d: _malformed._mutate(d, mutations))
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, _ = await _load(pools, directory, fast=True, monkeypatch=monkeypatch)
        exact, _ = await _load(pools, directory, fast=False, monkeypatch=monkeypatch)
        parted, _ = await _load(pools, directory, fast=True, monkeypatch=monkeypatch, parts=True)
    assert fast == exact == parted


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(emails=st.lists(st.one_of(
    st.text(alphabet="aZ0.-@!_`{~'é ", max_size=12),
    st.builds(lambda local, labels: local + "@" + ".".join(labels),
              st.text(alphabet="aZ9.+-@", min_size=0, max_size=4),
              st.lists(st.one_of(st.text(alphabet="aZ9-", max_size=5), st.text(alphabet="a-", min_size=60, max_size=66)),
                       min_size=1, max_size=4))), min_size=1, max_size=60))
async def test_the_sql_email_rule_is_the_enrolment_rule(pools, emails):
    async with pools["staging"].acquire() as conn:
        found = await conn.fetch(f"SELECT e, {bulk_load._email('e')} AS ok FROM unnest($1::text[]) e", emails)
    assert {r["e"]: bool(r["ok"]) for r in found} == {e: bool(dump._EMAIL.match(e)) for e in emails}
