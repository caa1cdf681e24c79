//! `ThriftCatalog`: the [`Catalog`] trait over any Hive Metastore (ours or Java), for split
//! deployments where gateways and runners reach a remote catalog. Calls run on blocking
//! threads over a small pool of connections; a connection that failed at the transport level
//! is dropped, the next call reconnects.

use std::io::{BufReader, BufWriter};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use thrift::protocol::TBinaryOutputProtocol;
use thrift_idl::hms::{self as t, TThriftHiveMetastoreSyncClient, ThriftHiveMetastoreSyncClient};

use super::convert as cv;
use super::errors::from_wire;
use super::protocol::BoundedBinaryInput;
use crate::catalog::{Catalog, LockStatus};
use crate::error::{Error, Result};
use crate::model::*;

type Client = ThriftHiveMetastoreSyncClient<
    BoundedBinaryInput<BufReader<TcpStream>>,
    TBinaryOutputProtocol<BufWriter<TcpStream>>,
>;

struct Pool {
    addr: String,
    idle: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Pool {
    fn connect(&self) -> Result<Client> {
        let s = TcpStream::connect(&self.addr)
            .map_err(|e| Error::Remote(format!("{}: {e}", self.addr)))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(600)))?;
        let input = BoundedBinaryInput::new(BufReader::new(s.try_clone()?), 1 << 30, 10_000_000);
        let output = TBinaryOutputProtocol::new(BufWriter::new(s), true);
        Ok(ThriftHiveMetastoreSyncClient::new(input, output))
    }
}

/// A catalog served by a Hive Metastore at `host:port`.
#[derive(Debug, Clone)]
pub struct ThriftCatalog {
    pool: Arc<Pool>,
}

impl ThriftCatalog {
    /// A client of the metastore at `addr` (`host:port`, or `thrift://host:port`).
    pub fn new(addr: &str) -> Self {
        let addr = addr
            .trim_start_matches("thrift://")
            .trim_end_matches('/')
            .to_string();
        ThriftCatalog {
            pool: Arc::new(Pool {
                addr,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> thrift::Result<T> + Send + 'static,
    ) -> Result<T> {
        let pool = Arc::clone(&self.pool);
        let joined = tokio::task::spawn_blocking(move || {
            let popped = pool.idle.lock().pop();
            let mut client = match popped {
                Some(c) => c,
                None => pool.connect()?,
            };
            let r = f(&mut client);
            if !matches!(
                r,
                Err(thrift::Error::Transport(_) | thrift::Error::Protocol(_))
            ) {
                pool.idle.lock().push(client);
            }
            r.map_err(from_wire)
        })
        .await;
        joined.map_err(|e| Error::Internal(format!("client task failed: {e}")))?
    }

    async fn names_of(&self, db: &str, table: &str, values: &[Vec<String>]) -> Result<Vec<String>> {
        let tb = self.get_table(db, table).await?;
        values.iter().map(|v| tb.partition_name(v)).collect()
    }

    async fn stats_part_name(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
    ) -> Result<Option<String>> {
        match target {
            StatsTarget::Table => Ok(None),
            StatsTarget::Partition(v) => Ok(self
                .names_of(db, table, std::slice::from_ref(v))
                .await?
                .pop()),
        }
    }
}

fn max_parts(max: Option<usize>) -> i16 {
    max.and_then(|m| i16::try_from(m).ok()).unwrap_or(-1)
}

fn s(x: &str) -> String {
    x.to_string()
}

#[async_trait]
impl Catalog for ThriftCatalog {
    async fn create_database(&self, db: Database) -> Result<()> {
        self.call(move |c| c.create_database(cv::database_to(db)))
            .await
    }
    async fn get_database(&self, name: &str) -> Result<Database> {
        let name = s(name);
        cv::database_from(self.call(move |c| c.get_database(name)).await?)
    }
    async fn list_databases(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = pattern.map(s);
        self.call(move |c| match pattern {
            Some(p) => c.get_databases(p),
            None => c.get_all_databases(),
        })
        .await
    }
    async fn alter_database(&self, name: &str, db: Database) -> Result<()> {
        let name = s(name);
        self.call(move |c| c.alter_database(name, cv::database_to(db)))
            .await
    }
    async fn drop_database(&self, name: &str, cascade: bool, delete_data: bool) -> Result<()> {
        let name = s(name);
        self.call(move |c| c.drop_database(name, delete_data, cascade))
            .await
    }
    async fn create_table(&self, table: Table) -> Result<()> {
        self.call(move |c| c.create_table(cv::table_to(table)))
            .await
    }
    async fn get_table(&self, db: &str, name: &str) -> Result<Table> {
        let (db, name) = (s(db), s(name));
        cv::table_from(self.call(move |c| c.get_table(db, name)).await?)
    }
    async fn get_tables(&self, db: &str, names: &[String]) -> Result<Vec<Table>> {
        let (db, names) = (s(db), names.to_vec());
        let tables = self
            .call(move |c| c.get_table_objects_by_name(db, names))
            .await?;
        tables.into_iter().map(cv::table_from).collect()
    }
    async fn list_tables(
        &self,
        db: &str,
        pattern: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<String>> {
        let (db, pattern, kind) = (s(db), pattern.unwrap_or("*").to_string(), kind.map(s));
        self.call(move |c| match kind {
            Some(k) => c.get_tables_by_type(db, pattern, k),
            None => c.get_tables(db, pattern),
        })
        .await
    }
    async fn list_table_meta(
        &self,
        dbs: &str,
        tables: &str,
        types: &[String],
    ) -> Result<Vec<TableMeta>> {
        let (dbs, tables, types) = (s(dbs), s(tables), types.to_vec());
        let metas = self
            .call(move |c| c.get_table_meta(dbs, tables, types))
            .await?;
        Ok(metas
            .into_iter()
            .map(|m| TableMeta {
                db_name: m.db_name,
                table_name: m.table_name,
                table_type: m.table_type,
                comment: m.comments,
            })
            .collect())
    }
    async fn alter_table(
        &self,
        db: &str,
        name: &str,
        table: Table,
        opts: &AlterTableOptions,
    ) -> Result<()> {
        let (db, name) = (s(db), s(name));
        let mut props = Params::new();
        props.insert("CASCADE".into(), opts.cascade.to_string());
        if let Some((k, v)) = &opts.expected_parameter {
            props.insert("expected_parameter_key".into(), k.clone());
            props.insert("expected_parameter_value".into(), v.clone());
        }
        let env = t::EnvironmentContext {
            properties: Some(props),
        };
        self.call(move |c| {
            c.alter_table_with_environment_context(db, name, cv::table_to(table), env)
        })
        .await
    }
    async fn drop_table(&self, db: &str, name: &str, delete_data: bool) -> Result<()> {
        let (db, name) = (s(db), s(name));
        self.call(move |c| c.drop_table(db, name, delete_data))
            .await
    }
    async fn add_partitions(
        &self,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<Partition>> {
        let req = t::AddPartitionsRequest {
            db_name: s(db),
            tbl_name: s(table),
            parts: cv::partitions_to(parts),
            if_not_exists,
            need_result: Some(true),
            cat_name: None,
            valid_write_id_list: None,
            skip_column_schema_for_partition: None,
            partition_col_schema: None,
            environment_context: None,
        };
        let res = self.call(move |c| c.add_partitions_req(req)).await?;
        res.partitions
            .unwrap_or_default()
            .into_iter()
            .map(cv::partition_from)
            .collect()
    }
    async fn get_partition(&self, db: &str, table: &str, values: &[String]) -> Result<Partition> {
        let (db, table, values) = (s(db), s(table), values.to_vec());
        cv::partition_from(
            self.call(move |c| c.get_partition(db, table, values))
                .await?,
        )
    }
    async fn list_partitions(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<Partition>> {
        let (db, table, query, m) = (s(db), s(table), query.clone(), max_parts(max));
        let parts = self
            .call(move |c| match query {
                PartitionQuery::All => c.get_partitions(db, table, m),
                PartitionQuery::Values(v) => c.get_partitions_ps(db, table, v, m),
                PartitionQuery::Filter(f) => c.get_partitions_by_filter(db, table, f, m),
                PartitionQuery::Names(n) => c.get_partitions_by_names(db, table, n),
            })
            .await?;
        let parts: Result<Vec<_>> = parts.into_iter().map(cv::partition_from).collect();
        Ok(parts?.into_iter().take(max.unwrap_or(usize::MAX)).collect())
    }
    async fn list_partition_names(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<String>> {
        match query {
            PartitionQuery::All | PartitionQuery::Values(_) => {
                let (db, table, query, m) = (s(db), s(table), query.clone(), max_parts(max));
                self.call(move |c| match query {
                    PartitionQuery::Values(v) => c.get_partition_names_ps(db, table, v, m),
                    _ => c.get_partition_names(db, table, m),
                })
                .await
            }
            _ => {
                let tb = self.get_table(db, table).await?;
                let parts = self.list_partitions(db, table, query, max).await?;
                parts.iter().map(|p| tb.partition_name(&p.values)).collect()
            }
        }
    }
    async fn count_partitions(&self, db: &str, table: &str, filter: &str) -> Result<usize> {
        let (db, table, filter) = (s(db), s(table), s(filter));
        let n = self
            .call(move |c| c.get_num_partitions_by_filter(db, table, filter))
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
    async fn alter_partitions(&self, db: &str, table: &str, parts: Vec<Partition>) -> Result<()> {
        let (db, table) = (s(db), s(table));
        self.call(move |c| c.alter_partitions(db, table, cv::partitions_to(parts)))
            .await
    }
    async fn rename_partition(
        &self,
        db: &str,
        table: &str,
        old: &[String],
        part: Partition,
    ) -> Result<()> {
        let (db, table, old) = (s(db), s(table), old.to_vec());
        self.call(move |c| c.rename_partition(db, table, old, cv::partition_to(part)))
            .await
    }
    async fn drop_partitions(
        &self,
        db: &str,
        table: &str,
        values: &[Vec<String>],
        delete_data: bool,
        if_exists: bool,
    ) -> Result<Vec<Partition>> {
        let names = self.names_of(db, table, values).await?;
        let req = t::DropPartitionsRequest {
            db_name: s(db),
            tbl_name: s(table),
            parts: t::RequestPartsSpec::Names(names),
            delete_data: Some(delete_data),
            if_exists: Some(if_exists),
            ignore_protection: None,
            environment_context: None,
            need_result: Some(true),
            cat_name: None,
            skip_column_schema_for_partition: None,
        };
        let res = self.call(move |c| c.drop_partitions_req(req)).await?;
        res.partitions
            .unwrap_or_default()
            .into_iter()
            .map(cv::partition_from)
            .collect()
    }
    async fn update_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        stats: Vec<ColumnStats>,
    ) -> Result<()> {
        let part_name = self.stats_part_name(db, table, target).await?;
        let desc = t::ColumnStatisticsDesc {
            is_tbl_level: part_name.is_none(),
            db_name: s(db),
            table_name: s(table),
            part_name: part_name.clone(),
            last_analyzed: stats.first().and_then(|x| x.last_analyzed),
            cat_name: None,
        };
        let cs = t::ColumnStatistics {
            stats_desc: desc,
            stats_obj: stats.into_iter().map(cv::stats_to).collect(),
            is_stats_compliant: None,
            engine: None,
        };
        self.call(move |c| match part_name {
            Some(_) => c.update_partition_column_statistics(cs),
            None => c.update_table_column_statistics(cs),
        })
        .await
        .map(|_| ())
    }
    async fn get_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        columns: &[String],
    ) -> Result<Vec<ColumnStats>> {
        let columns = if columns.is_empty() {
            let tb = self.get_table(db, table).await?;
            tb.sd.columns.iter().map(|c| c.name.clone()).collect()
        } else {
            columns.to_vec()
        };
        let part_name = self.stats_part_name(db, table, target).await?;
        let (db, table) = (s(db), s(table));
        let objs = match part_name {
            None => {
                let req = t::TableStatsRequest {
                    db_name: db,
                    tbl_name: table,
                    col_names: columns,
                    cat_name: None,
                    valid_write_id_list: None,
                    engine: None,
                    id: None,
                };
                self.call(move |c| c.get_table_statistics_req(req))
                    .await?
                    .table_stats
            }
            Some(name) => {
                let req = t::PartitionsStatsRequest {
                    db_name: db,
                    tbl_name: table,
                    col_names: columns,
                    part_names: vec![name.clone()],
                    cat_name: None,
                    valid_write_id_list: None,
                    engine: None,
                };
                let mut res = self
                    .call(move |c| c.get_partitions_statistics_req(req))
                    .await?;
                res.part_stats.remove(&name).unwrap_or_default()
            }
        };
        Ok(objs.into_iter().map(|o| cv::stats_from(o, None)).collect())
    }
    async fn delete_column_stats(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        column: Option<&str>,
    ) -> Result<()> {
        let part_name = self.stats_part_name(db, table, target).await?;
        let (db, table, col) = (s(db), s(table), column.unwrap_or("").to_string());
        self.call(move |c| match part_name {
            Some(p) => c.delete_partition_column_statistics(db, table, p, col, "hive".into()),
            None => c.delete_table_column_statistics(db, table, col, "hive".into()),
        })
        .await
        .map(|_| ())
    }
    async fn create_function(&self, func: Function) -> Result<()> {
        self.call(move |c| c.create_function(cv::function_to(func)))
            .await
    }
    async fn get_function(&self, db: &str, name: &str) -> Result<Function> {
        let (db, name) = (s(db), s(name));
        cv::function_from(self.call(move |c| c.get_function(db, name)).await?)
    }
    async fn alter_function(&self, db: &str, name: &str, func: Function) -> Result<()> {
        let (db, name) = (s(db), s(name));
        self.call(move |c| c.alter_function(db, name, cv::function_to(func)))
            .await
    }
    async fn drop_function(&self, db: &str, name: &str) -> Result<()> {
        let (db, name) = (s(db), s(name));
        self.call(move |c| c.drop_function(db, name)).await
    }
    async fn list_functions(&self, db: &str, pattern: Option<&str>) -> Result<Vec<String>> {
        let (db, pattern) = (s(db), pattern.unwrap_or("*").to_string());
        self.call(move |c| c.get_functions(db, pattern)).await
    }
    async fn all_functions(&self) -> Result<Vec<Function>> {
        let res = self.call(|c| c.get_all_functions()).await?;
        res.functions
            .unwrap_or_default()
            .into_iter()
            .map(cv::function_from)
            .collect()
    }
    async fn lock(&self, components: Vec<LockComponent>, owner: &str) -> Result<LockStatus> {
        let req = t::LockRequest {
            component: components.into_iter().map(lock_to).collect(),
            txnid: None,
            user: s(owner),
            hostname: "lakehive".into(),
            agent_info: None,
            zero_wait_read_enabled: None,
            exclusive_c_t_a_s: None,
            lockless_reads_enabled: None,
        };
        lock_from(self.call(move |c| c.lock(req)).await?)
    }
    async fn check_lock(&self, id: i64) -> Result<LockStatus> {
        let req = t::CheckLockRequest {
            lockid: id,
            txnid: None,
            elapsed_ms: None,
        };
        lock_from(self.call(move |c| c.check_lock(req)).await?)
    }
    async fn unlock(&self, id: i64) -> Result<()> {
        self.call(move |c| c.unlock(t::UnlockRequest { lockid: id }))
            .await
    }
    async fn heartbeat(&self, id: i64) -> Result<()> {
        self.call(move |c| {
            c.heartbeat(t::HeartbeatRequest {
                lockid: Some(id),
                txnid: None,
            })
        })
        .await
    }
    async fn current_event_id(&self) -> Result<i64> {
        Ok(self
            .call(|c| c.get_current_notification_event_id())
            .await?
            .event_id)
    }
    async fn events_after(&self, last_id: i64, max: usize) -> Result<Vec<Event>> {
        let req = t::NotificationEventRequest {
            last_event: last_id,
            max_events: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            event_type_skip_list: None,
            cat_name: None,
            db_name: None,
            table_names: None,
        };
        let res = self.call(move |c| c.get_next_notification(req)).await?;
        Ok(res
            .events
            .into_iter()
            .map(|e| Event {
                id: e.event_id,
                time: e.event_time,
                kind: e.event_type,
                db_name: e.db_name,
                table_name: e.table_name,
                message: e.message,
            })
            .collect())
    }
}

fn lock_to(c: LockComponent) -> t::LockComponent {
    let type_ = match c.mode {
        LockMode::SharedRead => t::LockType::SHARED_READ,
        LockMode::SharedWrite => t::LockType::SHARED_WRITE,
        LockMode::ExclWrite => t::LockType::EXCL_WRITE,
        LockMode::Exclusive => t::LockType::EXCLUSIVE,
    };
    let level = match (&c.table_name, &c.partition_name) {
        (None, _) => t::LockLevel::DB,
        (Some(_), None) => t::LockLevel::TABLE,
        (Some(_), Some(_)) => t::LockLevel::PARTITION,
    };
    t::LockComponent {
        type_,
        level,
        dbname: c.db_name,
        tablename: c.table_name,
        partitionname: c.partition_name,
        operation_type: None,
        is_transactional: None,
        is_dynamic_partition_write: None,
    }
}

fn lock_from(r: t::LockResponse) -> Result<LockStatus> {
    let state = match r.state {
        t::LockState::ACQUIRED => LockState::Acquired,
        t::LockState::WAITING => LockState::Waiting,
        t::LockState::ABORT => LockState::Aborted,
        _ => LockState::NotAcquired,
    };
    Ok(LockStatus {
        id: r.lockid,
        state,
    })
}
