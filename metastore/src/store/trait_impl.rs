//! `Catalog` for `LocalCatalog`: each call runs the synchronous store method. RocksDB calls
//! take microseconds, so they run on the caller's thread.

use async_trait::async_trait;

use super::LocalCatalog;
use crate::catalog::{Catalog, LockStatus};
use crate::error::Result;
use crate::model::{
    AlterTableOptions, ColumnStats, Database, Event, Function, LockComponent, Partition,
    PartitionList, PartitionQuery, StatsTarget, Table, TableMeta,
};

#[async_trait]
impl Catalog for LocalCatalog {
    async fn create_database(&self, db: Database) -> Result<()> {
        self.create_database_sync(db)
    }
    async fn get_database(&self, name: &str) -> Result<Database> {
        self.get_database_sync(name)
    }
    async fn list_databases(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        self.list_databases_sync(pattern)
    }
    async fn alter_database(&self, name: &str, db: Database) -> Result<()> {
        self.alter_database_sync(name, db)
    }
    async fn drop_database(&self, name: &str, cascade: bool, delete_data: bool) -> Result<()> {
        self.drop_database_sync(name, cascade, delete_data)
    }
    async fn create_table(&self, table: Table) -> Result<()> {
        self.create_table_sync(table)
    }
    async fn get_table(&self, db: &str, name: &str) -> Result<Table> {
        self.get_table_sync(db, name)
    }
    async fn get_tables(&self, db: &str, names: &[String]) -> Result<Vec<Table>> {
        self.get_tables_sync(db, names)
    }
    async fn list_tables(
        &self,
        db: &str,
        pattern: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<String>> {
        self.list_tables_sync(db, pattern, kind)
    }
    async fn list_table_meta(
        &self,
        dbs: &str,
        tables: &str,
        types: &[String],
    ) -> Result<Vec<TableMeta>> {
        self.list_table_meta_sync(dbs, tables, types)
    }
    async fn alter_table(
        &self,
        db: &str,
        name: &str,
        t: Table,
        opts: &AlterTableOptions,
    ) -> Result<()> {
        self.alter_table_sync(db, name, t, opts)
    }
    async fn drop_table(&self, db: &str, name: &str, delete_data: bool) -> Result<()> {
        self.drop_table_sync(db, name, delete_data)
    }
    async fn add_partitions(
        &self,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<Partition>> {
        self.add_partitions_sync(db, table, parts, if_not_exists)
    }
    async fn get_partition(&self, db: &str, table: &str, values: &[String]) -> Result<Partition> {
        self.get_partition_sync(db, table, values)
    }
    async fn list_partitions(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<Partition>> {
        self.list_partitions_sync(db, table, query, max)
    }
    async fn list_partition_rows(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<PartitionList> {
        self.list_partition_rows_sync(db, table, query, max)
    }
    async fn list_partition_names(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<String>> {
        self.list_partition_names_sync(db, table, query, max)
    }
    async fn count_partitions(&self, db: &str, table: &str, filter: &str) -> Result<usize> {
        self.count_partitions_sync(db, table, filter)
    }
    async fn alter_partitions(&self, db: &str, table: &str, parts: Vec<Partition>) -> Result<()> {
        self.alter_partitions_sync(db, table, parts)
    }
    async fn rename_partition(
        &self,
        db: &str,
        table: &str,
        old: &[String],
        p: Partition,
    ) -> Result<()> {
        self.rename_partition_sync(db, table, old, p)
    }
    async fn drop_partitions(
        &self,
        db: &str,
        table: &str,
        values: &[Vec<String>],
        delete_data: bool,
        if_exists: bool,
    ) -> Result<Vec<Partition>> {
        self.drop_partitions_sync(db, table, values, delete_data, if_exists)
    }
    async fn update_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        stats: Vec<ColumnStats>,
    ) -> Result<()> {
        self.update_column_stats_sync(db, table, target, stats)
    }
    async fn get_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        columns: &[String],
    ) -> Result<Vec<ColumnStats>> {
        self.get_column_stats_sync(db, table, target, columns)
    }
    async fn delete_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        column: Option<&str>,
    ) -> Result<()> {
        self.delete_column_stats_sync(db, table, target, column)
    }
    async fn create_function(&self, f: Function) -> Result<()> {
        self.create_function_sync(f)
    }
    async fn get_function(&self, db: &str, name: &str) -> Result<Function> {
        self.get_function_sync(db, name)
    }
    async fn alter_function(&self, db: &str, name: &str, f: Function) -> Result<()> {
        self.alter_function_sync(db, name, f)
    }
    async fn drop_function(&self, db: &str, name: &str) -> Result<()> {
        self.drop_function_sync(db, name)
    }
    async fn list_functions(&self, db: &str, pattern: Option<&str>) -> Result<Vec<String>> {
        self.list_functions_sync(db, pattern)
    }
    async fn all_functions(&self) -> Result<Vec<Function>> {
        self.all_functions_sync()
    }
    async fn lock(&self, components: Vec<LockComponent>, _owner: &str) -> Result<LockStatus> {
        self.lock_sync(components)
    }
    async fn check_lock(&self, id: i64) -> Result<LockStatus> {
        self.check_lock_sync(id)
    }
    async fn unlock(&self, id: i64) -> Result<()> {
        self.unlock_sync(id)
    }
    async fn heartbeat(&self, id: i64) -> Result<()> {
        self.heartbeat_sync(id)
    }
    async fn current_event_id(&self) -> Result<i64> {
        Ok(self.current_event_id_sync())
    }
    async fn events_after(&self, last_id: i64, max: usize) -> Result<Vec<Event>> {
        self.events_after_sync(last_id, max)
    }
}
