//! ETL runner: Glue-style jobs writing partitioned Parquet (not yet implemented).
