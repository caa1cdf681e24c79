"""PyIceberg 0.10 `HiveCatalog` against the metastore.

Every PyIceberg commit (each append) takes an EXCLUSIVE table lock through `lock`, polls
`check_lock` while WAITING, then `get_table`, `alter_table_with_environment_context` and
`unlock`. The Java HMS reference only supports this when its txn tables exist (the session's Java
metastore is started with them, see java_hms.py --txn).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from hms_util import connect, norm_location, unique

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def catalog(metastore, tmp_path):
    from pyiceberg.catalog import load_catalog

    return load_catalog("hive", type="hive", uri=metastore.uri, warehouse=f"file://{tmp_path}/iceberg")


ARROW_SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("score", pa.float64()),
])


def batch(start: int, n: int) -> pa.Table:
    ids = list(range(start, start + n))
    return pa.Table.from_pydict(
        {"id": ids, "name": [f"n{i}" for i in ids], "score": [i * 1.5 for i in ids]}, schema=ARROW_SCHEMA)


def test_create_append_reload_scan(catalog, metastore):
    from pyiceberg.exceptions import NoSuchTableError

    ns = unique("ice")
    catalog.create_namespace(ns, {"owner": "lakehive-tests"})
    assert (ns,) in catalog.list_namespaces()
    assert catalog.load_namespace_properties(ns).get("owner") == "lakehive-tests"

    ident = f"{ns}.events"
    table = catalog.create_table(ident, schema=ARROW_SCHEMA)
    assert (ns, "events") in catalog.list_tables(ns)
    assert [f.name for f in table.schema().fields] == ["id", "name", "score"]

    # first commit: lock, get_table, alter_table_with_environment_context, unlock
    table.append(batch(0, 100))
    reloaded = catalog.load_table(ident)
    assert reloaded.metadata_location == table.metadata_location
    got = reloaded.scan().to_arrow().sort_by("id")
    assert got.num_rows == 100
    assert got.select(["id", "name", "score"]).equals(batch(0, 100))

    with connect(metastore) as c:
        ht = c.get_table(ns, "events")
    assert ht.parameters["table_type"].upper() == "ICEBERG"
    assert ht.parameters["metadata_location"] == reloaded.metadata_location
    first_location = ht.parameters["metadata_location"]

    # second commit, through a fresh catalog load of the table
    reloaded.append(batch(100, 50))
    again = catalog.load_table(ident)
    assert again.scan().to_arrow().num_rows == 150
    assert len(again.metadata.snapshots) == 2
    ids = sorted(again.scan(row_filter="id >= 90 and id < 110").to_arrow().column("id").to_pylist())
    assert ids == list(range(90, 110))

    with connect(metastore) as c:
        ht2 = c.get_table(ns, "events")
    assert ht2.parameters["metadata_location"] == again.metadata_location != first_location
    assert ht2.parameters["previous_metadata_location"] == first_location
    assert norm_location(ht2.sd.location) == norm_location(again.location())

    # the lock was released: a third commit succeeds straight away
    again.append(batch(150, 1))
    assert catalog.load_table(ident).scan().to_arrow().num_rows == 151

    catalog.drop_table(ident)
    with pytest.raises(NoSuchTableError):
        catalog.load_table(ident)
    catalog.drop_namespace(ns)
    assert (ns,) not in catalog.list_namespaces()
