//! The `Catalog` trait: everything the rest of Lakehive (and the Thrift server) asks of a
//! metastore, in domain types. `LocalCatalog` implements it over RocksDB, `ThriftCatalog` over
//! any Hive Metastore; the conformance suite in `tests/` runs against both.

use std::fmt::Debug;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{
    AlterTableOptions, ColumnStats, Database, Event, Function, LockComponent, LockState, Partition,
    PartitionList, PartitionQuery, StatsTarget, Table, TableMeta,
};

/// A lock as granted or queued by [`Catalog::lock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockStatus {
    /// The lock's id, for `check_lock`, `unlock` and `heartbeat`.
    pub id: i64,
    /// Whether it is held.
    pub state: LockState,
}

/// A catalog of databases, tables, partitions, statistics and functions.
///
/// Names are case-insensitive: implementations lower-case database, table, column and function
/// names. Every mutating call is atomic: it happens completely or not at all.
#[async_trait]
pub trait Catalog: Send + Sync + Debug {
    /// Creates a database. `AlreadyExists` if it exists.
    async fn create_database(&self, db: Database) -> Result<()>;
    /// A database by name. `NotFound` if missing.
    async fn get_database(&self, name: &str) -> Result<Database>;
    /// Database names, sorted, optionally matching a Hive pattern (`a*|b*`).
    async fn list_databases(&self, pattern: Option<&str>) -> Result<Vec<String>>;
    /// Replaces a database's definition (the name cannot change).
    async fn alter_database(&self, name: &str, db: Database) -> Result<()>;
    /// Drops a database; without `cascade` it must be empty (`InvalidOperation` otherwise).
    /// With `delete_data`, managed tables' data is removed too.
    async fn drop_database(&self, name: &str, cascade: bool, delete_data: bool) -> Result<()>;

    /// Creates a table. A managed table without a location gets `<db location>/<table>`.
    async fn create_table(&self, table: Table) -> Result<()>;
    /// A table. `NotFound` if it or its database is missing.
    async fn get_table(&self, db: &str, name: &str) -> Result<Table>;
    /// The named tables that exist, in the order asked; missing ones are skipped.
    async fn get_tables(&self, db: &str, names: &[String]) -> Result<Vec<Table>>;
    /// Table names of a database, sorted, optionally matching a pattern and of one type.
    async fn list_tables(
        &self,
        db: &str,
        pattern: Option<&str>,
        table_type: Option<&str>,
    ) -> Result<Vec<String>>;
    /// Name, type and comment of the tables matching database and table patterns and types.
    async fn list_table_meta(
        &self,
        db_pattern: &str,
        table_pattern: &str,
        types: &[String],
    ) -> Result<Vec<TableMeta>>;
    /// Replaces a table's definition; it may be renamed (to another database too).
    async fn alter_table(
        &self,
        db: &str,
        name: &str,
        table: Table,
        opts: &AlterTableOptions,
    ) -> Result<()>;
    /// Drops a table and its partitions and statistics; `delete_data` removes a managed
    /// table's files.
    async fn drop_table(&self, db: &str, name: &str, delete_data: bool) -> Result<()>;

    /// Adds partitions atomically. With `if_not_exists`, existing ones are skipped; otherwise
    /// any existing one fails the whole call. Returns the partitions added.
    async fn add_partitions(
        &self,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<Partition>>;
    /// One partition by its values.
    async fn get_partition(&self, db: &str, table: &str, values: &[String]) -> Result<Partition>;
    /// Partitions matching a query, in key order, at most `max` of them.
    async fn list_partitions(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<Partition>>;
    /// The partitions `list_partitions` returns, sharing their table's storage descriptor
    /// (what a server streams a long listing from).
    async fn list_partition_rows(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<PartitionList> {
        let t = self.get_table(db, table).await?;
        let parts = self.list_partitions(db, table, query, max).await?;
        Ok(PartitionList::from_partitions(t, parts))
    }
    /// Names (`k=v/k=v`) of the partitions matching a query, in key order.
    async fn list_partition_names(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<String>>;
    /// How many partitions match a filter.
    async fn count_partitions(&self, db: &str, table: &str, filter: &str) -> Result<usize>;
    /// Replaces existing partitions (matched by values) atomically.
    async fn alter_partitions(&self, db: &str, table: &str, parts: Vec<Partition>) -> Result<()>;
    /// Gives a partition new values (and definition).
    async fn rename_partition(
        &self,
        db: &str,
        table: &str,
        old_values: &[String],
        part: Partition,
    ) -> Result<()>;
    /// Drops partitions atomically. A missing one fails the call, or is skipped with
    /// `if_exists`. `delete_data` removes the files of a managed table's partitions. Returns
    /// the dropped partitions.
    async fn drop_partitions(
        &self,
        db: &str,
        table: &str,
        values: &[Vec<String>],
        delete_data: bool,
        if_exists: bool,
    ) -> Result<Vec<Partition>>;

    /// Stores column statistics (replacing those of the same columns).
    async fn update_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        stats: Vec<ColumnStats>,
    ) -> Result<()>;
    /// Statistics of the given columns (all columns when empty) that exist.
    async fn get_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        columns: &[String],
    ) -> Result<Vec<ColumnStats>>;
    /// Deletes statistics of one column, or of all columns when `column` is `None`.
    async fn delete_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        column: Option<&str>,
    ) -> Result<()>;

    /// Creates a function.
    async fn create_function(&self, func: Function) -> Result<()>;
    /// A function; `NotFound` with "<name> does not exist" if missing.
    async fn get_function(&self, db: &str, name: &str) -> Result<Function>;
    /// Replaces a function.
    async fn alter_function(&self, db: &str, name: &str, func: Function) -> Result<()>;
    /// Drops a function.
    async fn drop_function(&self, db: &str, name: &str) -> Result<()>;
    /// Function names of a database matching a pattern.
    async fn list_functions(&self, db: &str, pattern: Option<&str>) -> Result<Vec<String>>;
    /// Every function of every database.
    async fn all_functions(&self) -> Result<Vec<Function>>;

    /// Asks for a lock on all components at once; it is acquired or queued (`Waiting`).
    async fn lock(&self, components: Vec<LockComponent>, owner: &str) -> Result<LockStatus>;
    /// Re-checks a queued lock (and counts as a heartbeat).
    async fn check_lock(&self, id: i64) -> Result<LockStatus>;
    /// Releases a lock. `NotFound` if it does not exist (or expired).
    async fn unlock(&self, id: i64) -> Result<()>;
    /// Keeps a lock alive.
    async fn heartbeat(&self, id: i64) -> Result<()>;

    /// The id of the newest DDL event (0 when none).
    async fn current_event_id(&self) -> Result<i64>;
    /// Events after `last_id`, oldest first, at most `max`.
    async fn events_after(&self, last_id: i64, max: usize) -> Result<Vec<Event>>;
}
