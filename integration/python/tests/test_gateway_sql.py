"""Gateway SQL checks that a golden .slt file cannot express: result column names, layouts that
are only partly fixed (DESCRIBE FORMATTED, SHOW CREATE TABLE, SHOW TBLPROPERTIES, EXPLAIN), the
files CTAS/INSERT leave on disk, and the catalog seen over Thrift after DDL through the gateway
(and the other way round).

Runs on the session `gateway`; every catalog database used here starts with `sqlt_`.
"""

from __future__ import annotations

import gzip
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import pyarrow.parquet as pq
import pytest

from gateway_data import ORDERS, SALES, SALES_DDL_COLUMNS
from gateway_fixtures import pg_connect
from hms_util import connect, make_partition, make_table, norm_location, unique
from hmsclient.genthrift.hive_metastore.ttypes import FieldSchema

psycopg = pytest.importorskip("psycopg")

LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"


@pytest.fixture(scope="module")
def conn(gateway):
    c = pg_connect(gateway)
    # SQL results are the subject here; psycopg's automatic server-side preparation (and the
    # DEALLOCATE ALL it sends after DDL) is covered in test_gateway_clients.py.
    c.prepare_threshold = None
    yield c
    c.close()


@pytest.fixture(scope="module")
def db(conn, fixture_data) -> str:
    """sqlt_main with orders (Parquet), people (CSV) and sales (partitioned, repaired)."""
    name = "sqlt_main"
    conn.execute(f"CREATE DATABASE {name}")
    conn.execute(f"CREATE EXTERNAL TABLE {name}.orders (id int, customer string, amount decimal(10,2), "
                 f"price double, qty bigint, day date, ts timestamp, paid boolean) "
                 f"STORED AS PARQUET LOCATION '{fixture_data / 'orders'}'")
    conn.execute(f"CREATE EXTERNAL TABLE {name}.people (id int, name string, city string, age int, score double) "
                 f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE "
                 f"LOCATION '{fixture_data / 'people_csv'}' "
                 f"TBLPROPERTIES ('skip.header.line.count'='1', 'classification'='csv', 'owner.team'='data')")
    conn.execute(f"CREATE EXTERNAL TABLE {name}.sales (item string COMMENT 'what', qty int, price double) "
                 f"PARTITIONED BY (year int COMMENT 'calendar year', month string) "
                 f"STORED AS PARQUET LOCATION '{fixture_data / 'sales'}'")
    conn.execute(f"MSCK REPAIR TABLE {name}.sales")
    return name


def q(conn, sql: str, **kw) -> List[tuple]:
    return conn.execute(sql, **kw).fetchall()


def columns_of(conn, sql: str, **kw) -> List[str]:
    cur = conn.execute(sql, **kw)
    cur.fetchall()
    return [d.name for d in cur.description]


# ---------------------------------------------------------------------------------------------
# result layouts

@pytest.mark.parametrize("prepare", [False, True], ids=["simple", "extended"])
def test_show_and_describe_result_columns(gateway, db, prepare):
    """The exact column names (also in the extended protocol, where Describe comes first)."""
    expected = {
        "SHOW DATABASES": ["database_name"],
        "SHOW SCHEMAS": ["database_name"],
        f"SHOW TABLES IN {db}": ["tab_name"],
        f"SHOW PARTITIONS {db}.sales": ["partition"],
        f"SHOW COLUMNS IN {db}.orders": ["field"],
        f"SHOW TBLPROPERTIES {db}.people": ["prpt_name", "prpt_value"],
        f"DESCRIBE {db}.orders": ["col_name", "data_type", "comment"],
        f"DESCRIBE FORMATTED {db}.sales": ["col_name", "data_type", "comment"],
    }
    with pg_connect(gateway) as c:
        for sql, cols in expected.items():
            assert columns_of(c, sql, prepare=prepare) == cols, sql


def test_maps_and_lists_of_lists_reach_clients_as_text(conn, db):
    """PostgreSQL has no map type, and arrow-pg none for a list of lists: such result columns
    arrive as text in the extended protocol (psycopg, unnamed and prepared) and the simple
    one (libpq's PQexec, as psql sends), while inside the query a map is still a map."""
    sql = ("SELECT id, map(['k', 'z'], [id, NULL]) AS m, make_array(make_array(id), make_array(id, 0)) AS ll, "
           f"make_array(id) AS l FROM {db}.orders WHERE id <= 2 ORDER BY id")
    expected = [(1, "{k: 1, z: NULL}", "[[1], [1, 0]]", [1]), (2, "{k: 2, z: NULL}", "[[2], [2, 0]]", [2])]
    for prepare in (False, True):
        assert q(conn, sql, prepare=prepare) == expected, prepare
    res = conn.pgconn.exec_(sql.encode())
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    assert [[res.get_value(r, c) for c in range(4)] for r in range(res.ntuples)] == [
        [b"1", b"{k: 1, z: NULL}", b"[[1], [1, 0]]", b"{1}"], [b"2", b"{k: 2, z: NULL}", b"[[2], [2, 0]]", b"{2}"]]
    assert q(conn, f"SELECT m['k'] FROM (SELECT map(['k'], [id]) AS m FROM {db}.orders) WHERE m['k'] = 3") == [(3,)]
    # simple-protocol queries still get datafusion-postgres's rewrites for clients
    res = conn.pgconn.exec_(b"SELECT version()")
    assert res.fname(0) == columns_of(conn, "SELECT version()").pop().encode() == b"version"
    # a bad query in the simple protocol still gets its SQLSTATE
    res = conn.pgconn.exec_(f"SELECT nope FROM {db}.orders".encode())
    assert res.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"42703"


def test_result_types_are_the_ones_the_rows_have(conn):
    """A CASE mixing bigint and an unsigned value yields numeric: clients are told numeric in
    every protocol (before, they were told int8 and failed in text or read garbage in binary)."""
    sql = ("SELECT CASE WHEN v THEN 1 ELSE arrow_cast(2, 'UInt64') END AS x, v "
           "FROM (VALUES (true), (false)) t(v) ORDER BY v")
    numeric, boolean = 1700, 16
    for prepare in (False, True):
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            cur.execute(sql, prepare=prepare)
            assert cur.fetchall() == [(Decimal(2), False), (Decimal(1), True)], (prepare, binary)
            assert [d.type_code for d in cur.description] == [numeric, boolean], (prepare, binary)
    res = conn.pgconn.exec_(sql.encode())
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    assert (res.ftype(0), res.get_value(0, 0)) == (numeric, b"2")
    # A column that becomes a map only once types are settled still reaches the client as text.
    union = "SELECT NULL AS m UNION ALL SELECT map(['a'], [1])"
    for prepare in (False, True):
        cur = conn.execute(union, prepare=prepare)
        assert sorted(cur.fetchall(), key=str) == [("{a: 1}",), (None,)], prepare
        assert [d.type_code for d in cur.description] == [25], prepare


def test_statements_reach_the_engine_as_the_client_wrote_them(conn, tmp_path):
    """Quoted quotes and semicolons inside literals survive the gateway's splitting of a
    simple-protocol string into statements, and its own statements' hand-over of their query
    part (INSERT, CTAS), in both protocols."""
    res = conn.pgconn.exec_(b"SELECT 'it''s; fine' AS a; SELECT 'x''y' AS b")
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    assert res.get_value(0, 0) == b"x'y"  # PQexec keeps the last result
    assert q(conn, "SELECT 'it''s; fine'", prepare=True) == [("it's; fine",)]
    res = conn.pgconn.exec_(b"SELECT $$it's$$; -- a trailing comment is no statement")
    assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
    assert res.get_value(0, 0) == b"it's"
    t = unique("sqlt_quotes")
    conn.execute(f"CREATE DATABASE {t}")
    conn.execute(f"CREATE TABLE {t}.t WITH (external_location = '{tmp_path / 't'}') "
                 "AS SELECT 'it''s' AS s, 1 AS n")
    two_inserts = f"INSERT INTO {t}.t VALUES ('a;''b''', 2); INSERT INTO {t}.t SELECT ';', 3"
    res = conn.pgconn.exec_(two_inserts.encode())
    assert res.status == psycopg.pq.ExecStatus.COMMAND_OK, res.error_message
    conn.execute(f"INSERT INTO {t}.t VALUES ('''', %s)", (4,))
    assert q(conn, f"SELECT s, n FROM {t}.t ORDER BY n") == [
        ("it's", 1), ("a;'b'", 2), (";", 3), ("'", 4)]
    conn.execute(f"DROP DATABASE {t} CASCADE")


def test_describe_lists_data_then_partition_columns(conn, db):
    rows = q(conn, f"DESCRIBE {db}.orders")
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        ("id", "int"), ("customer", "string"), ("amount", "decimal(10,2)"), ("price", "double"), ("qty", "bigint"),
        ("day", "date"), ("ts", "timestamp"), ("paid", "boolean")]
    assert all(r[2] in (None, "") for r in rows), "no comments were declared"

    rows = q(conn, f"DESCRIBE {db}.sales")
    head = [(r[0].strip(), r[1].strip(), (r[2] or "").strip()) for r in rows[:5]]
    assert head == [("item", "string", "what"), ("qty", "int", ""), ("price", "double", ""),
                    ("year", "int", "calendar year"), ("month", "string", "")], rows


def test_describe_formatted_has_partition_section_and_location(conn, db, fixture_data):
    rows = [tuple("" if v is None else str(v) for v in r) for r in q(conn, f"DESCRIBE FORMATTED {db}.sales")]
    names = [r[0].strip() for r in rows]
    assert names[:3] == ["item", "qty", "price"], rows
    assert "# Partition Information" in names, rows
    after = names[names.index("# Partition Information") + 1:]
    part_rows = [n for n in after if n and not n.startswith("#")]
    assert part_rows[:2] == ["year", "month"], rows
    year = next(r for r in rows[names.index("# Partition Information"):] if r[0].strip() == "year")
    assert year[1].strip() == "int" and year[2].strip() == "calendar year"
    location = str(fixture_data / "sales")
    assert any(norm_location(cell.strip()) == location for r in rows for cell in r), \
        f"the table location {location} is not in DESCRIBE FORMATTED:\n{rows}"


def test_show_tblproperties(conn, db):
    props: Dict[str, str] = dict(q(conn, f"SHOW TBLPROPERTIES {db}.people"))
    assert props.get("skip.header.line.count") == "1", props
    assert props.get("classification") == "csv", props
    assert props.get("owner.team") == "data", props


def test_show_partitions_and_columns_values(conn, db):
    assert sorted(r[0] for r in q(conn, f"SHOW PARTITIONS {db}.sales")) == [
        "year=2023/month=12", "year=2024/month=01", "year=2024/month=02"]
    assert [r[0] for r in q(conn, f"SHOW COLUMNS IN {db}.sales")] == ["item", "qty", "price", "year", "month"]


def test_show_create_table_round_trips(conn, db, fixture_data):
    """SHOW CREATE TABLE gives DDL that recreates an equivalent table."""
    t = f"{db}.sales_ddl"
    conn.execute(f"CREATE EXTERNAL TABLE {t} (item string COMMENT 'what', qty int, price double) "
                 f"PARTITIONED BY (year int, month string) STORED AS PARQUET "
                 f"LOCATION '{fixture_data / 'sales'}' TBLPROPERTIES ('team'='shop')")
    ddl = "\n".join(r[0] for r in q(conn, f"SHOW CREATE TABLE {t}"))
    upper = ddl.upper()
    assert "CREATE EXTERNAL TABLE" in upper and "PARTITIONED BY" in upper, ddl
    for word in ("item", "qty", "price", "year", "month", "what", "team", "shop", str(fixture_data / "sales")):
        assert word in ddl, f"{word!r} missing from:\n{ddl}"
    before = q(conn, f"DESCRIBE {t}")

    conn.execute(f"DROP TABLE {t}")
    conn.execute(ddl)
    assert q(conn, f"DESCRIBE {t}") == before
    conn.execute(f"MSCK REPAIR TABLE {t}")
    assert q(conn, f"SELECT count(*), sum(qty) FROM {t} WHERE year = 2024") == [(4, 9)]
    assert dict(q(conn, f"SHOW TBLPROPERTIES {t}")).get("team") == "shop"


def test_explain_shows_the_table_scan(conn, db):
    rows = q(conn, f"EXPLAIN SELECT count(*) FROM {db}.orders WHERE customer = 'alice'")
    assert rows and all(len(r) == 2 for r in rows), rows
    text = "\n".join(str(v) for r in rows for v in r)
    assert "TableScan" in text and "orders" in text, text
    assert "customer" in text, f"the filter is not in the plan:\n{text}"
    rows = q(conn, f"EXPLAIN SELECT item FROM {db}.sales WHERE year = 2024")
    text = "\n".join(str(v) for r in rows for v in r)
    assert "TableScan" in text and "sales" in text, text


def test_a_cte_named_twice_is_computed_once(conn, db):
    sql = (f"WITH totals AS (SELECT customer, sum(qty) AS total FROM {db}.orders GROUP BY customer) "
           "SELECT customer FROM totals WHERE total = (SELECT max(total) FROM totals)")
    text = "\n".join(str(v) for r in q(conn, "EXPLAIN " + sql) for v in r)
    assert text.count("SharedResultExec: id=0") == 2, text
    # One scan is executed: the other copy replays its rows.
    text = "\n".join(str(v) for r in q(conn, "EXPLAIN ANALYZE " + sql) for v in r)
    scans = [line for line in text.splitlines() if "DataSourceExec" in line]
    assert len(scans) == 2 and sum("output_rows=6," in line for line in scans) == 1, text
    assert q(conn, sql) == [("alice",)]


# ---------------------------------------------------------------------------------------------
# CTAS / INSERT files

def parquet_rows(folder: Path, columns: List[str]) -> List[tuple]:
    out = []
    for f in sorted(folder.glob("*.parquet")):
        t = pq.read_table(f).to_pydict()
        out += list(zip(*(t[c] for c in columns)))
    return out


def data_files(folder: Path) -> List[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(("_", "."))]


def test_ctas_writes_hive_partition_folders_in_the_warehouse(conn, db, gateway):
    target = "sqlt_ctas"
    conn.execute(f"CREATE DATABASE {target}")
    conn.execute(f"CREATE TABLE {target}.orders_by_day WITH (format='PARQUET', partitioned_by=ARRAY['day']) AS "
                 f"SELECT id, customer, qty, day FROM {db}.orders")
    table_dir = Path(gateway.warehouse) / f"{target}.db" / "orders_by_day"
    assert table_dir.is_dir(), f"no {table_dir}: {sorted(str(p) for p in Path(gateway.warehouse).rglob('*'))}"
    folders = sorted(p.name for p in table_dir.iterdir() if p.is_dir())
    assert folders == ["day=2024-01-01", "day=2024-01-02", "day=2024-01-03"]
    assert all(p.suffix == ".parquet" for p in data_files(table_dir)), data_files(table_dir)

    got = []
    for folder in folders:
        day = folder.split("=", 1)[1]
        rows = parquet_rows(table_dir / folder, ["id", "customer", "qty"])
        assert rows, f"no Parquet rows in {folder}"
        got += [(i, c, n, day) for i, c, n in rows]
    assert sorted(got) == sorted((o[0], o[1], o[4], o[5].isoformat()) for o in ORDERS)

    # the catalog over Thrift: a managed table with one partition per folder
    with connect(gateway) as hms:
        t = hms.get_table(target, "orders_by_day")
        assert norm_location(t.sd.location) == str(table_dir)
        assert [(k.name, k.type) for k in t.partitionKeys] == [("day", "date")]
        assert [(c.name, c.type) for c in t.sd.cols] == [("id", "int"), ("customer", "string"), ("qty", "bigint")]
        assert t.tableType == "MANAGED_TABLE"
        names = sorted(hms.get_partition_names(target, "orders_by_day", -1))
        assert names == folders
        p = hms.get_partition_by_name(target, "orders_by_day", "day=2024-01-02")
        assert norm_location(p.sd.location) == str(table_dir / "day=2024-01-02")

    # INSERT INTO a new partition: a new folder, registered at once
    conn.execute(f"INSERT INTO {target}.orders_by_day SELECT id + 10, customer, qty, DATE '2024-02-29' "
                 f"FROM {db}.orders WHERE id = 1")
    assert parquet_rows(table_dir / "day=2024-02-29", ["id", "customer", "qty"]) == [(11, "alice", 5)]
    with connect(gateway) as hms:
        assert "day=2024-02-29" in hms.get_partition_names(target, "orders_by_day", -1)
    assert q(conn, f"SELECT count(*) FROM {target}.orders_by_day") == [(7,)]

    # DROP TABLE of a managed table removes its files
    conn.execute(f"DROP TABLE {target}.orders_by_day")
    assert not table_dir.exists() or not data_files(table_dir), data_files(table_dir)


def test_ctas_text_and_json_files_are_hive_text(conn, db, gateway):
    """TEXTFILE: Hive's \\001 delimiter, \\N for NULL, `yyyy-MM-dd HH:mm:ss` timestamps, gzip with a
    .gz name; JSON: one object per line. The catalog records the SerDe, delimiter and codec."""
    conn.execute("CREATE DATABASE IF NOT EXISTS sqlt_ctas")
    conn.execute("CREATE TABLE sqlt_ctas.orders_txt WITH (format='TEXTFILE', write_compression='GZIP') AS "
                 f"SELECT id, customer, ts FROM {db}.orders WHERE id IN (5, 6)")
    table_dir = Path(gateway.warehouse) / "sqlt_ctas.db" / "orders_txt"
    files = data_files(table_dir)
    assert files and all(p.name.endswith(".gz") for p in files), files
    text = b"".join(gzip.decompress(p.read_bytes()) for p in files).decode()
    assert sorted(text.splitlines()) == ["5\x01dave\x012024-01-03 00:00:00", "6\x01\\N\x012024-01-03 23:59:59"]
    with connect(gateway) as hms:
        t = hms.get_table("sqlt_ctas", "orders_txt")
        assert t.sd.serdeInfo.serializationLib == LAZY_SIMPLE
        assert t.sd.serdeInfo.parameters.get("field.delim") == "\x01"
        assert t.sd.inputFormat == "org.apache.hadoop.mapred.TextInputFormat"
        assert t.parameters.get("write.compression") == "GZIP"

    conn.execute("CREATE TABLE sqlt_ctas.orders_js WITH (format='JSON') AS "
                 f"SELECT id, customer, amount, ts FROM {db}.orders WHERE id IN (1, 6)")
    files = data_files(Path(gateway.warehouse) / "sqlt_ctas.db" / "orders_js")
    objects = sorted((json.loads(line) for p in files for line in p.read_text().splitlines()),
                     key=lambda o: o["id"])
    # timestamps in Hive's text form, which Hive's JsonSerDe parses (not arrow's 'T' form)
    assert [(o["id"], o.get("customer"), float(o["amount"]), o["ts"]) for o in objects] == [
        (1, "alice", 12.5, "2024-01-01 10:00:00"), (6, None, 1.0, "2024-01-03 23:59:59")]
    assert q(conn, "SELECT id, ts FROM sqlt_ctas.orders_js ORDER BY id") == [(1, ORDERS[0][6]), (6, ORDERS[5][6])]
    with connect(gateway) as hms:
        assert hms.get_table("sqlt_ctas", "orders_js").sd.serdeInfo.serializationLib == \
            "org.apache.hive.hcatalog.data.JsonSerDe"


def test_big_text_file_is_read_in_byte_ranges_without_losing_a_line(conn, db, tmp_path):
    """A text file over DataFusion's 10 MiB split size is read as byte ranges in parallel: every
    line once, the header skipped once, empty fields kept apart from NULL (\\N) in each range."""
    n = 400_000
    folder = tmp_path / "big_text"
    folder.mkdir()
    with open(folder / "big.txt", "w") as f:
        f.write("id|name|n|pad\n")
        for i in range(n):
            name = "" if i % 7 == 0 else ("\\N" if i % 5 == 0 else f"name{i}")
            num = "" if i % 11 == 0 else str(i % 100)
            f.write(f"{i}|{name}|{num}|{'x' * 24}\n")
    assert (folder / "big.txt").stat().st_size > 12 * 2**20
    conn.execute(f"CREATE EXTERNAL TABLE {db}.big_text (id int, name string, n int, pad string) "
                 f"ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' LOCATION '{folder}' "
                 f"TBLPROPERTIES ('skip.header.line.count'='1')")
    plan = "\n".join(r[-1] for r in q(conn, f"EXPLAIN SELECT count(*) FROM {db}.big_text WHERE n > 5"))
    assert "big.txt:0.." in plan, plan
    empty = sum(1 for i in range(n) if i % 7 == 0)
    null = sum(1 for i in range(n) if i % 7 != 0 and i % 5 == 0)
    numbers = [i % 100 for i in range(n) if i % 11 != 0]
    assert q(conn, f"SELECT count(*), sum(id), count(DISTINCT id), count(*) FILTER (WHERE name = ''), "
                   f"count(*) FILTER (WHERE name IS NULL), count(n), sum(n), min(length(pad)) "
                   f"FROM {db}.big_text") == [
        (n, n * (n - 1) // 2, n, empty, null, len(numbers), sum(numbers), 24)]


def test_ctas_external_location_is_readable_by_another_engine(conn, db, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "geo"
    conn.execute("CREATE DATABASE IF NOT EXISTS sqlt_ctas")
    conn.execute(f"CREATE TABLE sqlt_ctas.orders_geo WITH (format='PARQUET', external_location='{out}', "
                 f"partitioned_by=ARRAY['customer', 'paid']) AS "
                 f"SELECT id, amount, customer, paid FROM {db}.orders WHERE customer IN ('alice', 'bob')")
    assert sorted(str(p.relative_to(out)) for p in out.glob("*/*") if p.is_dir()) == [
        "customer=alice/paid=true", "customer=bob/paid=false"]
    rows = duckdb.sql(f"SELECT id, CAST(amount AS VARCHAR), customer, CAST(paid AS VARCHAR) FROM "
                      f"read_parquet('{out}/*/*/*.parquet', hive_partitioning = true) ORDER BY id").fetchall()
    assert rows == [(1, "12.50", "alice", "true"), (2, "7.25", "bob", "false"), (3, "30.00", "alice", "true")]
    # external: dropping the table keeps the files
    conn.execute("DROP TABLE sqlt_ctas.orders_geo")
    assert len(list(out.glob("*/*/*.parquet"))) >= 2


# ---------------------------------------------------------------------------------------------
# the same catalog over Thrift

def test_gateway_ddl_is_seen_over_thrift(conn, db, gateway, fixture_data):
    with connect(gateway) as hms:
        t = hms.get_table(db, "people")
        assert t.tableType == "EXTERNAL_TABLE"
        assert norm_location(t.sd.location) == str(fixture_data / "people_csv")
        assert t.sd.serdeInfo.serializationLib == LAZY_SIMPLE
        assert t.sd.serdeInfo.parameters.get("field.delim") == ","
        assert t.parameters.get("skip.header.line.count") == "1"
        assert [(c.name, c.type) for c in t.sd.cols] == [
            ("id", "int"), ("name", "string"), ("city", "string"), ("age", "int"), ("score", "double")]
        s = hms.get_table(db, "sales")
        assert [(k.name, k.type, k.comment) for k in s.partitionKeys] == [
            ("year", "int", "calendar year"), ("month", "string", None)]
        assert sorted(hms.get_partition_names(db, "sales", -1)) == [
            "year=2023/month=12", "year=2024/month=01", "year=2024/month=02"]
        assert db in hms.get_all_databases()


def test_thrift_ddl_is_seen_by_the_gateway(conn, gateway, fixture_data):
    """A table and partitions created by another metastore client (as Spark would) are queryable."""
    dbname = unique("sqlt_thrift")
    conn.execute(f"CREATE DATABASE {dbname}")
    cols = [FieldSchema(name=n, type=t, comment=None) for n, t in
            (c.strip().split() for c in SALES_DDL_COLUMNS.split(","))]
    keys = [FieldSchema(name="year", type="int", comment=None), FieldSchema(name="month", type="string", comment=None)]
    table = make_table(dbname, "sales", f"file:{fixture_data / 'sales'}", cols=cols, part_keys=keys)
    with connect(gateway) as hms:
        hms.create_table(table)
        hms.add_partitions([make_partition(table, ["2024", "01"]), make_partition(table, ["2023", "12"])])
    expected_2024 = sorted((i, n, p) for (i, n, p) in SALES[(2024, "01")])
    assert sorted(q(conn, f"SELECT item, qty, price FROM {dbname}.sales WHERE year = 2024")) == expected_2024
    assert q(conn, f"SELECT count(*) FROM {dbname}.sales") == [(5,)]

    with connect(gateway) as hms:
        hms.add_partitions([make_partition(table, ["2024", "02"])])
    deadline = time.monotonic() + 15  # metadata may be cached for a short TTL
    while True:
        got = q(conn, f"SELECT count(*) FROM {dbname}.sales")
        if got == [(6,)] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert got == [(6,)]
    conn.execute(f"DROP DATABASE {dbname} CASCADE")
    assert dbname not in [r[0] for r in q(conn, "SHOW DATABASES")]
