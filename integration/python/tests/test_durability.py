"""Durability and atomicity under `kill -9`: every acknowledged add_partitions batch survives a
crash, and a batch is either wholly present or wholly absent after restart."""

from __future__ import annotations

import collections
import random
import threading
import time

import pytest
from hmsclient.genthrift.hive_metastore.ttypes import Database, FieldSchema

from hms_util import close_client, connect, make_partition, make_table, norm_location, open_client

DB = "durability"
TABLE = "parts"
BATCH = 50
WRITERS = 2
KEYS = ["w", "batch", "item"]
PART_KEYS = [FieldSchema(name=k, type="string", comment=None) for k in KEYS]

pytestmark = [pytest.mark.lakehive_only, pytest.mark.timeout(900)]


def batch_values(writer: int, batch: int):
    return [[f"{writer}", f"{batch:06d}", f"{i:03d}"] for i in range(BATCH)]


class Writers:
    """Threads that add partitions in batches and record which batches were acknowledged."""

    def __init__(self, server, table, first_batch: int = 0):
        self.server = server
        self.table = table
        self.first_batch = first_batch
        self.lock = threading.Lock()
        self.acked = set()  # (writer, batch)
        self.attempted = {}  # writer -> batch in flight (or last tried)
        self.errors = collections.defaultdict(list)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self, writer: int):
        try:
            client = open_client(self.server.host, self.server.port, timeout_ms=60_000)
        except Exception as e:  # noqa: BLE001
            self.errors[writer].append(e)
            return
        try:
            b = self.first_batch
            while not self.stop.is_set():
                parts = [make_partition(self.table, v, {"batch": f"{writer}/{b}"}) for v in batch_values(writer, b)]
                with self.lock:
                    self.attempted[writer] = b
                try:
                    n = client.add_partitions(parts)
                except Exception as e:  # noqa: BLE001 - the crash shows up here
                    self.errors[writer].append(e)
                    return
                if n != BATCH:
                    self.errors[writer].append(AssertionError(f"add_partitions returned {n}, not {BATCH}"))
                    return
                with self.lock:
                    self.acked.add((writer, b))
                b += 1
        finally:
            close_client(client)

    def wait_for(self, n: int, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if len(self.acked) >= n:
                    return
            if any(self.errors.values()):
                raise AssertionError(f"a writer failed before the crash: {dict(self.errors)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.acked)} batches acknowledged in {timeout}s")
            time.sleep(0.01)

    def join(self):
        # After a crash every writer ends on its own with a connection error. Setting `stop`
        # first would race with that: a writer between two calls could exit cleanly without
        # ever meeting the dead server. `stop` is only the fallback for a hung writer.
        for t in self.threads:
            t.join(120)
        self.stop.set()
        for t in self.threads:
            t.join(5)
            assert not t.is_alive(), "a writer thread hung after the crash"


def check_consistent(server, table, acked, in_flight):
    """Every acknowledged batch is complete; every present batch is complete and was attempted."""
    with connect(server) as c:
        names = c.get_partition_names(DB, TABLE, -1)
        groups = collections.Counter()
        for name in names:
            kv = dict(part.split("=", 1) for part in name.split("/"))
            groups[(int(kv["w"]), int(kv["batch"]))] += 1
        partial = {g: n for g, n in groups.items() if n != BATCH}
        assert not partial, f"batches only partly present after the crash: {partial}"
        assert len(names) % BATCH == 0
        missing = sorted(set(acked) - set(groups))
        assert not missing, f"acknowledged batches lost by the crash: {missing}"
        unexpected = sorted(set(groups) - set(acked) - in_flight)
        assert not unexpected, f"batches present that were never sent: {unexpected}"

        # every present partition is complete
        parts = c.get_partitions(DB, TABLE, -1)
        assert len(parts) == len(names)
        base = norm_location(table.sd.location)
        for p in parts:
            assert len(p.values) == 3 and all(p.values), p
            assert (p.dbName, p.tableName) == (DB, TABLE)
            name = "/".join(f"{k}={v}" for k, v in zip(KEYS, p.values))
            assert norm_location(p.sd.location) == f"{base}/{name}", p.sd.location
            assert [f.name for f in p.sd.cols] == [f.name for f in table.sd.cols]
            assert p.sd.serdeInfo is not None and p.sd.serdeInfo.serializationLib == table.sd.serdeInfo.serializationLib
            assert p.sd.inputFormat == table.sd.inputFormat
            assert p.parameters.get("batch") == f"{int(p.values[0])}/{int(p.values[1])}"
    return groups


def crash_round(server, table, first_batch: int, min_acked: int, earlier=frozenset()):
    """Write until `min_acked` batches are acknowledged, kill -9, restart, check. `earlier`: batches
    already present before this round."""
    writers = Writers(server, table, first_batch).start()
    writers.wait_for(min_acked, timeout=300)
    time.sleep(random.uniform(0, 0.2))  # land somewhere inside a batch
    server.kill()  # SIGKILL
    writers.join()
    assert all(writers.errors[w] for w in range(WRITERS)), "every writer should see the crash"
    server.restart()
    groups = check_consistent(server, table, writers.acked | set(earlier), set(writers.attempted.items()))
    return writers, groups


def test_acknowledged_partitions_survive_kill_9(private_server):
    server = private_server
    min_acked = 10 if server.kind == "lakehive" else 3
    with connect(server) as c:
        c.create_database(Database(name=DB, description="kill -9 test", parameters={}))
        loc = norm_location(c.get_database(DB).locationUri)
        table = make_table(DB, TABLE, f"file:{loc}/{TABLE}", part_keys=PART_KEYS)
        c.create_table(table)

    w1, groups1 = crash_round(server, table, first_batch=0, min_acked=min_acked)
    assert len(w1.acked) >= min_acked

    # The restarted server accepts writes, and survives a second crash just as well.
    w2, groups2 = crash_round(server, table, first_batch=100_000, min_acked=min_acked, earlier=set(groups1))
    assert set(groups1) <= set(groups2), "batches from the first round disappeared after the second crash"
    in_flight = set(w1.attempted.items()) | set(w2.attempted.items())
    assert check_consistent(server, table, w1.acked | w2.acked, in_flight) == groups2
    with connect(server) as c:
        t = c.get_table(DB, TABLE)
        assert [k.name for k in t.partitionKeys] == KEYS
        assert c.get_database(DB).description == "kill -9 test"


def test_a_held_lock_survives_kill_9(private_server):
    """A lock granted before a crash still excludes after the restart (PyIceberg's commit holds
    one across its metadata write), and its holder can still release it."""
    from hmsclient.genthrift.hive_metastore.ttypes import (
        CheckLockRequest, LockComponent, LockLevel, LockRequest, LockState, LockType, UnlockRequest)

    server = private_server

    def request():
        comp = LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE, dbname="default",
                             tablename="locked")
        return LockRequest(component=[comp], user="test", hostname="localhost")

    with connect(server) as c:
        held = c.lock(request())
        assert held.state == LockState.ACQUIRED
    server.kill()  # SIGKILL
    server.restart()
    with connect(server) as c:
        other = c.lock(request())
        assert other.state == LockState.WAITING
        assert c.check_lock(CheckLockRequest(lockid=held.lockid)).state == LockState.ACQUIRED
        c.unlock(UnlockRequest(lockid=held.lockid))
        assert c.check_lock(CheckLockRequest(lockid=other.lockid)).state == LockState.ACQUIRED
        c.unlock(UnlockRequest(lockid=other.lockid))
