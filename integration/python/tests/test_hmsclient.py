"""The Python `hmsclient` (generated Hive 2.x ThriftHiveMetastore client) against the metastore,
over unframed (TBufferedTransport) and framed (TFramedTransport) binary protocol."""

from __future__ import annotations

import contextlib
import time

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import (
    AlreadyExistsException,
    ColumnStatistics,
    ColumnStatisticsData,
    ColumnStatisticsDesc,
    ColumnStatisticsObj,
    Database,
    Function,
    FunctionType,
    InvalidOperationException,
    LongColumnStatsData,
    MetaException,
    NoSuchObjectException,
    PrincipalType,
    ResourceType,
    ResourceUri,
    StringColumnStatsData,
    TableStatsRequest,
)

from hms_util import close_client, make_partition, make_table, names_of, norm_location, open_client, unique

YEARS = ["2023", "2024"]
MONTHS = ["01", "02", "03", "11"]
KEYS = ["year", "month"]


@pytest.fixture(params=["unframed", "framed"])
def transport(request):
    return request.param


@pytest.fixture
def server(request, transport):
    """The metastore to talk to for this transport (java needs a framed-mode server for framed)."""
    return request.getfixturevalue("metastore" if transport == "unframed" else "metastore_framed")


@pytest.fixture
def client(server, transport):
    c = open_client(server.host, server.port, framed=(transport == "framed"))
    yield c
    close_client(c)


@pytest.fixture
def db(client, server, transport):
    """A fresh database (dropped with cascade afterwards)."""
    name = unique(f"hmsc_{transport}")
    client.create_database(Database(name=name, description="hmsclient test db", parameters={"team": "lakehive"}))
    yield name
    with contextlib.suppress(Exception):
        client.drop_database(name, True, True)


def _create_partitioned_table(client, db: str, name: str):
    dblocation = norm_location(client.get_database(db).locationUri)
    table = make_table(db, name, f"file:{dblocation}/{name}")
    client.create_table(table)
    return table


def _add_all_partitions(client, table):
    parts = [make_partition(table, [y, m], {"lakehive.part": f"{y}-{m}"}) for y in YEARS for m in MONTHS]
    assert client.add_partitions(parts) == len(parts)
    return parts


def _filter(client, db, tbl, expr):
    return names_of(client.get_partitions_by_filter(db, tbl, expr, -1), KEYS)


# ---------------------------------------------------------------------------------------------
# databases


def test_database_lifecycle(client, server, transport):
    name = unique(f"hmsc_{transport}")
    explicit = unique(f"hmsc_{transport}_loc")
    client.create_database(Database(name=name, description="first", parameters={"k1": "v1", "k2": "v2"}))
    explicit_loc = f"{server.warehouse}/custom/{explicit}.db"
    client.create_database(Database(name=explicit, description="second", locationUri=f"file:{explicit_loc}", parameters={}))
    try:
        got = client.get_database(name)
        assert got.name == name
        assert got.description == "first"
        assert got.parameters == {"k1": "v1", "k2": "v2"}
        # The server chooses <warehouse>/<name>.db when no location is given.
        assert norm_location(got.locationUri).endswith(f"/{name}.db"), got.locationUri
        assert norm_location(client.get_database(explicit).locationUri) == explicit_loc

        all_dbs = client.get_all_databases()
        assert {"default", name, explicit} <= set(all_dbs)

        assert client.get_databases(name) == [name]
        assert set(client.get_databases(f"hmsc_{transport}_*")) >= {name, explicit}
        assert client.get_databases(f"{name}|{explicit}|default") == sorted([name, explicit, "default"])
        assert client.get_databases(name.upper()) == [name], "patterns are case-insensitive"
        assert client.get_databases("no_such_db_prefix_*") == []
    finally:
        client.drop_database(name, True, False)
        client.drop_database(explicit, True, False)
    with pytest.raises(NoSuchObjectException):
        client.get_database(name)
    assert name not in client.get_all_databases()


def test_database_errors(client, server, db):
    with pytest.raises(NoSuchObjectException):
        client.get_database(unique("no_such_db"))
    with pytest.raises(AlreadyExistsException):
        client.create_database(Database(name=db, description="again", parameters={}))
    # A non-empty database cannot be dropped without cascade.
    _create_partitioned_table(client, db, "t")
    with pytest.raises(InvalidOperationException):
        client.drop_database(db, True, False)
    assert client.get_table(db, "t").tableName == "t"
    with pytest.raises(NoSuchObjectException):
        client.get_table(db, "no_such_table")
    # Hive 2.3 hits a NullPointerException here (reported as MetaException); Lakehive must say
    # NoSuchObjectException, as the IDL intends.
    missing_db_error = NoSuchObjectException if server.kind == "lakehive" else (NoSuchObjectException, MetaException)
    with pytest.raises(missing_db_error):
        client.drop_database(unique("no_such_db"), True, False)


# ---------------------------------------------------------------------------------------------
# tables and partitions


def test_partitioned_table_lifecycle(client, db):
    table = _create_partitioned_table(client, db, "events")

    got = client.get_table(db, "events")
    assert (got.dbName, got.tableName, got.owner, got.tableType) == (db, "events", "lakehive-tests", "EXTERNAL_TABLE")
    assert [(c.name, c.type, c.comment) for c in got.sd.cols] == [(c.name, c.type, c.comment) for c in table.sd.cols]
    assert [(k.name, k.type) for k in got.partitionKeys] == [("year", "string"), ("month", "string")]
    assert norm_location(got.sd.location) == norm_location(table.sd.location)
    assert got.sd.inputFormat == table.sd.inputFormat
    assert got.sd.outputFormat == table.sd.outputFormat
    assert got.sd.serdeInfo.serializationLib == table.sd.serdeInfo.serializationLib
    assert got.sd.serdeInfo.parameters == {"serialization.format": "1"}
    for k, v in table.parameters.items():
        assert got.parameters.get(k) == v, k
    assert got.createTime > 0, "the server sets createTime"
    assert "events" in client.get_all_tables(db)
    assert client.get_tables(db, "ev*") == ["events"]
    assert client.get_tables(db, "nomatch*") == []

    parts = _add_all_partitions(client, table)
    expected = sorted(f"year={y}/month={m}" for y in YEARS for m in MONTHS)
    assert sorted(client.get_partition_names(db, "events", -1)) == expected
    assert len(client.get_partitions(db, "events", -1)) == len(parts)

    # Filters (Hive's partition filter grammar; LIKE is a full-match Java regex).
    assert _filter(client, db, "events", 'year = "2024" and month >= "02"') == [
        "year=2024/month=02", "year=2024/month=03", "year=2024/month=11"]
    assert _filter(client, db, "events", 'month like "1.*"') == ["year=2023/month=11", "year=2024/month=11"]
    assert _filter(client, db, "events", 'year = "2023" and month like "0.*"') == [
        "year=2023/month=01", "year=2023/month=02", "year=2023/month=03"]
    assert _filter(client, db, "events", '(year = "2023" and month < "02") or month = "11"') == [
        "year=2023/month=01", "year=2023/month=11", "year=2024/month=11"]
    assert _filter(client, db, "events", "year <> '2023' and month = '03'") == ["year=2024/month=03"]
    assert _filter(client, db, "events", 'year = "1999"') == []

    p = client.get_partition_by_name(db, "events", "year=2024/month=02")
    assert p.values == ["2024", "02"]
    assert (p.dbName, p.tableName) == (db, "events")
    assert norm_location(p.sd.location) == norm_location(table.sd.location) + "/year=2024/month=02"
    assert p.sd.serdeInfo.serializationLib == table.sd.serdeInfo.serializationLib
    assert [c.name for c in p.sd.cols] == ["id", "name", "amount"]
    assert p.parameters.get("lakehive.part") == "2024-02"
    assert client.get_partition(db, "events", ["2023", "11"]).values == ["2023", "11"]
    with pytest.raises(NoSuchObjectException):
        client.get_partition_by_name(db, "events", "year=1999/month=01")

    # Adding an existing partition again fails (no ifNotExists in add_partitions).
    with pytest.raises(AlreadyExistsException):
        client.add_partitions([make_partition(table, ["2024", "02"])])

    assert client.drop_partition(db, "events", ["2024", "03"], False) is True
    names = client.get_partition_names(db, "events", -1)
    assert "year=2024/month=03" not in names and len(names) == len(expected) - 1
    with pytest.raises(NoSuchObjectException):
        client.get_partition_by_name(db, "events", "year=2024/month=03")
    with pytest.raises(NoSuchObjectException):
        client.drop_partition(db, "events", ["2024", "03"], False)

    # alter_table: change a parameter; partitions are untouched.
    t = client.get_table(db, "events")
    t.parameters["lakehive.test"] = "v2"
    t.parameters["added"] = "yes"
    client.alter_table(db, "events", t)
    t2 = client.get_table(db, "events")
    assert t2.parameters["lakehive.test"] == "v2" and t2.parameters["added"] == "yes"
    assert [c.name for c in t2.sd.cols] == ["id", "name", "amount"]
    assert len(client.get_partition_names(db, "events", -1)) == len(expected) - 1

    fields = [(f.name, f.type) for f in client.get_fields(db, "events")]
    assert fields == [("id", "bigint"), ("name", "string"), ("amount", "double")]
    schema = [(f.name, f.type) for f in client.get_schema(db, "events")]
    assert schema == fields + [("year", "string"), ("month", "string")]

    client.drop_table(db, "events", False)
    with pytest.raises(NoSuchObjectException):
        client.get_table(db, "events")
    assert "events" not in client.get_all_tables(db)
    client.drop_database(db, True, False)
    with pytest.raises(NoSuchObjectException):
        client.get_database(db)


def test_partition_filter_errors(client, db):
    table = _create_partitioned_table(client, db, "f")
    _add_all_partitions(client, table)
    for bad in ['year = = "2024"', 'year = "2024" and', '(year = "2024"', 'year ~ "2024"']:
        with pytest.raises(MetaException):
            client.get_partitions_by_filter(db, "f", bad, -1)
    with pytest.raises(MetaException) as err:
        client.get_partitions_by_filter(db, "f", 'name = "x"', -1)
    assert "is not a partitioning key" in err.value.message
    # The connection is still usable after the errors.
    assert len(client.get_partition_names(db, "f", -1)) == len(YEARS) * len(MONTHS)


# ---------------------------------------------------------------------------------------------
# statistics, functions, config, ugi


def test_table_column_statistics(client, db):
    _create_partitioned_table(client, db, "s")
    desc = ColumnStatisticsDesc(isTblLevel=True, dbName=db, tableName="s", lastAnalyzed=int(time.time()))
    stats = ColumnStatistics(
        statsDesc=desc,
        statsObj=[
            ColumnStatisticsObj(colName="id", colType="bigint", statsData=ColumnStatisticsData(
                longStats=LongColumnStatsData(lowValue=1, highValue=1000, numNulls=3, numDVs=900))),
            ColumnStatisticsObj(colName="name", colType="string", statsData=ColumnStatisticsData(
                stringStats=StringColumnStatsData(maxColLen=20, avgColLen=7.5, numNulls=0, numDVs=100))),
        ],
    )
    assert client.update_table_column_statistics(stats) is True

    got = client.get_table_column_statistics(db, "s", "id")
    assert got.statsDesc.isTblLevel is True
    assert (got.statsDesc.dbName, got.statsDesc.tableName) == (db, "s")
    assert len(got.statsObj) == 1
    obj = got.statsObj[0]
    assert (obj.colName, obj.colType) == ("id", "bigint")
    ls = obj.statsData.longStats
    assert (ls.lowValue, ls.highValue, ls.numNulls, ls.numDVs) == (1, 1000, 3, 900)

    res = client.get_table_statistics_req(TableStatsRequest(dbName=db, tblName="s", colNames=["id", "name"]))
    by_col = {o.colName: o for o in res.tableStats}
    assert set(by_col) == {"id", "name"}
    ss = by_col["name"].statsData.stringStats
    assert (ss.maxColLen, ss.avgColLen, ss.numNulls, ss.numDVs) == (20, 7.5, 0, 100)


def test_functions(client, db):
    func = Function(
        functionName="lh_upper",
        dbName=db,
        className="com.example.hive.udf.Upper",
        ownerName="lakehive-tests",
        ownerType=PrincipalType.USER,
        createTime=int(time.time()),
        functionType=FunctionType.JAVA,
        resourceUris=[ResourceUri(resourceType=ResourceType.JAR, uri="file:///tmp/lakehive-udfs.jar")],
    )
    client.create_function(func)
    with pytest.raises(AlreadyExistsException):
        client.create_function(func)

    got = client.get_function(db, "lh_upper")
    assert (got.functionName, got.dbName, got.className) == ("lh_upper", db, "com.example.hive.udf.Upper")
    assert got.functionType == FunctionType.JAVA
    assert got.ownerName == "lakehive-tests" and got.ownerType == PrincipalType.USER
    assert [(r.resourceType, r.uri) for r in got.resourceUris] == [(ResourceType.JAR, "file:///tmp/lakehive-udfs.jar")]

    assert client.get_functions(db, "lh_*") == ["lh_upper"]
    assert client.get_functions(db, "zz*") == []
    all_funcs = client.get_all_functions().functions or []
    assert any(f.dbName == db and f.functionName == "lh_upper" for f in all_funcs)

    client.drop_function(db, "lh_upper")
    with pytest.raises(NoSuchObjectException):
        client.get_function(db, "lh_upper")
    assert client.get_functions(db, "lh_*") == []
    with pytest.raises(NoSuchObjectException):
        client.drop_function(db, "lh_upper")


def test_get_config_value_default(client):
    # Hive 2.3 only lets hive.*, hdfs.* and mapred.* keys through; an unknown one yields the default.
    assert client.get_config_value("hive.lakehive.test.no.such.key", "fallback-value") == "fallback-value"


def test_set_ugi(client):
    groups = client.set_ugi("lakehive-tester", ["grp1", "grp2"])
    assert {"grp1", "grp2"} <= set(groups)
    # The connection keeps working after set_ugi.
    assert "default" in client.get_all_databases()
