"""A local PySpark session with Hive support, pointed at a metastore under test.

Shared by the Spark tests (`tests/test_spark.py`, `tests/test_gateway_spark.py`): one core, small
memory, no UI, scratch space and Derby home under `scratch`, dynamic partition overwrite and
Hive dynamic partitions allowed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def hive_spark_session(app: str, metastore_uri: str, warehouse: str, scratch: Path):
    """A new SparkSession using `metastore_uri` (thrift://) as its Hive metastore."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    settings = {
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": metastore_uri,
        "spark.sql.warehouse.dir": warehouse,
        "spark.driver.memory": "1g",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.local.dir": str(Path(scratch) / "local"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={scratch}",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.hadoop.hive.exec.dynamic.partition": "true",
        "spark.hadoop.hive.exec.dynamic.partition.mode": "nonstrict",
        "spark.hadoop.hive.metastore.client.socket.timeout": "120s",
    }
    builder = SparkSession.builder.master("local[1]").appName(app)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
