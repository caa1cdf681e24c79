"""Process life cycle: SIGTERM drains connections and exits cleanly; the catalog is intact
after a restart, including data written just before the signal."""

from __future__ import annotations

import signal

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import Database

from hms_util import connect, make_partition, make_table

pytestmark = pytest.mark.lakehive_only


def test_sigterm_drains_and_restart_keeps_everything(private_server, tmp_path):
    server = private_server
    with connect(server) as client:
        client.create_database(Database(name="life", description="x", locationUri=str(tmp_path / "life"),
                                        parameters={}))
        table = make_table("life", "t", str(tmp_path / "life" / "t"))
        client.create_table(table)
        client.add_partitions([make_partition(table, [str(y), "01"]) for y in range(2000, 2100)])
        # An idle second connection stays open while the server is told to stop.
        with connect(server) as idle:
            assert "life" in idle.get_all_databases()
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(20) == 0, server.log_tail()
    assert "stopped; catalog closed" in server.log_tail()
    server.restart()
    with connect(server) as client:
        assert client.get_table("life", "t").tableName == "t"
        assert len(client.get_partition_names("life", "t", -1)) == 100
