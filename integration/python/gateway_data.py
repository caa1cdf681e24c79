"""Fixture files for the SQL-gateway tests, written with pyarrow into one directory.

`write_fixture_files(root)` lays out (relative to `root`, which the .slt files call `__DATA__`):

    people_csv/people.csv            CSV with a header line (skip.header.line.count=1)
    people_gz/people.csv.gz          the same, gzip-compressed
    people_pipe/people.txt           '|'-delimited, no header
    people_ctrl_a/people.txt         Hive's default delimiter \\x01, no header
    people_quoted/people.csv         OpenCSVSerde: quoted fields with commas inside
    blanks/blanks.txt                '|'-delimited with empty fields and Hive's \\N for NULL
    blanks_quoted/blanks.csv         OpenCSVSerde with empty fields, quoted and not
    events/part-0.json, part-1.json  newline-delimited JSON (one record lacks "value")
    orders/part-0.parquet, part-1    typed Parquet (ORDERS), plus _SUCCESS and a .crc to skip
    customers/customers.parquet      Parquet (CUSTOMERS)
    orders_orc/part-0.orc            ORC (a subset of ORDERS' columns)
    orders_orc_days/day=D/part-0.orc  ORC partitioned by day (id, customer, price in the files)
    sales/year=Y/month=M/part-0.parquet   Hive-partitioned Parquet (SALES), plus writer
                                     markers, hidden files and a non-partition folder to skip
    elsewhere/sales_2025_01/part-0.parquet  a partition kept outside the table folder
    corrupt/part-0.parquet           not Parquet at all (only readable if never touched)

Every data set is also available as Python rows (the constants below) for tests that compare.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Tuple

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq

# (id, name, city, age, score)
PEOPLE: List[Tuple[int, str, str, int, float]] = [
    (1, "Ada", "London", 36, 91.5),
    (2, "Grace", "Arlington", 45, 88.25),
    (3, "Linus", "Helsinki", 28, 79.0),
    (4, "Barbara", "Boston", 52, 95.75),
    (5, "Dennis", "Berkeley", 41, 70.5),
]
PEOPLE_DDL_COLUMNS = "id int, name string, city string, age int, score double"

# OpenCSVSerde input: (id, name, city) with commas and quotes inside fields.
PEOPLE_QUOTED: List[Tuple[int, str, str]] = [
    (1, "Ada", "London, UK"),
    (2, "Grace", "Arlington, VA"),
    (3, "Linus", "Helsinki"),
]

# (id, kind, value, ok); value None = the key is missing from the JSON record.
EVENTS: List[Tuple[int, str, object, bool]] = [
    (1, "click", 1.5, True),
    (2, "view", 0.25, False),
    (3, "click", None, True),
    (4, "buy", 20.0, True),
    (5, "view", 3.0, False),
]
EVENTS_DDL_COLUMNS = "id bigint, kind string, value double, ok boolean"

# (id, customer, amount, price, qty, day, ts, paid)
ORDERS: List[tuple] = [
    (1, "alice", Decimal("12.50"), 2.5, 5, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 10, 0, 0), True),
    (2, "bob", Decimal("7.25"), 7.25, 1, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 11, 30, 0), False),
    (3, "alice", Decimal("30.00"), 10.0, 3, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 9, 15, 0), True),
    (4, "carol", Decimal("3.99"), 1.33, 3, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 18, 45, 30), True),
    (5, "dave", Decimal("100.00"), 50.0, 2, dt.date(2024, 1, 3), dt.datetime(2024, 1, 3, 0, 0, 0), False),
    (6, None, Decimal("1.00"), 1.0, 1, dt.date(2024, 1, 3), dt.datetime(2024, 1, 3, 23, 59, 59), None),
]
ORDERS_DDL_COLUMNS = ("id int, customer string, amount decimal(10,2), price double, qty bigint, "
                      "day date, ts timestamp, paid boolean")
ORDERS_SCHEMA = pa.schema([
    ("id", pa.int32()), ("customer", pa.string()), ("amount", pa.decimal128(10, 2)), ("price", pa.float64()),
    ("qty", pa.int64()), ("day", pa.date32()), ("ts", pa.timestamp("us")), ("paid", pa.bool_()),
])

# (customer, country, tier)
CUSTOMERS: List[Tuple[str, str, int]] = [
    ("alice", "UK", 1), ("bob", "US", 2), ("carol", "DE", 1), ("erin", "FR", 3),
]
CUSTOMERS_DDL_COLUMNS = "customer string, country string, tier int"

# Hive-partitioned by (year int, month string): {(year, month): [(item, qty, price)]}
SALES: Dict[Tuple[int, str], List[Tuple[str, int, float]]] = {
    (2023, "12"): [("widget", 1, 9.5), ("gadget", 2, 20.0)],
    (2024, "01"): [("widget", 3, 9.5), ("gizmo", 1, 5.0), ("gadget", 1, 20.0)],
    (2024, "02"): [("gizmo", 4, 5.0)],
}
SALES_ELSEWHERE = [("doohickey", 7, 1.25)]  # partition (2025, '01') at elsewhere/sales_2025_01
SALES_DDL_COLUMNS = "item string, qty int, price double"
SALES_SCHEMA = pa.schema([("item", pa.string()), ("qty", pa.int32()), ("price", pa.float64())])


def _people_lines(sep: str) -> List[str]:
    return [sep.join(str(v) for v in row) for row in PEOPLE]


def _sales_table(rows) -> pa.Table:
    return pa.table({"item": [r[0] for r in rows], "qty": [r[1] for r in rows], "price": [r[2] for r in rows]},
                    schema=SALES_SCHEMA)


def orders_table(rows=None) -> pa.Table:
    rows = ORDERS if rows is None else rows
    return pa.table({name: [r[i] for r in rows] for i, name in enumerate(ORDERS_SCHEMA.names)}, schema=ORDERS_SCHEMA)


def write_fixture_files(root) -> Path:
    """Writes every fixture data set under `root` (created if missing); returns it as a Path."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)

    def put(rel: str, data) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        path.write_bytes(data)
        return path

    header = "id,name,city,age,score"
    put("people_csv/people.csv", "\n".join([header, *_people_lines(",")]) + "\n")
    put("people_gz/people.csv.gz", gzip.compress(("\n".join([header, *_people_lines(",")]) + "\n").encode()))
    put("people_pipe/people.txt", "\n".join(_people_lines("|")) + "\n")
    put("people_ctrl_a/people.txt", "\n".join(_people_lines("\x01")) + "\n")
    quoted = ['"id","name","city"'] + [f'"{i}","{n}","{c}"' for i, n, c in PEOPLE_QUOTED]
    put("people_quoted/people.csv", "\n".join(quoted) + "\n")
    put("blanks/blanks.txt", "1|Ada|36|\\N\n2||\\N|\n3|\\N||x\n")
    put("blanks_quoted/blanks.csv", '1,,x\n"2","",""\n')

    def event_json(e) -> str:
        rec = {"id": e[0], "kind": e[1]}
        if e[2] is not None:
            rec["value"] = e[2]
        rec["ok"] = e[3]
        return json.dumps(rec)

    put("events/part-0.json", "\n".join(event_json(e) for e in EVENTS[:3]) + "\n")
    put("events/part-1.json", "\n".join(event_json(e) for e in EVENTS[3:]) + "\n")

    (root / "orders").mkdir(exist_ok=True)
    pq.write_table(orders_table(ORDERS[:3]), root / "orders" / "part-0.parquet")
    pq.write_table(orders_table(ORDERS[3:]), root / "orders" / "part-1.parquet")
    put("orders/_SUCCESS", b"")
    put("orders/.part-0.parquet.crc", b"this is not parquet")

    (root / "customers").mkdir(exist_ok=True)
    pq.write_table(pa.table({"customer": [c[0] for c in CUSTOMERS], "country": [c[1] for c in CUSTOMERS],
                             "tier": pa.array([c[2] for c in CUSTOMERS], pa.int32())}),
                   root / "customers" / "customers.parquet")

    (root / "orders_orc").mkdir(exist_ok=True)
    orc.write_table(orders_table().select(["id", "customer", "price", "day"]), root / "orders_orc" / "part-0.orc")
    for day in sorted({r[5] for r in ORDERS}):
        folder = root / "orders_orc_days" / f"day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = [r for r in ORDERS if r[5] == day]
        orc.write_table(orders_table(rows).select(["id", "customer", "price"]), folder / "part-0.orc")

    for (year, month), rows in SALES.items():
        folder = root / "sales" / f"year={year}" / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(_sales_table(rows), folder / "part-0.parquet")
    # What writers leave behind, which a scan and MSCK REPAIR must skip.
    put("sales/_SUCCESS", b"")
    put("sales/year=2024/month=01/_SUCCESS", b"")
    put("sales/year=2024/month=01/.part-0.parquet.crc", b"this is not parquet")
    put("sales/_temporary/0/part-9.parquet", b"this is not parquet")
    put("sales/.hive-staging/part-9.parquet", b"this is not parquet")
    put("sales/notapartition/readme.txt", b"not a key=value folder")

    (root / "elsewhere" / "sales_2025_01").mkdir(parents=True, exist_ok=True)
    pq.write_table(_sales_table(SALES_ELSEWHERE), root / "elsewhere" / "sales_2025_01" / "part-0.parquet")
    put("corrupt/part-0.parquet", b"PAR1 definitely not a parquet file")
    return root
