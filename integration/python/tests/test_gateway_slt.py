"""The gateway's SQL surface as sqllogictest files (../slt/*.slt), run over pgwire with psycopg.

Each file runs on its own fresh `lakehive serve --pg-trust` (an empty catalog) with `__DATA__`
replaced by a fresh directory of fixture files (../gateway_data.py). A failure lists every failing
record as file:line with the SQL and expected vs actual rows. The runner itself (../slt.py) is
checked first, without a server.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gateway_data import write_fixture_files
from gateway_fixtures import pg_connect
from slt import SltParseError, format_value, parse, run_file

SLT_DIR = Path(__file__).resolve().parents[1] / "slt"
SLT_FILES = sorted(SLT_DIR.glob("*.slt"))
EXPECTED_FILES = {"alter.slt", "ctas.slt", "ddl.slt", "errors.slt", "partitions.slt", "select.slt", "show.slt", "views.slt"}


def test_slt_files_present():
    assert EXPECTED_FILES <= {p.name for p in SLT_FILES}, f"missing .slt files in {SLT_DIR}"
    for p in SLT_FILES:
        assert parse(p.read_text(), p.name), f"{p.name} has no records"


def test_slt_runner_parses_records():
    text = """# comment
statement ok
CREATE DATABASE x

statement error 42P01
SELECT * FROM
  nope

query ITR rowsort
SELECT a, b, c
FROM t
----
1 a 1.500
2	b	NULL

query error
SELECT 1/0

query T
SELECT 'x' WHERE false
"""
    recs = parse(text, "t.slt")
    assert [(r.kind, r.line, r.expect_error) for r in recs] == [
        ("statement", 2, False), ("statement", 5, True), ("query", 9, False), ("query", 16, True), ("query", 19, False)]
    assert recs[1].error_regex == "42P01" and recs[1].sql == "SELECT * FROM\n  nope"
    assert recs[2].types == "ITR" and recs[2].sort == "rowsort" and recs[2].sql == "SELECT a, b, c\nFROM t"
    assert recs[2].expected == ["1 a 1.500", "2\tb\tNULL"]
    assert recs[4].expected == []
    with pytest.raises(SltParseError, match="t.slt:1"):
        parse("skipif postgres\nstatement ok\nSELECT 1\n", "t.slt")
    with pytest.raises(SltParseError, match="t.slt:1"):
        parse("query IT sorted\nSELECT 1, 2\n", "t.slt")


def test_slt_value_formatting():
    assert format_value(None, "T") == "NULL"
    assert format_value("", "T") == "(empty)"
    assert format_value(True, "T") == "true"
    assert format_value(3, "I") == "3"
    assert format_value(Decimal("2"), "I") == "2"
    assert format_value(2.0, "I") == "2"
    assert format_value(Decimal("12.50"), "T") == "12.50"
    assert format_value(Decimal("12.5"), "R") == "12.500"
    assert format_value(2.0 / 3, "R") == "0.667"
    assert format_value(91.5, "T") == "91.5"
    assert format_value(79.0, "T") == "79"
    assert format_value(dt.date(2024, 1, 2), "T") == "2024-01-02"
    assert format_value(dt.datetime(2024, 1, 2, 18, 45, 30), "T") == "2024-01-02 18:45:30"
    assert format_value(dt.datetime(2024, 1, 2, 18, 45, 30, 500000), "T") == "2024-01-02 18:45:30.500000"


@pytest.mark.parametrize("path", SLT_FILES, ids=[p.name for p in SLT_FILES])
def test_slt(path: Path, fresh_gateway, tmp_path):
    data = write_fixture_files(tmp_path / "data")
    assert "'" not in str(data), "the data path is spliced into SQL string literals"
    records = run_file(path, lambda: pg_connect(fresh_gateway), {"__DATA__": str(data)})
    assert records > 0
    assert fresh_gateway.alive(), f"lakehive died running {path.name}:\n{fresh_gateway.log_tail()}"
