"""Cross-engine: Spark and the SQL gateway share tables through our metastore.

One `lakehive serve --pg-addr ... --pg-trust` (metastore + gateway) for the module; PySpark 4.0.1
with Hive support points `hive.metastore.uris` at it and uses the server's warehouse.
- Spark writes a partitioned Parquet table (`USING parquet PARTITIONED BY (dt)`, several inserts);
  the gateway (psycopg 3) returns the same rows, prunes by partition, lists the partitions.
- The gateway creates a partitioned table by CTAS (managed, in the database's folder); Spark sees
  the same rows, schema and partitions at once; a partition Spark adds then shows in the gateway.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List

import pytest

from hms_util import connect, norm_location
from gateway_fixtures import pg_connect
from spark_util import hive_spark_session

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.timeout(900)

DB = "sdb"
EVENTS = [(1, "a", "2024-01-01"), (2, "b", "2024-01-01"), (3, "c", "2024-01-02"), (4, "d", "2024-01-03"),
          (5, None, "2024-01-02"), (6, "f", "2024-01-03")]


@pytest.fixture(scope="module")
def gw(module_gateway_factory):
    """`lakehive serve --pg-trust`: the metastore Spark uses and the gateway, one process."""
    return module_gateway_factory.start("spark")


@pytest.fixture(scope="module")
def spark(gw, tmp_path_factory):
    pytest.importorskip("pyspark.sql")
    session = hive_spark_session("lakehive-gateway-cross-engine", gw.uri, gw.warehouse,
                                 tmp_path_factory.mktemp("spark-gw"))
    yield session
    try:
        session.sql(f"DROP DATABASE IF EXISTS {DB} CASCADE")
    finally:
        session.stop()


@pytest.fixture(scope="module")
def events(spark):
    """sdb.events written by Spark: a partitioned Parquet data-source table, three inserts."""
    spark.sql(f"CREATE DATABASE {DB}")
    t = f"{DB}.events"
    spark.sql(f"CREATE TABLE {t} (id int, name string, dt string) USING parquet PARTITIONED BY (dt)")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'a', '2024-01-01'), (2, 'b', '2024-01-01'), (3, 'c', '2024-01-02')")
    spark.sql(f"INSERT INTO {t} VALUES (4, 'd', '2024-01-03'), (5, NULL, '2024-01-02')")
    spark.sql(f"INSERT INTO {t} PARTITION (dt = '2024-01-03') VALUES (6, 'f')")
    assert sorted(tuple(r) for r in spark.table(t).collect()) == sorted(EVENTS, key=_key)
    return t


def _key(row):
    return tuple((x is None, x) for x in row)


def srt(rows) -> List[tuple]:
    return sorted((tuple(r) for r in rows), key=_key)


def q(conn, sql: str) -> List[tuple]:
    return conn.execute(sql).fetchall()


def spark_partitions(spark, table: str) -> List[str]:
    return sorted(r[0] for r in spark.sql(f"SHOW PARTITIONS {table}").collect())


# ---------------------------------------------------------------------------------------------

def test_gateway_reads_spark_partitioned_table(gw, spark, events):
    with pg_connect(gw) as c:
        assert srt(q(c, f"SELECT id, name, dt FROM {events}")) == srt(spark.table(events).select("id", "name", "dt").collect())
        assert srt(q(c, f"SELECT id, name, dt FROM {events}")) == srt(EVENTS)
        assert srt(q(c, f"SELECT id, name FROM {events} WHERE dt = '2024-01-02'")) == [(3, "c"), (5, None)]
        assert q(c, f"SELECT dt, count(*) FROM {events} GROUP BY dt ORDER BY dt") == [
            ("2024-01-01", 2), ("2024-01-02", 2), ("2024-01-03", 2)]
        assert q(c, f"SELECT count(*) FROM {events} WHERE dt > '2024-01-01' AND name IS NOT NULL") == [(3,)]
        assert sorted(r[0] for r in q(c, f"SHOW PARTITIONS {events}")) == spark_partitions(spark, events)


def test_gateway_sees_spark_catalog(gw, events):
    with pg_connect(gw) as c:
        assert (DB,) in [tuple(r[:1]) for r in q(c, "SHOW DATABASES")]
        assert "events" in [r[0] for r in q(c, f"SHOW TABLES IN {DB}")]
        cols = q(c, "SELECT column_name, data_type FROM information_schema.columns "
                    f"WHERE table_schema = '{DB}' AND table_name = 'events' ORDER BY ordinal_position")
        assert [r[0] for r in cols] == ["id", "name", "dt"], cols


def test_spark_reads_gateway_ctas(gw, spark, events):
    with pg_connect(gw) as c:
        c.execute(f"CREATE TABLE {DB}.g WITH (format='PARQUET', partitioned_by=ARRAY['dt']) AS "
                  f"SELECT id, name, dt FROM {events}")
        assert srt(q(c, f"SELECT id, name, dt FROM {DB}.g")) == srt(EVENTS)

    # Spark sees the new table at once, with the same schema, rows and partitions.
    assert "g" in [r.tableName for r in spark.sql(f"SHOW TABLES IN {DB}").collect()]
    g = spark.table(f"{DB}.g")
    assert [(f.name, f.dataType.simpleString()) for f in g.schema.fields] == [
        ("id", "int"), ("name", "string"), ("dt", "string")]
    assert srt(g.collect()) == srt(EVENTS)
    assert spark_partitions(spark, f"{DB}.g") == ["dt=2024-01-01", "dt=2024-01-02", "dt=2024-01-03"]
    assert srt(spark.sql(f"SELECT id, name FROM {DB}.g WHERE dt = '2024-01-03'").collect()) == [(4, "d"), (6, "f")]

    # A managed table in the database's folder, one Hive-style folder per partition.
    with connect(gw) as hms:
        db_loc = Path(norm_location(hms.get_database(DB).locationUri))
        t = hms.get_table(DB, "g")
        part = hms.get_partition_by_name(DB, "g", "dt=2024-01-02")
    loc = Path(norm_location(t.sd.location))
    assert loc == db_loc / "g", (loc, db_loc)
    assert [(k.name, k.type) for k in t.partitionKeys] == [("dt", "string")]
    assert [(f.name, f.type) for f in t.sd.cols] == [("id", "int"), ("name", "string")]
    assert Path(norm_location(part.sd.location)) == loc / "dt=2024-01-02"
    for dt in ("2024-01-01", "2024-01-02", "2024-01-03"):
        files = [p for p in (loc / f"dt={dt}").iterdir() if p.suffix == ".parquet"]
        assert files, f"no Parquet file in {loc / f'dt={dt}'}"


def test_spark_reads_gateway_text_ctas(gw, spark, events):
    """A TEXTFILE CTAS (Hive's \\001-delimited text, \\N for NULL, gzip files) reads the same
    through Spark's Hive SerDe, and a row Spark appends reads back through the gateway."""
    with pg_connect(gw) as c:
        c.execute(f"CREATE TABLE {DB}.gt WITH (format='TEXTFILE', write_compression='GZIP', "
                  f"partitioned_by=ARRAY['dt']) AS "
                  f"SELECT id, name, TIMESTAMP '2024-05-06 07:08:09.5' AS ts, dt FROM {events}")
    rows = spark.sql(f"SELECT id, name, CAST(ts AS STRING), dt FROM {DB}.gt").collect()
    assert srt(rows) == srt((i, n, "2024-05-06 07:08:09.5", dt) for i, n, dt in EVENTS)
    assert spark_partitions(spark, f"{DB}.gt") == ["dt=2024-01-01", "dt=2024-01-02", "dt=2024-01-03"]

    spark.sql(f"INSERT INTO {DB}.gt PARTITION (dt = '2024-01-09') "
              f"VALUES (9, NULL, CAST('2024-05-06 10:00:00' AS TIMESTAMP))")
    with pg_connect(gw) as c:
        assert q(c, f"SELECT id, name, CAST(ts AS VARCHAR) FROM {DB}.gt WHERE dt = '2024-01-09'") == [
            (9, None, "2024-05-06T10:00:00")]


def test_spark_textfile_table_both_ways(gw, spark, events):
    """A `STORED AS TEXTFILE` table made by Spark (serialization.format = 1, i.e. \\001, and
    \\N for NULL) reads through the gateway, and rows the gateway inserts read in Spark."""
    t = f"{DB}.st"
    spark.sql(f"CREATE TABLE {t} (id int, name string, price decimal(10,2)) STORED AS TEXTFILE")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'a', 1.50), (2, NULL, NULL)")
    with pg_connect(gw) as c:
        assert srt(q(c, f"SELECT id, name, CAST(price AS VARCHAR) FROM {t}")) == [(1, "a", "1.50"), (2, None, None)]
        c.execute(f"INSERT INTO {t} VALUES (3, 'c, d', 2.25), (4, NULL, NULL)")
    rows = spark.sql(f"SELECT id, name, CAST(price AS STRING) FROM {t}").collect()
    assert srt(rows) == [(1, "a", "1.50"), (2, None, None), (3, "c, d", "2.25"), (4, None, None)]


def test_gateway_alter_table_reaches_spark(gw, spark, events):
    """ALTER TABLE ADD COLUMNS through the gateway on a Hive table Spark made: Spark sees the
    new column, reads NULL from its older files and the new values from the gateway's
    insert. A Spark data-source table keeps its schema in Spark's own properties, so a
    column change there is refused instead of silently diverging from what Spark reads."""
    t = f"{DB}.grow"
    spark.sql(f"CREATE TABLE {t} (id int, name string) STORED AS PARQUET")
    spark.sql(f"INSERT INTO {t} VALUES (1, 'a')")
    with pg_connect(gw) as c:
        c.execute(f"ALTER TABLE {t} ADD COLUMNS (score double)")
        c.execute(f"INSERT INTO {t} VALUES (2, 'b', 2.5)")
        assert srt(q(c, f"SELECT id, name, score FROM {t}")) == [(1, "a", None), (2, "b", 2.5)]
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="Spark data-source table"):
            c.execute(f"ALTER TABLE {events} ADD COLUMNS (extra int)")
    spark.sql(f"REFRESH TABLE {t}")
    assert [f.name for f in spark.table(t).schema.fields] == ["id", "name", "score"]
    assert srt(spark.table(t).collect()) == [(1, "a", None), (2, "b", 2.5)]
    assert [f.name for f in spark.table(events).schema.fields] == ["id", "name", "dt"]


def test_views_both_ways(gw, spark, events):
    """A view made in the gateway is a catalog view Spark queries; a view Spark made (its own
    SQL text, names resolved in the database it was made in) reads through the gateway."""
    with pg_connect(gw) as c:
        c.execute(f"CREATE VIEW {DB}.gw_view AS SELECT id, upper(name) AS uname, dt FROM {events} WHERE id > 2")
    rows = spark.sql(f"SELECT id, uname FROM {DB}.gw_view WHERE dt = '2024-01-03'").collect()
    assert srt(rows) == [(4, "D"), (6, "F")]
    # a column list and an unqualified table: Spark reads the names the gateway records
    with pg_connect(gw) as c:
        c.execute(f"SET search_path TO {DB}")
        c.execute("CREATE VIEW gw_named (k, label) AS SELECT id, name FROM events WHERE id < 3")
    assert srt(spark.sql(f"SELECT k, label FROM {DB}.gw_named").collect()) == [(1, "a"), (2, "b")]
    spark.sql(f"USE {DB}")
    try:
        spark.sql("CREATE VIEW spark_view AS SELECT dt, count(*) AS n FROM events GROUP BY dt")
    finally:
        spark.sql("USE default")
    with pg_connect(gw) as c:
        assert srt(q(c, f"SELECT dt, n FROM {DB}.spark_view")) == [
            ("2024-01-01", 2), ("2024-01-02", 2), ("2024-01-03", 2)]


def test_spark_reads_gateway_orc_ctas(gw, spark, events):
    """An ORC CTAS (our writer, Athena's default ZLIB codec) with scalar, decimal and nested
    columns reads the same in Spark, and a row Spark appends reads back through the gateway."""
    with pg_connect(gw) as c:
        c.execute(f"CREATE TABLE {DB}.go WITH (format='ORC', partitioned_by=ARRAY['dt']) AS "
                  f"SELECT id, name, CAST(id AS DOUBLE) / 4 AS x, DATE '2024-05-06' AS d, "
                  f"TIMESTAMP '2024-05-06 07:08:09.5' AS ts, id % 2 = 0 AS even, "
                  f"CAST(id + 0.125 AS DECIMAL(12, 3)) AS amt, make_array(id, id + 1) AS ids, "
                  f"named_struct('n', name, 'neg', CAST(-id AS DECIMAL(30, 4))) AS info, "
                  f"map(['k'], [name]) AS tags, dt FROM {events}")
    with connect(gw) as hms:
        t = hms.get_table(DB, "go")
        assert t.sd.serdeInfo.serializationLib == "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
        assert [(f.name, f.type) for f in t.sd.cols][6:] == [
            ("amt", "decimal(12,3)"), ("ids", "array<bigint>"),
            ("info", "struct<n:string,neg:decimal(30,4)>"), ("tags", "map<string,string>")]
    rows = spark.sql(f"SELECT id, name, x, CAST(d AS STRING), CAST(ts AS STRING), even, "
                     f"CAST(amt AS STRING), ids, info.n, CAST(info.neg AS STRING), tags['k'], dt "
                     f"FROM {DB}.go").collect()
    assert srt(tuple(r) for r in rows) == srt(
        (i, n, i / 4, "2024-05-06", "2024-05-06 07:08:09.5", i % 2 == 0, f"{i}.125", [i, i + 1],
         n, f"-{i}.0000", n, dt) for i, n, dt in EVENTS)
    spark.sql(f"INSERT INTO {DB}.go PARTITION (dt = '2024-01-09') "
              f"VALUES (9, NULL, NULL, NULL, CAST('2024-05-06 10:00:00' AS TIMESTAMP), true, "
              f"9.5, array(7), named_struct('n', 'z', 'neg', -1), map('k', 'v'))")
    with pg_connect(gw) as c:
        assert q(c, f"SELECT id, name, x, d, CAST(ts AS VARCHAR), even, CAST(amt AS VARCHAR), "
                    f"ids[1], info['n'], tags['k'] FROM {DB}.go WHERE dt = '2024-01-09'") == [
            (9, None, None, None, "2024-05-06T10:00:00", True, "9.500", 7, "z", "v")]


def test_gateway_sees_partition_added_by_spark(gw, spark, events):
    t = f"{DB}.g"
    if t.split(".")[1] not in [r.tableName for r in spark.sql(f"SHOW TABLES IN {DB}").collect()]:
        pytest.skip("needs the CTAS table of test_spark_reads_gateway_ctas")
    spark.sql(f"INSERT INTO {t} PARTITION (dt = '2024-01-04') VALUES (7, 'g')")
    expected = srt(EVENTS + [(7, "g", "2024-01-04")])
    deadline = time.monotonic() + 15  # the gateway may cache table metadata for a short TTL
    with pg_connect(gw) as c:
        while True:
            got = srt(q(c, f"SELECT id, name, dt FROM {t}"))
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert got == expected
        assert q(c, f"SELECT id FROM {t} WHERE dt = '2024-01-04'") == [(7,)]



def test_gateway_reads_spark_csv_and_json_datasource_tables(gw, spark, events):
    """`USING csv` / `USING json` tables are stored in Spark's own metastore form (placeholder
    columns, schema in table properties); the gateway reads them with Spark's schema."""
    spark.sql(f"CREATE TABLE {DB}.sc (id int, name string, amount decimal(10,2), dt string) "
              f"USING csv OPTIONS (sep '|', header 'true') PARTITIONED BY (dt)")
    spark.sql(f"INSERT INTO {DB}.sc VALUES (1, 'a|b', 1.50, 'x'), (2, NULL, NULL, 'y'), (3, 'c', 2.00, 'y')")
    spark.sql(f"CREATE TABLE {DB}.sj (id bigint, name string, ok boolean) USING json")
    spark.sql(f"INSERT INTO {DB}.sj VALUES (1, 'a', true), (2, NULL, NULL)")
    with pg_connect(gw) as c:
        assert srt(q(c, f"SELECT id, name, CAST(amount AS VARCHAR), dt FROM {DB}.sc")) == [
            (1, "a|b", "1.50", "x"), (2, None, None, "y"), (3, "c", "2.00", "y")]
        assert q(c, f"SELECT count(*) FROM {DB}.sc WHERE dt = 'y'") == [(2,)]
        assert srt(q(c, f"SELECT id, name, ok FROM {DB}.sj")) == [(1, "a", True), (2, None, None)]
        cols = q(c, "SELECT column_name FROM information_schema.columns "
                    f"WHERE table_schema = '{DB}' AND table_name = 'sj' ORDER BY ordinal_position")
        assert [r[0] for r in cols] == ["id", "name", "ok"]
        # the gateway appends JSON lines that Spark reads (after refreshing its file listing)
        c.execute(f"INSERT INTO {DB}.sj VALUES (3, 'c', false)")
        # ... and quoted CSV, into an old partition and a new one. Spark reads an empty
        # string in its CSV tables as NULL (`""` equals its default nullValue), and so do we.
        c.execute(f"INSERT INTO {DB}.sc VALUES (4, 'q\"u|o\\te', 3.25, 'y'), (5, '', NULL, 'z'), "
                  f"(6, NULL, 0.10, 'z')")
        assert srt(q(c, f"SELECT id, name, CAST(amount AS VARCHAR), dt FROM {DB}.sc WHERE id > 3")) == [
            (4, 'q"u|o\\te', "3.25", "y"), (5, None, None, "z"), (6, None, "0.10", "z")]
    spark.catalog.refreshTable(f"{DB}.sj")
    assert srt(spark.sql(f"SELECT id, name, ok FROM {DB}.sj").collect()) == [
        (1, "a", True), (2, None, None), (3, "c", False)]
    spark.catalog.refreshTable(f"{DB}.sc")
    rows = spark.sql(f"SELECT id, name, CAST(amount AS string), dt FROM {DB}.sc").collect()
    assert srt(rows) == [
        (1, "a|b", "1.50", "x"), (2, None, None, "y"), (3, "c", "2.00", "y"),
        (4, 'q"u|o\\te', "3.25", "y"), (5, None, None, "z"), (6, None, "0.10", "z")]
    # Spark's own definition is untouched by the gateway
    with connect(gw) as hms:
        assert [(f.name, f.type) for f in hms.get_table(DB, "sj").sd.cols] == [("col", "array<string>")]


def test_gateway_reads_spark_orc_table(gw, spark, events):
    """A Spark ORC table (Hive-compatible metadata, Spark's default snappy ORC files)."""
    spark.sql(f"CREATE TABLE {DB}.so (id int, name string, amount decimal(10,2), day date) USING orc")
    spark.sql(f"INSERT INTO {DB}.so VALUES (1, 'a', 1.50, DATE '2024-01-02'), (2, NULL, NULL, NULL)")
    with pg_connect(gw) as c:
        assert srt(q(c, f"SELECT id, name, CAST(amount AS VARCHAR), CAST(day AS VARCHAR) FROM {DB}.so")) == [
            (1, "a", "1.50", "2024-01-02"), (2, None, None, None)]
        # the gateway appends ORC files (decimals included) that Spark reads
        c.execute(f"INSERT INTO {DB}.so VALUES (3, 'c', 2.25, DATE '2024-01-03'), (4, NULL, -0.01, NULL)")
    spark.catalog.refreshTable(f"{DB}.so")
    rows = spark.sql(f"SELECT id, name, CAST(amount AS STRING), CAST(day AS STRING) FROM {DB}.so").collect()
    assert srt(rows) == [(1, "a", "1.50", "2024-01-02"), (2, None, None, None),
                         (3, "c", "2.25", "2024-01-03"), (4, None, "-0.01", None)]
