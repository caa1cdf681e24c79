#!/usr/bin/env python3
"""A logging TCP proxy for Thrift binary protocol: records the method name of every message a
client sends (and whether the server answered with an exception), forwarding bytes unchanged.

    python thrift_sniffer.py --listen 19090 --upstream 127.0.0.1:9083 --log calls.log

Each log line: ``<seconds> conn=<n> <direction> <type> <method> seqid=<id> bytes=<size>``.
Works for unframed and framed strict binary (detected per connection from the first bytes).
Used by the test suite when LAKEHIVE_TEST_SNIFF=<log file> is set.
"""

from __future__ import annotations

import argparse
import itertools
import socket
import struct
import threading
import time
from typing import Optional, Tuple

from thrift.protocol import TBinaryProtocol
from thrift.Thrift import TType
from thrift.transport import TTransport

TYPES = {1: "CALL", 2: "REPLY", 3: "EXCEPTION", 4: "ONEWAY"}


def parse_message(buf: bytes, framed: bool) -> Optional[Tuple[int, str, int, int]]:
    """(size, name, type, seqid) of the first complete message in `buf`, None if incomplete."""
    if framed:
        if len(buf) < 4:
            return None
        n = struct.unpack(">i", buf[:4])[0]
        if len(buf) < 4 + n:
            return None
        body = buf[4:4 + n]
        name, mtype, seqid = TBinaryProtocol.TBinaryProtocol(TTransport.TMemoryBuffer(body)).readMessageBegin()
        return 4 + n, name, mtype, seqid
    mem = TTransport.TMemoryBuffer(buf)
    proto = TBinaryProtocol.TBinaryProtocol(mem)
    try:
        name, mtype, seqid = proto.readMessageBegin()
        proto.skip(TType.STRUCT)
        proto.readMessageEnd()
    except (EOFError, TTransport.TTransportException, struct.error):
        return None
    return mem._buffer.tell(), name, mtype, seqid


class Sniffer:
    def __init__(self, listen_port: int, upstream: Tuple[str, int], log_path: str, listen_host: str = "127.0.0.1"):
        self.upstream = upstream
        self.log_file = open(log_path, "a", buffering=1)
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.start = time.monotonic()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((listen_host, listen_port))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self.host = listen_host
        self.closed = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def log(self, line: str) -> None:
        with self.lock:
            self.log_file.write(f"{time.monotonic() - self.start:10.3f} {line}\n")

    def _accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            conn = next(self.ids)
            try:
                upstream = socket.create_connection(self.upstream, timeout=30)
                upstream.settimeout(None)
            except OSError as e:
                self.log(f"conn={conn} upstream connect failed: {e}")
                client.close()
                continue
            for src, dst, direction in ((client, upstream, "->"), (upstream, client, "<-")):
                threading.Thread(target=self._pump, args=(conn, src, dst, direction), daemon=True).start()

    def _pump(self, conn: int, src: socket.socket, dst: socket.socket, direction: str):
        buf = b""
        framed: Optional[bool] = None
        parse = True
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                if not parse:
                    continue
                buf += data
                while buf:
                    if framed is None:
                        if len(buf) < 6:
                            break
                        framed = not (buf[0] == 0x80 and buf[1] == 0x01)
                    try:
                        msg = parse_message(buf, framed)
                    except Exception as e:  # noqa: BLE001 - not Thrift we understand: stop parsing
                        self.log(f"conn={conn} {direction} unparsable ({e}); forwarding only")
                        parse = False
                        buf = b""
                        break
                    if msg is None:
                        break
                    size, name, mtype, seqid = msg
                    buf = buf[size:]
                    if direction == "->" or mtype == 3:
                        kind = TYPES.get(mtype, str(mtype))
                        self.log(f"conn={conn} {direction} {kind} {name} seqid={seqid} bytes={size}"
                                 + (" framed" if framed else ""))
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.closed = True
        self.server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="host:port")
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    s = Sniffer(args.listen, (host, int(port)), args.log)
    print(f"READY {s.port}", flush=True)
    try:
        s.thread.join()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
