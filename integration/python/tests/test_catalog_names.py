"""Hive 3/4 clients prefix database names and patterns with `@<catalog>#` (and send `@hive#!`
for a null name); the metastore strips it everywhere. Hive 2.3 does not, so lakehive only."""

from __future__ import annotations

import contextlib

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import Database, GetTableRequest, GetTablesRequest

from hms_util import close_client, make_partition, make_table, open_client, unique

pytestmark = pytest.mark.lakehive_only


@pytest.fixture
def client(metastore):
    c = open_client(metastore.host, metastore.port)
    yield c
    close_client(c)


def test_catalog_prefixed_names_and_patterns(client, tmp_path):
    db = unique("catnames")
    client.create_database(Database(name=db, description="d", parameters={}))
    try:
        table = make_table(f"@hive#{db}", "t", f"file:{tmp_path}/t")
        client.create_table(table)
        assert client.get_database(f"@hive#{db}").name == db
        assert {db, "default"} <= set(client.get_databases("@hive#"))
        assert client.get_databases(f"@hive#{db}") == [db]
        assert {db, "default"} <= set(client.get_databases("@hive#!"))
        got = client.get_table_req(GetTableRequest(dbName=f"@hive#{db}", tblName="t")).table
        assert (got.dbName, got.tableName) == (db, "t")
        many = client.get_table_objects_by_name_req(GetTablesRequest(dbName=f"@hive#{db}", tblNames=["t", "nope"]))
        assert [t.tableName for t in many.tables] == ["t"]
        table.dbName = db
        client.add_partitions([make_partition(table, ["2024", m]) for m in ("01", "02")])
        parts = client.get_partitions_by_filter(f"@hive#{db}", "t", 'month = "02"', -1)
        assert [p.values for p in parts] == [["2024", "02"]]
    finally:
        with contextlib.suppress(Exception):
            client.drop_database(db, True, True)
