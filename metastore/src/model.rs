//! Domain types of the catalog. They mirror what Hive stores, in Rust terms: no Thrift
//! structs here (those stay in `thrift::convert`), optional values are `Option`, maps are sorted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Key/value parameters on databases, tables, partitions and SerDes.
pub type Params = BTreeMap<String, String>;

/// Seconds since the Unix epoch, as Hive stores create and access times.
pub fn now_secs() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i32::try_from(secs).unwrap_or(i32::MAX)
}

/// Who owns a database, table or function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrincipalType {
    /// A user.
    User,
    /// A role.
    Role,
    /// A group.
    Group,
}

/// A catalog database (a Glue database, a Trino schema, an Iceberg namespace).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Database {
    /// Lower-case name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Where managed tables of this database live.
    pub location: String,
    /// Parameters.
    pub parameters: Params,
    /// Owner name.
    pub owner_name: Option<String>,
    /// Owner kind.
    pub owner_type: Option<PrincipalType>,
    /// Creation time, seconds since the epoch.
    pub create_time: i32,
}

/// A column: name, Hive type string (`int`, `array<string>`, ...), comment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Hive type name.
    pub type_name: String,
    /// Comment.
    pub comment: Option<String>,
}

/// How rows are (de)serialized.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SerDe {
    /// SerDe name.
    pub name: Option<String>,
    /// SerDe class, e.g. `org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe`.
    pub serialization_lib: Option<String>,
    /// SerDe parameters (`field.delim`, `serialization.format`, ...).
    pub parameters: Params,
    /// Description (Hive 3+).
    pub description: Option<String>,
    /// Serializer class (Hive 3+).
    pub serializer_class: Option<String>,
    /// Deserializer class (Hive 3+).
    pub deserializer_class: Option<String>,
    /// SerDe type (Hive 3+).
    pub serde_type: Option<i32>,
}

/// A sort column of a bucketed table.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SortColumn {
    /// Column name.
    pub column: String,
    /// 1 ascending, 0 descending.
    pub order: i32,
}

/// Skewed-column information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SkewedInfo {
    /// Skewed column names.
    pub column_names: Vec<String>,
    /// Skewed values.
    pub column_values: Vec<Vec<String>>,
    /// Where each skewed value combination is stored.
    pub locations: Vec<(Vec<String>, String)>,
}

/// Where and how a table's or partition's data is stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageDescriptor {
    /// Data columns.
    pub columns: Vec<Column>,
    /// Data location (a URI or path).
    pub location: Option<String>,
    /// Input format class.
    pub input_format: Option<String>,
    /// Output format class.
    pub output_format: Option<String>,
    /// Whether the data is compressed.
    pub compressed: bool,
    /// Number of buckets, -1 when not bucketed.
    pub num_buckets: i32,
    /// SerDe.
    pub serde: SerDe,
    /// Bucketing columns.
    pub bucket_columns: Vec<String>,
    /// Sort columns.
    pub sort_columns: Vec<SortColumn>,
    /// Parameters.
    pub parameters: Params,
    /// Skew information.
    pub skewed: Option<SkewedInfo>,
    /// Whether skewed values are stored in sub-directories.
    pub stored_as_sub_directories: bool,
}

/// A table, view or Iceberg table pointer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Table {
    /// Database name (lower case).
    pub db_name: String,
    /// Table name (lower case).
    pub name: String,
    /// Owner.
    pub owner: Option<String>,
    /// Owner kind.
    pub owner_type: Option<PrincipalType>,
    /// Creation time, seconds since the epoch.
    pub create_time: i32,
    /// Last access time.
    pub last_access_time: i32,
    /// Retention.
    pub retention: i32,
    /// Storage.
    pub sd: StorageDescriptor,
    /// Partition columns, in order.
    pub partition_keys: Vec<Column>,
    /// Table parameters.
    pub parameters: Params,
    /// A view's original text.
    pub view_original_text: Option<String>,
    /// A view's expanded text.
    pub view_expanded_text: Option<String>,
    /// `MANAGED_TABLE`, `EXTERNAL_TABLE`, `VIRTUAL_VIEW`, `MATERIALIZED_VIEW`.
    pub table_type: String,
    /// Temporary table.
    pub temporary: bool,
    /// Materialized-view rewrite flag.
    pub rewrite_enabled: Option<bool>,
}

/// Table types Hive knows.
pub mod table_type {
    /// Data owned by the catalog: deleted with the table.
    pub const MANAGED: &str = "MANAGED_TABLE";
    /// Data owned by the user: never deleted by the catalog.
    pub const EXTERNAL: &str = "EXTERNAL_TABLE";
    /// A view.
    pub const VIEW: &str = "VIRTUAL_VIEW";
}

impl Table {
    /// Whether dropping this table may delete its data: a `MANAGED_TABLE` not marked
    /// `EXTERNAL=TRUE`.
    pub fn owns_data(&self) -> bool {
        let external = self
            .parameters
            .get("EXTERNAL")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        self.table_type == table_type::MANAGED && !external
    }

    fn key_names(&self) -> Vec<&str> {
        self.partition_keys
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The name (`k1=v1/k2=v2`, Hive-escaped) of this table's partition with these values.
    pub fn partition_name(&self, values: &[String]) -> crate::Result<String> {
        crate::partname::make_name(&self.key_names(), values)
    }

    /// The values of this table's partition named `name`, checked against its keys.
    pub fn partition_values(&self, name: &str) -> crate::Result<Vec<String>> {
        crate::partname::values_for_keys(name, &self.key_names())
    }
}

/// A partition of a table: one value per partition key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Partition {
    /// Database name.
    pub db_name: String,
    /// Table name.
    pub table_name: String,
    /// Values, one per partition key, in key order.
    pub values: Vec<String>,
    /// Creation time.
    pub create_time: i32,
    /// Last access time.
    pub last_access_time: i32,
    /// Storage (usually the table's with another location).
    pub sd: StorageDescriptor,
    /// Parameters (`numFiles`, `totalSize`, `transient_lastDdlTime`, ...).
    pub parameters: Params,
}

/// Partitions of one table as a listing returns them: each row takes the table's storage
/// descriptor unless it has its own, so a long listing does not carry a copy of the
/// descriptor per partition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartitionList {
    /// The table; its descriptor (location aside) is the rows' unless they have their own.
    pub table: Table,
    /// The partitions, in key order.
    pub rows: Vec<ListedPartition>,
}

/// One partition of a [`PartitionList`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListedPartition {
    /// Values, one per partition key, in key order.
    pub values: Vec<String>,
    /// Creation time.
    pub create_time: i32,
    /// Last access time.
    pub last_access_time: i32,
    /// Where its data is (always set by `LocalCatalog`).
    pub location: Option<String>,
    /// Its own storage descriptor (without location) when not the table's.
    pub sd: Option<StorageDescriptor>,
    /// Parameters.
    pub parameters: Params,
}

impl ListedPartition {
    /// The partition in full, taking `table`'s descriptor when it has none of its own.
    pub fn into_partition(self, table: &Table) -> Partition {
        let mut sd = self.sd.unwrap_or_else(|| StorageDescriptor {
            location: None,
            ..table.sd.clone()
        });
        sd.location = self.location;
        Partition {
            db_name: table.db_name.clone(),
            table_name: table.name.clone(),
            values: self.values,
            create_time: self.create_time,
            last_access_time: self.last_access_time,
            sd,
            parameters: self.parameters,
        }
    }
}

impl PartitionList {
    /// Wraps full partitions of `table`; each keeps its own descriptor.
    pub fn from_partitions(table: Table, parts: Vec<Partition>) -> PartitionList {
        let rows = parts
            .into_iter()
            .map(|p| {
                let mut sd = p.sd;
                let location = sd.location.take();
                ListedPartition {
                    values: p.values,
                    create_time: p.create_time,
                    last_access_time: p.last_access_time,
                    location,
                    sd: Some(sd),
                    parameters: p.parameters,
                }
            })
            .collect();
        PartitionList { table, rows }
    }

    /// The partitions in full.
    pub fn into_partitions(self) -> Vec<Partition> {
        let table = self.table;
        self.rows
            .into_iter()
            .map(|r| r.into_partition(&table))
            .collect()
    }
}

/// Name and type of the catalog object a table listing returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMeta {
    /// Database name.
    pub db_name: String,
    /// Table name.
    pub table_name: String,
    /// Table type.
    pub table_type: String,
    /// The `comment` parameter.
    pub comment: Option<String>,
}

/// A user-defined function.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Function {
    /// Database name.
    pub db_name: String,
    /// Function name (lower case).
    pub name: String,
    /// Implementing class.
    pub class_name: String,
    /// Owner.
    pub owner_name: Option<String>,
    /// Owner kind.
    pub owner_type: Option<PrincipalType>,
    /// Creation time.
    pub create_time: i32,
    /// Hive's function type (1 = Java).
    pub function_type: i32,
    /// Resources: (Hive resource type: 1 jar, 2 file, 3 archive; URI).
    pub resources: Vec<(i32, String)>,
}

/// What a column-statistics object describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsTarget {
    /// Table-level statistics.
    Table,
    /// Statistics of one partition, by its values.
    Partition(Vec<String>),
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Column name (lower case).
    pub column: String,
    /// Column type.
    pub column_type: String,
    /// When it was computed.
    pub last_analyzed: Option<i64>,
    /// The statistic itself.
    pub data: ColumnStatsData,
}

/// A decimal as Hive sends it: unscaled big-endian two's complement and a scale.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Decimal {
    /// Unscaled value.
    pub unscaled: Vec<u8>,
    /// Scale.
    pub scale: i16,
}

/// Per-type statistics values, as in Hive's `ColumnStatisticsData` union.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum ColumnStatsData {
    Boolean {
        num_trues: i64,
        num_falses: i64,
        num_nulls: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    Long {
        low: Option<i64>,
        high: Option<i64>,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    Double {
        low: Option<f64>,
        high: Option<f64>,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    String {
        max_len: i64,
        avg_len: f64,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    Binary {
        max_len: i64,
        avg_len: f64,
        num_nulls: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    Decimal {
        low: Option<Decimal>,
        high: Option<Decimal>,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    /// Dates as days since the epoch.
    Date {
        low: Option<i64>,
        high: Option<i64>,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
    /// Timestamps as seconds since the epoch.
    Timestamp {
        low: Option<i64>,
        high: Option<i64>,
        num_nulls: i64,
        num_dvs: i64,
        bit_vectors: Option<Vec<u8>>,
    },
}

/// One entry of the DDL event log (Hive's notification log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Increasing id, from 1.
    pub id: i64,
    /// Seconds since the epoch.
    pub time: i32,
    /// `CREATE_DATABASE`, `ADD_PARTITION`, ...
    pub kind: String,
    /// Database concerned.
    pub db_name: Option<String>,
    /// Table concerned.
    pub table_name: Option<String>,
    /// A JSON message describing the change.
    pub message: String,
}

/// Lock modes (Hive's `LockType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockMode {
    /// Shared read.
    SharedRead,
    /// Shared write: compatible with reads and other shared writes.
    SharedWrite,
    /// Exclusive write: compatible with reads only.
    ExclWrite,
    /// Exclusive: compatible with nothing.
    Exclusive,
}

/// One object a lock request covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockComponent {
    /// Mode.
    pub mode: LockMode,
    /// Database.
    pub db_name: String,
    /// Table, when the lock is on a table or partition.
    pub table_name: Option<String>,
    /// Partition name, when on a partition.
    pub partition_name: Option<String>,
}

/// State of a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Held.
    Acquired,
    /// Queued behind a conflicting lock; poll with `check_lock`.
    Waiting,
    /// Aborted.
    Aborted,
    /// Not acquired and not queued.
    NotAcquired,
}

/// Parameters of a partition listing.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionQuery {
    /// All partitions.
    All,
    /// A partial specification: one value per leading key; an empty value matches anything.
    Values(Vec<String>),
    /// A Hive partition filter (`year = 2024 and month > '01'`).
    Filter(String),
    /// These partition names (`k=v/k=v`); missing ones are skipped.
    Names(Vec<String>),
}

/// How `alter_table` treats partitions and concurrent writers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlterTableOptions {
    /// Apply column changes to every partition too (Hive's `CASCADE`).
    pub cascade: bool,
    /// Fail with `Conflict` unless the table's parameter `.0` currently has value `.1`
    /// (Hive's `expected_parameter_key/value`, the optimistic check Iceberg commits use).
    pub expected_parameter: Option<(String, String)>,
}
