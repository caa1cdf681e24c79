"""PySpark 4.0.1 (its built-in Hive 2.3.10 metastore client) against the metastore."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hms_util import connect, norm_location
from spark_util import hive_spark_session

DB = "spark_it"

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def spark(metastore, tmp_path_factory):
    """One SparkSession for the module (start-up is slow)."""
    pytest.importorskip("pyspark.sql")
    session = hive_spark_session("lakehive-integration", metastore.uri, metastore.warehouse,
                                 tmp_path_factory.mktemp("spark"))
    yield session
    try:
        session.sql(f"DROP DATABASE IF EXISTS {DB} CASCADE")
    finally:
        session.stop()


@pytest.fixture(scope="module")
def spark_db(spark, metastore):
    spark.sql(f"CREATE DATABASE {DB} COMMENT 'lakehive spark test'")
    return DB


def rows(spark, sql):
    return [tuple(r) for r in spark.sql(sql).collect()]


def partitions(spark, table):
    return sorted(r[0] for r in spark.sql(f"SHOW PARTITIONS {table}").collect())


def test_create_database(spark, spark_db, metastore):
    assert spark_db in [r[0] for r in spark.sql("SHOW DATABASES").collect()]
    with connect(metastore) as c:
        db = c.get_database(spark_db)
    assert db.name == spark_db
    assert db.description == "lakehive spark test"
    assert norm_location(db.locationUri) == norm_location(f"{metastore.warehouse}/{spark_db}.db")


@pytest.fixture(scope="module")
def sales(spark, spark_db, metastore):
    """A managed partitioned Parquet table filled by static, mixed and dynamic partition inserts."""
    t = f"{spark_db}.sales"
    spark.sql(f"CREATE TABLE {t} (id INT, name STRING) PARTITIONED BY (year INT, month STRING) STORED AS PARQUET")
    assert "sales" in [r.tableName for r in spark.sql(f"SHOW TABLES IN {spark_db}").collect()]
    with connect(metastore) as c:
        ht = c.get_table(spark_db, "sales")
    assert [(f.name, f.type) for f in ht.sd.cols] == [("id", "int"), ("name", "string")]
    assert [(k.name, k.type) for k in ht.partitionKeys] == [("year", "int"), ("month", "string")]
    assert ht.sd.serdeInfo.serializationLib == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert ht.tableType == "MANAGED_TABLE"

    # static, mixed static/dynamic, fully dynamic, then a dynamic-mode overwrite of one partition
    spark.sql(f"INSERT INTO {t} PARTITION (year=2024, month='01') VALUES (1, 'a'), (2, 'b')")
    spark.sql(f"INSERT INTO {t} PARTITION (year=2024, month) VALUES (3, 'c', '02'), (4, 'd', '03')")
    spark.sql(f"INSERT INTO {t} PARTITION (year, month) VALUES (5, 'e', 2023, '12'), (6, 'f', 2023, '11')")
    spark.sql(f"INSERT OVERWRITE TABLE {t} PARTITION (year, month) VALUES (7, 'g', 2024, '03')")
    return t


def test_partitioned_table_insert_select(spark, spark_db, sales, metastore):
    t = sales
    expected = ["year=2023/month=11", "year=2023/month=12", "year=2024/month=01", "year=2024/month=02",
                "year=2024/month=03"]
    assert partitions(spark, t) == expected
    with connect(metastore) as c:
        assert sorted(c.get_partition_names(spark_db, "sales", -1)) == expected
        p = c.get_partition_by_name(spark_db, "sales", "year=2024/month=02")
    assert p.values == ["2024", "02"]
    assert norm_location(p.sd.location).endswith("/sales/year=2024/month=02")
    assert Path(norm_location(p.sd.location)).is_dir()

    assert rows(spark, f"SELECT id, name, year, month FROM {t} ORDER BY id") == [
        (1, "a", 2024, "01"), (2, "b", 2024, "01"), (3, "c", 2024, "02"), (5, "e", 2023, "12"),
        (6, "f", 2023, "11"), (7, "g", 2024, "03")]
    assert rows(spark, f"SELECT id FROM {t} WHERE year = 2024 AND month >= '02' ORDER BY id") == [(3,), (7,)]
    assert rows(spark, f"SELECT count(*) FROM {t} WHERE year = 2023") == [(2,)]
    assert rows(spark, f"SELECT id FROM {t} WHERE month LIKE '1%' ORDER BY id") == [(5,), (6,)]


def test_partition_pruning(spark, sales, tmp_path):
    t = sales
    plan = "\n".join(r[0] for r in spark.sql(
        f"EXPLAIN SELECT id FROM {t} WHERE year = 2024 AND month = '02'").collect())
    assert "PartitionFilters: [" in plan, plan
    pf = plan.split("PartitionFilters: [", 1)[1].split("]", 1)[0]
    assert "year" in pf and "month" in pf, plan

    # A partition whose only file is not Parquet: a scan that reads it fails, so a filtered query
    # that succeeds proves the partition was pruned.
    bad = tmp_path / "not-parquet"
    bad.mkdir()
    (bad / "part-00000.parquet").write_bytes(b"this is not a parquet file" * 10)
    spark.sql(f"ALTER TABLE {t} ADD PARTITION (year=1999, month='01') LOCATION 'file://{bad}'")
    try:
        assert rows(spark, f"SELECT id FROM {t} WHERE year = 2024 AND month = '02'") == [(3,)]
        assert rows(spark, f"SELECT count(*) FROM {t} WHERE year > 2000") == [(6,)]
        with pytest.raises(Exception) as err:
            spark.sql(f"SELECT sum(id) FROM {t}").collect()
        assert "not-parquet" in str(err.value) or "Parquet" in str(err.value), str(err.value)[:2000]
    finally:
        spark.sql(f"ALTER TABLE {t} DROP IF EXISTS PARTITION (year=1999, month='01')")
    assert "year=1999/month=01" not in partitions(spark, t)


def test_add_drop_partition(spark, spark_db, sales, metastore):
    t = sales
    before = partitions(spark, t)
    spark.sql(f"ALTER TABLE {t} ADD PARTITION (year=2025, month='01') PARTITION (year=2025, month='02')")
    assert partitions(spark, t) == sorted(before + ["year=2025/month=01", "year=2025/month=02"])
    assert rows(spark, f"SELECT count(*) FROM {t} WHERE year = 2025") == [(0,)]
    spark.sql(f"ALTER TABLE {t} ADD IF NOT EXISTS PARTITION (year=2025, month='01')")
    assert len(partitions(spark, t)) == len(before) + 2

    spark.sql(f"ALTER TABLE {t} DROP PARTITION (year=2025, month='01')")
    assert partitions(spark, t) == sorted(before + ["year=2025/month=02"])
    # A partial spec drops every matching partition.
    spark.sql(f"ALTER TABLE {t} DROP PARTITION (year=2025)")
    spark.sql(f"ALTER TABLE {t} DROP PARTITION (year=2023)")
    assert partitions(spark, t) == ["year=2024/month=01", "year=2024/month=02", "year=2024/month=03"]
    assert rows(spark, f"SELECT id FROM {t} ORDER BY id") == [(1,), (2,), (3,), (7,)]
    with connect(metastore) as c:
        assert sorted(c.get_partition_names(spark_db, "sales", -1)) == partitions(spark, t)


def test_external_table_msck_repair(spark, spark_db, tmp_path, metastore):
    data = tmp_path / "ext_data"
    df = spark.createDataFrame([(i, f"n{i}", f"k{i % 3}") for i in range(30)], "id BIGINT, name STRING, k STRING")
    df.write.partitionBy("k").parquet(str(data))
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == ["k=k0", "k=k1", "k=k2"]

    t = f"{spark_db}.ext"
    spark.sql(f"CREATE EXTERNAL TABLE {t} (id BIGINT, name STRING) PARTITIONED BY (k STRING) "
              f"STORED AS PARQUET LOCATION 'file://{data}'")
    assert partitions(spark, t) == []
    assert rows(spark, f"SELECT count(*) FROM {t}") == [(0,)]

    spark.sql(f"MSCK REPAIR TABLE {t}")
    assert partitions(spark, t) == ["k=k0", "k=k1", "k=k2"]
    assert rows(spark, f"SELECT count(*) FROM {t}") == [(30,)]
    assert rows(spark, f"SELECT count(*), min(id), max(id) FROM {t} WHERE k = 'k1'") == [(10, 1, 28)]
    with connect(metastore) as c:
        ht = c.get_table(spark_db, "ext")
        assert ht.tableType == "EXTERNAL_TABLE"
        p = c.get_partition_by_name(spark_db, "ext", "k=k2")
    assert norm_location(p.sd.location) == norm_location(f"{data}/k=k2")

    shutil.rmtree(data / "k=k1")
    spark.sql(f"MSCK REPAIR TABLE {t} SYNC PARTITIONS")
    assert partitions(spark, t) == ["k=k0", "k=k2"]
    assert rows(spark, f"SELECT count(*) FROM {t}") == [(20,)]

    spark.sql(f"DROP TABLE {t}")
    assert "ext" not in [r.tableName for r in spark.sql(f"SHOW TABLES IN {spark_db}").collect()]
    assert (data / "k=k0").is_dir(), "dropping an external table keeps its data"


def test_drop_table(spark, spark_db, metastore):
    spark.sql(f"CREATE TABLE {spark_db}.tmp_t (a INT) STORED AS PARQUET")
    spark.sql(f"INSERT INTO {spark_db}.tmp_t VALUES (1), (2)")
    assert rows(spark, f"SELECT sum(a) FROM {spark_db}.tmp_t") == [(3,)]
    with connect(metastore) as c:
        loc = Path(norm_location(c.get_table(spark_db, "tmp_t").sd.location))
    assert loc.is_dir()
    spark.sql(f"DROP TABLE {spark_db}.tmp_t")
    assert "tmp_t" not in [r.tableName for r in spark.sql(f"SHOW TABLES IN {spark_db}").collect()]
    assert not loc.exists(), "dropping a managed table deletes its directory"


def test_drop_database_cascade(spark, spark_db, sales, metastore):
    from hmsclient.genthrift.hive_metastore.ttypes import NoSuchObjectException

    with connect(metastore) as c:
        db_loc = Path(norm_location(c.get_database(spark_db).locationUri))
    assert rows(spark, f"SELECT count(*) FROM {sales}")[0][0] > 0
    spark.sql(f"DROP DATABASE {spark_db} CASCADE")
    assert spark_db not in [r[0] for r in spark.sql("SHOW DATABASES").collect()]
    with connect(metastore) as c:
        with pytest.raises(NoSuchObjectException):
            c.get_database(spark_db)
    assert not (db_loc / "sales").exists(), "managed table data is deleted with the database"
