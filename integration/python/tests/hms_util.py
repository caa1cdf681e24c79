"""Thrift client helpers shared by the tests (hmsclient's generated Hive 2.x client)."""

from __future__ import annotations

import contextlib
import socket
import struct
import uuid
from typing import Dict, Iterator, List, Optional, Sequence

from hmsclient import hmsclient
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    FieldSchema,
    Partition,
    SerDeInfo,
    StorageDescriptor,
    Table,
)
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

SOCKET_TIMEOUT_MS = 60_000


def unique(prefix: str) -> str:
    """A fresh lower-case identifier (Hive lower-cases names)."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def open_client(host: str, port: int, framed: bool = False, timeout_ms: int = SOCKET_TIMEOUT_MS):
    """An opened ThriftHiveMetastore client.

    Unframed: hmsclient's own HMSClient (TBufferedTransport over TSocket, TBinaryProtocol).
    Framed: hmsclient's generated ThriftHiveMetastore.Client over TFramedTransport(TSocket).
    """
    if framed:
        sock = TSocket.TSocket(host, port)
        sock.setTimeout(timeout_ms)
        trans = TTransport.TFramedTransport(sock)
        client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(trans))
        trans.open()
        client._lakehive_transport = trans
        return client
    client = hmsclient.HMSClient(host=host, port=port)
    # HMSClient builds TBufferedTransport(TSocket): set a timeout on the socket so a hung server
    # fails the test instead of blocking it.
    client._oprot.trans._TBufferedTransport__trans.setTimeout(timeout_ms)
    client.open()
    client._lakehive_transport = client._oprot.trans
    return client


def close_client(client) -> None:
    with contextlib.suppress(Exception):
        client._lakehive_transport.close()


@contextlib.contextmanager
def connect(server, framed: bool = False, timeout_ms: int = SOCKET_TIMEOUT_MS) -> Iterator:
    client = open_client(server.host, server.port, framed=framed, timeout_ms=timeout_ms)
    try:
        yield client
    finally:
        close_client(client)


def parquet_sd(location: str, cols: Sequence[FieldSchema]) -> StorageDescriptor:
    return StorageDescriptor(
        cols=list(cols),
        location=location,
        inputFormat=PARQUET_INPUT,
        outputFormat=PARQUET_OUTPUT,
        compressed=False,
        numBuckets=-1,
        serdeInfo=SerDeInfo(name=None, serializationLib=PARQUET_SERDE,
                            parameters={"serialization.format": "1"}),
        bucketCols=[],
        sortCols=[],
        parameters={},
        storedAsSubDirectories=False,
    )


DEFAULT_COLS = [
    FieldSchema(name="id", type="bigint", comment="row id"),
    FieldSchema(name="name", type="string", comment=None),
    FieldSchema(name="amount", type="double", comment="money"),
]
DEFAULT_PART_KEYS = [FieldSchema(name="year", type="string", comment=None),
                     FieldSchema(name="month", type="string", comment=None)]


def make_table(db: str, name: str, location: str, cols=DEFAULT_COLS, part_keys=DEFAULT_PART_KEYS,
               params: Optional[Dict[str, str]] = None, table_type: str = "EXTERNAL_TABLE") -> Table:
    parameters = {"lakehive.test": "v1", "comment": "integration test table"}
    if table_type == "EXTERNAL_TABLE":
        parameters["EXTERNAL"] = "TRUE"
    parameters.update(params or {})
    return Table(
        tableName=name,
        dbName=db,
        owner="lakehive-tests",
        createTime=0,
        lastAccessTime=0,
        retention=0,
        sd=parquet_sd(location, cols),
        partitionKeys=list(part_keys),
        parameters=parameters,
        tableType=table_type,
    )


def part_name(keys: Sequence[str], values: Sequence[str]) -> str:
    return "/".join(f"{k}={v}" for k, v in zip(keys, values))


def make_partition(table: Table, values: Sequence[str], params: Optional[Dict[str, str]] = None) -> Partition:
    keys = [k.name for k in table.partitionKeys]
    sd = parquet_sd(f"{table.sd.location}/{part_name(keys, values)}", table.sd.cols)
    return Partition(values=list(values), dbName=table.dbName, tableName=table.tableName,
                     createTime=0, lastAccessTime=0, sd=sd, parameters=dict(params or {}))


def norm_location(loc: Optional[str]) -> str:
    """file:/x, file:///x and /x compare equal."""
    if loc is None:
        return ""
    for prefix in ("file://", "file:"):
        if loc.startswith(prefix):
            loc = loc[len(prefix):]
            break
    while loc.startswith("//"):
        loc = loc[1:]
    return loc.rstrip("/")


# ---------------------------------------------------------------------------------------------
# Hand-crafted Thrift binary protocol bytes (for the bad-input tests)

VERSION_1 = 0x80010000
T_CALL, T_REPLY, T_EXCEPTION, T_ONEWAY = 1, 2, 3, 4
TTYPE_STOP, TTYPE_STRING, TTYPE_STRUCT = 0, 11, 12


def message_header(name: str, seqid: int = 1, mtype: int = T_CALL) -> bytes:
    raw = name.encode()
    return struct.pack(">I", VERSION_1 | mtype) + struct.pack(">i", len(raw)) + raw + struct.pack(">i", seqid)


def field_header(ttype: int, fid: int) -> bytes:
    return struct.pack(">bh", ttype, fid)


def string_field(fid: int, value: str) -> bytes:
    raw = value.encode()
    return field_header(TTYPE_STRING, fid) + struct.pack(">i", len(raw)) + raw


def call(name: str, args: bytes = b"", seqid: int = 1) -> bytes:
    """A complete unframed CALL message: header + args struct + STOP."""
    return message_header(name, seqid) + args + bytes([TTYPE_STOP])


def framed(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def recv_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Read until the peer closes (EOF or reset). Raises socket.timeout if it stays open."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data
        if not chunk:
            return data
        data += chunk


def names_of(partitions: List[Partition], keys: Sequence[str]) -> List[str]:
    return sorted(part_name(keys, p.values) for p in partitions)
