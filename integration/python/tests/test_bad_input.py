"""Hostile and malformed input on a private server: the server must reject it without dying or
allocating what a length field claims, keep serving other clients, and lose no data."""

from __future__ import annotations

import socket
import struct

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import Database, MetaException
from thrift.protocol import TBinaryProtocol
from thrift.Thrift import TApplicationException, TMessageType
from thrift.transport import TSocket, TTransport

from hms_util import (
    T_EXCEPTION,
    TTYPE_STRING,
    TTYPE_STRUCT,
    call,
    connect,
    field_header,
    framed,
    make_partition,
    make_table,
    message_header,
    norm_location,
    recv_until_closed,
    string_field,
)
from metastore_servers import rss_bytes

SEED_DB = "bad_input_seed"
SEED_VALUES = [["2024", "01"], ["2024", "02"], ["2025", "01"]]
REPLY_TIMEOUT = 30.0
MAX_RSS_GROWTH = 512 * 1024 * 1024

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(module_server_factory):
    """A private server, so the abuse below cannot disturb the session's metastore."""
    return module_server_factory.start("bad-input")


@pytest.fixture(scope="module")
def seed(server):
    """Data created before the abuse; the last test checks it is intact."""
    with connect(server) as c:
        c.create_database(Database(name=SEED_DB, description="must survive", parameters={"k": "v"}))
        loc = norm_location(c.get_database(SEED_DB).locationUri)
        table = make_table(SEED_DB, "t", f"file:{loc}/t")
        c.create_table(table)
        assert c.add_partitions([make_partition(table, v) for v in SEED_VALUES]) == len(SEED_VALUES)
    return table


def assert_serving(server):
    assert server.alive(), f"the server died:\n{server.log_tail()}"
    with connect(server, timeout_ms=30_000) as c:
        assert SEED_DB in c.get_all_databases()


def raw_connection(server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=REPLY_TIMEOUT)


def read_error_or_close(sock: socket.socket, is_framed: bool = False) -> str:
    """Wait for the server's verdict: "closed" (EOF/reset) or "exception" (a TApplicationException
    message). Anything else (a normal reply, or no verdict within the timeout) fails."""
    sock.settimeout(REPLY_TIMEOUT)
    data = b""
    need = 8 if is_framed else 4
    while len(data) < need:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return "closed"
        except socket.timeout:
            pytest.fail(f"the server neither answered nor closed within {REPLY_TIMEOUT}s (got {data!r})")
        if not chunk:
            return "closed"
        data += chunk
    header = data[4:8] if is_framed else data[:4]
    version = struct.unpack(">I", header)[0]
    assert version & 0xFFFF0000 == 0x80010000, f"not a strict binary reply: {data[:64]!r}"
    assert version & 0xFF == T_EXCEPTION, f"expected an exception message, got type {version & 0xFF}: {data[:64]!r}"
    return "exception"


def send_all_tolerant(sock: socket.socket, payload: bytes) -> None:
    """Send, tolerating the server closing the connection early (that is an allowed verdict)."""
    try:
        sock.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.mark.parametrize(
    "payload",
    [
        b"GET / HTTP/1.1\r\nHost: metastore\r\n\r\n",
        b"\xde\xad\xbe\xef" * 64,
        b"\xff" * 1024,
    ],
    ids=["http", "deadbeef", "ff"],
)
def test_garbage_bytes_close_connection(server, seed, payload):
    with raw_connection(server) as s:
        send_all_tolerant(s, payload)
        # The connection must be closed by the server (we do not half-close our side); an error
        # message before that is fine.
        try:
            recv_until_closed(s, REPLY_TIMEOUT)
        except socket.timeout:
            pytest.fail("the server kept a connection open after receiving garbage")
    assert_serving(server)


def test_huge_string_length_is_rejected_without_allocating(server, seed):
    rss_before = rss_bytes(server.pid)
    msg = message_header("get_database", seqid=1) + field_header(TTYPE_STRING, 1) + struct.pack(">i", 0x7FFFFFF0)
    with raw_connection(server) as s:
        send_all_tolerant(s, msg + b"x" * 4096)
        verdict = read_error_or_close(s)
    assert verdict in ("closed", "exception")
    assert_serving(server)
    growth = rss_bytes(server.pid) - rss_before
    assert growth < MAX_RSS_GROWTH, f"server RSS grew by {growth / 2**20:.0f} MiB after a 2 GB length claim"


def test_huge_frame_length_is_rejected(server, seed):
    rss_before = rss_bytes(server.pid)
    payload = call("get_all_databases", seqid=1)
    with raw_connection(server) as s:
        send_all_tolerant(s, struct.pack(">I", 0x7FFFFFFF) + payload)
        verdict = read_error_or_close(s, is_framed=True)
    assert verdict in ("closed", "exception")
    assert_serving(server)
    growth = rss_bytes(server.pid) - rss_before
    assert growth < MAX_RSS_GROWTH, f"server RSS grew by {growth / 2**20:.0f} MiB after a 2 GB frame claim"


def test_truncated_message_then_disconnect(server, seed):
    msg = message_header("get_database", seqid=1) + field_header(TTYPE_STRING, 1) + struct.pack(">i", 100) + b"abc"
    with raw_connection(server) as s:
        s.sendall(msg)
    assert_serving(server)


@pytest.fixture(params=["unframed", "framed"])
def unknown_method_target(request, server):
    """Framed needs a framed-mode server on Java (Hive 2.3 does not detect framing)."""
    if request.param == "framed" and server.kind == "java":
        return request.getfixturevalue("metastore_framed"), True
    return server, request.param == "framed"


def test_unknown_method_keeps_connection(unknown_method_target, seed):
    target, is_framed = unknown_method_target
    sock = TSocket.TSocket(target.host, target.port)
    sock.setTimeout(int(REPLY_TIMEOUT * 1000))
    trans = TTransport.TFramedTransport(sock) if is_framed else TTransport.TBufferedTransport(sock)
    proto = TBinaryProtocol.TBinaryProtocol(trans)
    trans.open()
    try:
        # Arguments the server has to skip: a string and a nested struct.
        args = string_field(1, "abc") + field_header(TTYPE_STRUCT, 2) + string_field(1, "nested") + b"\x00"
        trans.write(call("no_such_method", args, seqid=7))
        trans.flush()
        name, mtype, seqid = proto.readMessageBegin()
        assert (name, mtype, seqid) == ("no_such_method", TMessageType.EXCEPTION, 7)
        exc = TApplicationException()
        exc.read(proto)
        proto.readMessageEnd()
        assert exc.type == TApplicationException.UNKNOWN_METHOD, exc
        # The same connection still works.
        client = ThriftHiveMetastore.Client(proto)
        assert "default" in client.get_all_databases()
        assert client.get_database("default").name == "default"
    finally:
        trans.close()
    assert target.alive()


def test_oneway_fb303_shutdown_is_harmless(server, seed):
    """Hive's Java client sends the one-way fb303 `shutdown` when it closes; the server must not
    reply to it (one-way) nor stop."""
    with connect(server) as c:
        c.shutdown()
        assert SEED_DB in c.get_all_databases(), "a reply to the one-way call desynchronised the connection"
    assert_serving(server)


def test_invalid_filter_is_meta_exception(server, seed):
    with connect(server) as c:
        with pytest.raises(MetaException):
            c.get_partitions_by_filter(SEED_DB, "t", 'year = = "2024"', -1)
        with pytest.raises(MetaException):
            c.get_partitions_by_filter(SEED_DB, "t", 'year = "2024" and (', -1)
        assert sorted(c.get_partition_names(SEED_DB, "t", -1)) == [
            "year=2024/month=01", "year=2024/month=02", "year=2025/month=01"]


def test_seed_data_intact(server, seed):
    """Runs last in this module: everything created before the abuse is still there."""
    assert server.alive()
    with connect(server) as c:
        db = c.get_database(SEED_DB)
        assert (db.description, db.parameters) == ("must survive", {"k": "v"})
        t = c.get_table(SEED_DB, "t")
        assert [f.name for f in t.sd.cols] == [f.name for f in seed.sd.cols]
        parts = c.get_partitions(SEED_DB, "t", -1)
        assert sorted(p.values for p in parts) == sorted(SEED_VALUES)
        for p in parts:
            assert norm_location(p.sd.location).endswith(f"/t/year={p.values[0]}/month={p.values[1]}")


def test_framed_helper_roundtrip():
    """Sanity check of the hand-made bytes used above (no server involved)."""
    assert message_header("x", 5) == b"\x80\x01\x00\x01" + b"\x00\x00\x00\x01x" + b"\x00\x00\x00\x05"
    assert framed(b"abc") == b"\x00\x00\x00\x03abc"
