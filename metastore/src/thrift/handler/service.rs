//! The generated handler traits, each method a thin mapping onto `Handler` helpers or the
//! catalog.

use std::collections::BTreeMap;

use thrift_idl::hms as t;
use thrift_idl::hms::{FacebookServiceSyncHandler, ThriftHiveMetastoreSyncHandler};

use super::locks::{lock_component, lock_response};
use super::{limit, limit_opt, Handler};
use crate::model::{PartitionQuery, StatsTarget};
use crate::partname;
use crate::thrift::convert::{self as cv, db_name};
use crate::thrift::errors::to_wire;
use crate::thrift::throws as th;

type R<T> = thrift::Result<T>;

fn unknown_method(name: &str) -> thrift::Error {
    thrift::Error::Application(thrift::ApplicationError::new(
        thrift::ApplicationErrorKind::UnknownMethod,
        format!("{name} is not supported by this metastore"),
    ))
}

impl FacebookServiceSyncHandler for Handler {
    fn handle_shutdown(&self) -> R<()> {
        Ok(())
    }
}

impl ThriftHiveMetastoreSyncHandler for Handler {
    fn handle_get_meta_conf(&self, _key: String) -> R<String> {
        Ok(String::new())
    }
    fn handle_set_meta_conf(&self, _key: String, _value: String) -> R<()> {
        Ok(())
    }
    fn handle_create_database(&self, database: t::Database) -> R<()> {
        self.create_database(database)
    }
    fn handle_get_database(&self, name: String) -> R<t::Database> {
        self.get_database(&name, th::GET_DATABASE)
    }
    fn handle_get_database_req(&self, r: t::GetDatabaseRequest) -> R<t::Database> {
        self.get_database(r.name.as_deref().unwrap_or(""), th::GET_DATABASE_REQ)
    }
    fn handle_drop_database(&self, name: String, delete_data: bool, cascade: bool) -> R<()> {
        self.run(
            th::DROP_DATABASE,
            self.catalog
                .drop_database(&db_name(&name), cascade, delete_data),
        )
    }
    fn handle_get_databases(&self, pattern: String) -> R<Vec<String>> {
        // Hive 4 sends "@hive#" (all) or "@hive#<pattern>".
        let pattern = db_name(&pattern);
        self.list_databases(Some(pattern.as_str()).filter(|p| !p.is_empty()))
    }
    fn handle_get_all_databases(&self) -> R<Vec<String>> {
        self.list_databases(None)
    }
    fn handle_alter_database(&self, dbname: String, db: t::Database) -> R<()> {
        let declared = th::ALTER_DATABASE;
        let mut db = db;
        db.name.get_or_insert_with(|| dbname.clone());
        let db = cv::database_from(db).map_err(|e| to_wire(e, declared))?;
        self.run(declared, self.catalog.alter_database(&db_name(&dbname), db))
    }
    fn handle_get_fields(&self, db: String, table: String) -> R<Vec<t::FieldSchema>> {
        self.fields(&db, &table, false)
    }
    fn handle_get_fields_with_environment_context(
        &self,
        db: String,
        table: String,
        _: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields(&db, &table, false)
    }
    fn handle_get_schema(&self, db: String, table: String) -> R<Vec<t::FieldSchema>> {
        self.fields(&db, &table, true)
    }
    fn handle_get_schema_with_environment_context(
        &self,
        db: String,
        table: String,
        _: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields(&db, &table, true)
    }
    fn handle_create_table(&self, tbl: t::Table) -> R<()> {
        self.create_table(tbl, th::CREATE_TABLE)
    }
    fn handle_create_table_with_environment_context(
        &self,
        tbl: t::Table,
        _: t::EnvironmentContext,
    ) -> R<()> {
        self.create_table(tbl, th::CREATE_TABLE_WITH_ENVIRONMENT_CONTEXT)
    }
    fn handle_drop_table(&self, db: String, name: String, delete_data: bool) -> R<()> {
        self.run(
            th::DROP_TABLE,
            self.catalog.drop_table(&db_name(&db), &name, delete_data),
        )
    }
    fn handle_drop_table_with_environment_context(
        &self,
        db: String,
        name: String,
        delete_data: bool,
        _: t::EnvironmentContext,
    ) -> R<()> {
        self.run(
            th::DROP_TABLE_WITH_ENVIRONMENT_CONTEXT,
            self.catalog.drop_table(&db_name(&db), &name, delete_data),
        )
    }
    fn handle_get_tables(&self, db: String, pattern: String) -> R<Vec<String>> {
        self.list_tables(&db, Some(&pattern), None)
    }
    fn handle_get_tables_by_type(
        &self,
        db: String,
        pattern: String,
        table_type: String,
    ) -> R<Vec<String>> {
        let kind = Some(table_type.as_str()).filter(|k| !k.is_empty());
        self.list_tables(&db, Some(&pattern), kind)
    }
    fn handle_get_table_meta(
        &self,
        dbs: String,
        tables: String,
        types: Vec<String>,
    ) -> R<Vec<t::TableMeta>> {
        let metas = self.run(
            th::GET_TABLE_META,
            self.catalog
                .list_table_meta(&db_name(&dbs), &tables, &types),
        )?;
        Ok(metas.into_iter().map(cv::table_meta_to).collect())
    }
    fn handle_get_all_tables(&self, db: String) -> R<Vec<String>> {
        self.list_tables(&db, None, None)
    }
    fn handle_get_table(&self, db: String, name: String) -> R<t::Table> {
        self.get_table(&db, &name, th::GET_TABLE)
    }
    fn handle_get_table_objects_by_name(&self, db: String, names: Vec<String>) -> R<Vec<t::Table>> {
        self.get_tables_by_name(&db, Some(names))
    }
    fn handle_get_table_req(&self, req: t::GetTableRequest) -> R<t::GetTableResult> {
        let table = self.get_table(&req.db_name, &req.tbl_name, th::GET_TABLE_REQ)?;
        Ok(t::GetTableResult {
            table,
            is_stats_compliant: None,
        })
    }
    fn handle_get_table_objects_by_name_req(
        &self,
        req: t::GetTablesRequest,
    ) -> R<t::GetTablesResult> {
        Ok(t::GetTablesResult {
            tables: self.get_tables_by_name(&req.db_name, req.tbl_names)?,
        })
    }
    fn handle_get_table_names_by_filter(
        &self,
        db: String,
        filter: String,
        max: i16,
    ) -> R<Vec<String>> {
        self.table_names_by_filter(&db, &filter, max)
    }
    fn handle_alter_table(&self, db: String, name: String, tbl: t::Table) -> R<()> {
        self.alter_table(&db, &name, tbl, None, None, th::ALTER_TABLE)
    }
    fn handle_alter_table_with_environment_context(
        &self,
        db: String,
        name: String,
        tbl: t::Table,
        env: t::EnvironmentContext,
    ) -> R<()> {
        self.alter_table(
            &db,
            &name,
            tbl,
            Some(&env),
            None,
            th::ALTER_TABLE_WITH_ENVIRONMENT_CONTEXT,
        )
    }
    fn handle_alter_table_with_cascade(
        &self,
        db: String,
        name: String,
        tbl: t::Table,
        cascade: bool,
    ) -> R<()> {
        let env = t::EnvironmentContext {
            properties: Some(BTreeMap::from([("CASCADE".into(), cascade.to_string())])),
        };
        self.alter_table(
            &db,
            &name,
            tbl,
            Some(&env),
            None,
            th::ALTER_TABLE_WITH_CASCADE,
        )
    }
    fn handle_alter_table_req(&self, req: t::AlterTableRequest) -> R<t::AlterTableResponse> {
        let expected = req.expected_parameter_key.zip(req.expected_parameter_value);
        self.alter_table(
            &req.db_name,
            &req.table_name,
            req.table,
            req.environment_context.as_ref(),
            expected,
            th::ALTER_TABLE_REQ,
        )?;
        Ok(t::AlterTableResponse {})
    }
    fn handle_add_partition(&self, p: t::Partition) -> R<t::Partition> {
        self.add_one(p, th::ADD_PARTITION)
    }
    fn handle_add_partition_with_environment_context(
        &self,
        p: t::Partition,
        _: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.add_one(p, th::ADD_PARTITION_WITH_ENVIRONMENT_CONTEXT)
    }
    fn handle_add_partitions(&self, parts: Vec<t::Partition>) -> R<i32> {
        let n = parts.len();
        self.add_parts(None, None, parts, false, th::ADD_PARTITIONS)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    fn handle_add_partitions_req(&self, r: t::AddPartitionsRequest) -> R<t::AddPartitionsResult> {
        let added = self.add_parts(
            Some(&r.db_name),
            Some(&r.tbl_name),
            r.parts,
            r.if_not_exists,
            th::ADD_PARTITIONS_REQ,
        )?;
        let partitions = r.need_result.unwrap_or(true).then_some(added);
        Ok(t::AddPartitionsResult {
            partitions,
            is_stats_compliant: None,
            partition_col_schema: None,
        })
    }
    fn handle_append_partition(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
    ) -> R<t::Partition> {
        self.append(&db, &table, vals, th::APPEND_PARTITION)
    }
    fn handle_append_partition_with_environment_context(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        _: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.append(
            &db,
            &table,
            vals,
            th::APPEND_PARTITION_WITH_ENVIRONMENT_CONTEXT,
        )
    }
    fn handle_append_partition_by_name(
        &self,
        db: String,
        table: String,
        name: String,
    ) -> R<t::Partition> {
        let vals = self.values_of(&db, &table, &name, th::APPEND_PARTITION_BY_NAME)?;
        self.append(&db, &table, vals, th::APPEND_PARTITION_BY_NAME)
    }
    fn handle_append_partition_by_name_with_environment_context(
        &self,
        db: String,
        table: String,
        name: String,
        _: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.handle_append_partition_by_name(db, table, name)
    }
    fn handle_drop_partition(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        delete_data: bool,
    ) -> R<bool> {
        self.drop_parts(&db, &table, vec![vals], delete_data, th::DROP_PARTITION)
            .map(|_| true)
    }
    fn handle_drop_partition_with_environment_context(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        delete_data: bool,
        _: t::EnvironmentContext,
    ) -> R<bool> {
        self.drop_parts(
            &db,
            &table,
            vec![vals],
            delete_data,
            th::DROP_PARTITION_WITH_ENVIRONMENT_CONTEXT,
        )
        .map(|_| true)
    }
    fn handle_drop_partition_by_name(
        &self,
        db: String,
        table: String,
        name: String,
        delete_data: bool,
    ) -> R<bool> {
        let vals = self.values_of(&db, &table, &name, th::DROP_PARTITION_BY_NAME)?;
        self.drop_parts(
            &db,
            &table,
            vec![vals],
            delete_data,
            th::DROP_PARTITION_BY_NAME,
        )
        .map(|_| true)
    }
    fn handle_drop_partition_by_name_with_environment_context(
        &self,
        db: String,
        table: String,
        name: String,
        delete_data: bool,
        _: t::EnvironmentContext,
    ) -> R<bool> {
        self.handle_drop_partition_by_name(db, table, name, delete_data)
    }
    fn handle_drop_partitions_req(
        &self,
        req: t::DropPartitionsRequest,
    ) -> R<t::DropPartitionsResult> {
        self.drop_req(req)
    }
    fn handle_get_partition(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
    ) -> R<t::Partition> {
        self.get_part(&db, &table, &vals, th::GET_PARTITION)
    }
    fn handle_get_partition_req(&self, req: t::GetPartitionRequest) -> R<t::GetPartitionResponse> {
        let partition = self.get_part(
            &req.db_name,
            &req.tbl_name,
            &req.part_vals,
            th::GET_PARTITION_REQ,
        )?;
        Ok(t::GetPartitionResponse { partition })
    }
    fn handle_get_partition_with_auth(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        _: String,
        _: Vec<String>,
    ) -> R<t::Partition> {
        self.get_part(&db, &table, &vals, th::GET_PARTITION_WITH_AUTH)
    }
    fn handle_get_partition_by_name(
        &self,
        db: String,
        table: String,
        name: String,
    ) -> R<t::Partition> {
        let vals = self.values_of(&db, &table, &name, th::GET_PARTITION_BY_NAME)?;
        self.get_part(&db, &table, &vals, th::GET_PARTITION_BY_NAME)
    }
    fn handle_get_partitions(&self, db: String, table: String, max: i16) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::All,
            limit(max),
            th::GET_PARTITIONS,
        )
    }
    fn handle_get_partitions_with_auth(
        &self,
        db: String,
        table: String,
        max: i16,
        _: String,
        _: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::All,
            limit(max),
            th::GET_PARTITIONS_WITH_AUTH,
        )
    }
    fn handle_get_partition_names(&self, db: String, table: String, max: i16) -> R<Vec<String>> {
        self.list_names(
            &db,
            &table,
            PartitionQuery::All,
            limit(max),
            th::GET_PARTITION_NAMES,
        )
    }
    fn handle_get_partitions_ps(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        max: i16,
    ) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::Values(vals),
            limit(max),
            th::GET_PARTITIONS_PS,
        )
    }
    fn handle_get_partitions_ps_with_auth(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        max: i16,
        _: String,
        _: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::Values(vals),
            limit(max),
            th::GET_PARTITIONS_PS_WITH_AUTH,
        )
    }
    fn handle_get_partitions_ps_with_auth_req(
        &self,
        req: t::GetPartitionsPsWithAuthRequest,
    ) -> R<t::GetPartitionsPsWithAuthResponse> {
        let query = match (req.part_names, req.part_vals) {
            (Some(names), _) => PartitionQuery::Names(names),
            (None, Some(vals)) => PartitionQuery::Values(vals),
            (None, None) => PartitionQuery::All,
        };
        let partitions = self.list_parts(
            &req.db_name,
            &req.tbl_name,
            query,
            limit_opt(req.max_parts),
            th::GET_PARTITIONS_PS_WITH_AUTH_REQ,
        )?;
        Ok(t::GetPartitionsPsWithAuthResponse { partitions })
    }
    fn handle_get_partition_names_ps(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        max: i16,
    ) -> R<Vec<String>> {
        self.list_names(
            &db,
            &table,
            PartitionQuery::Values(vals),
            limit(max),
            th::GET_PARTITION_NAMES_PS,
        )
    }
    fn handle_get_partition_names_req(&self, req: t::PartitionsByExprRequest) -> R<Vec<String>> {
        if !req.expr.is_empty() {
            return Err(unknown_method("get_partition_names_req with an expression"));
        }
        self.list_names(
            &req.db_name,
            &req.tbl_name,
            PartitionQuery::All,
            limit_opt(req.max_parts),
            th::GET_PARTITION_NAMES_REQ,
        )
    }
    fn handle_get_partitions_by_filter(
        &self,
        db: String,
        table: String,
        filter: String,
        max: i16,
    ) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::Filter(filter),
            limit(max),
            th::GET_PARTITIONS_BY_FILTER,
        )
    }
    fn handle_get_partitions_by_filter_req(
        &self,
        req: t::GetPartitionsByFilterRequest,
    ) -> R<Vec<t::Partition>> {
        let (db, table) = (
            req.db_name.unwrap_or_default(),
            req.tbl_name.unwrap_or_default(),
        );
        let query = PartitionQuery::Filter(req.filter.unwrap_or_default());
        self.list_parts(
            &db,
            &table,
            query,
            limit_opt(req.max_parts),
            th::GET_PARTITIONS_BY_FILTER_REQ,
        )
    }
    fn handle_get_partitions_by_expr(
        &self,
        _req: t::PartitionsByExprRequest,
    ) -> R<t::PartitionsByExprResult> {
        // The expression is a Java Kryo blob; answering UNKNOWN_METHOD makes Hive clients fall
        // back to listing names and filtering themselves.
        Err(unknown_method("get_partitions_by_expr"))
    }
    fn handle_get_num_partitions_by_filter(
        &self,
        db: String,
        table: String,
        filter: String,
    ) -> R<i32> {
        let n = self.run(
            th::GET_NUM_PARTITIONS_BY_FILTER,
            self.catalog
                .count_partitions(&db_name(&db), &table, &filter),
        )?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    fn handle_get_partitions_by_names(
        &self,
        db: String,
        table: String,
        names: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list_parts(
            &db,
            &table,
            PartitionQuery::Names(names),
            None,
            th::GET_PARTITIONS_BY_NAMES,
        )
    }
    fn handle_get_partitions_by_names_req(
        &self,
        req: t::GetPartitionsByNamesRequest,
    ) -> R<t::GetPartitionsByNamesResult> {
        let query = PartitionQuery::Names(req.names.unwrap_or_default());
        let partitions = self.list_parts(
            &req.db_name,
            &req.tbl_name,
            query,
            None,
            th::GET_PARTITIONS_BY_NAMES_REQ,
        )?;
        Ok(t::GetPartitionsByNamesResult {
            partitions,
            dictionary: None,
        })
    }
    fn handle_alter_partition(&self, db: String, table: String, p: t::Partition) -> R<()> {
        self.alter_parts(&db, &table, vec![p], th::ALTER_PARTITION)
    }
    fn handle_alter_partitions(
        &self,
        db: String,
        table: String,
        parts: Vec<t::Partition>,
    ) -> R<()> {
        self.alter_parts(&db, &table, parts, th::ALTER_PARTITIONS)
    }
    fn handle_alter_partitions_with_environment_context(
        &self,
        db: String,
        table: String,
        parts: Vec<t::Partition>,
        _: t::EnvironmentContext,
    ) -> R<()> {
        self.alter_parts(
            &db,
            &table,
            parts,
            th::ALTER_PARTITIONS_WITH_ENVIRONMENT_CONTEXT,
        )
    }
    fn handle_alter_partitions_req(
        &self,
        req: t::AlterPartitionsRequest,
    ) -> R<t::AlterPartitionsResponse> {
        self.alter_parts(
            &req.db_name,
            &req.table_name,
            req.partitions,
            th::ALTER_PARTITIONS_REQ,
        )?;
        Ok(t::AlterPartitionsResponse {})
    }
    fn handle_alter_partition_with_environment_context(
        &self,
        db: String,
        table: String,
        p: t::Partition,
        _: t::EnvironmentContext,
    ) -> R<()> {
        self.alter_parts(
            &db,
            &table,
            vec![p],
            th::ALTER_PARTITION_WITH_ENVIRONMENT_CONTEXT,
        )
    }
    fn handle_rename_partition(
        &self,
        db: String,
        table: String,
        vals: Vec<String>,
        p: t::Partition,
    ) -> R<()> {
        self.rename_part(&db, &table, vals, p)
    }
    fn handle_get_config_value(&self, _name: String, default_value: String) -> R<String> {
        Ok(default_value)
    }
    fn handle_partition_name_to_vals(&self, name: String) -> R<Vec<String>> {
        let pairs =
            partname::parse_name(&name).map_err(|e| to_wire(e, th::PARTITION_NAME_TO_VALS))?;
        Ok(pairs.into_iter().map(|(_, v)| v).collect())
    }
    fn handle_partition_name_to_spec(&self, name: String) -> R<BTreeMap<String, String>> {
        let pairs =
            partname::parse_name(&name).map_err(|e| to_wire(e, th::PARTITION_NAME_TO_SPEC))?;
        Ok(pairs.into_iter().collect())
    }
    fn handle_update_table_column_statistics(&self, s: t::ColumnStatistics) -> R<bool> {
        self.update_stats(s, th::UPDATE_TABLE_COLUMN_STATISTICS)
    }
    fn handle_update_partition_column_statistics(&self, s: t::ColumnStatistics) -> R<bool> {
        self.update_stats(s, th::UPDATE_PARTITION_COLUMN_STATISTICS)
    }
    fn handle_get_table_column_statistics(
        &self,
        db: String,
        table: String,
        col: String,
    ) -> R<t::ColumnStatistics> {
        self.one_stat(&db, &table, None, &col, th::GET_TABLE_COLUMN_STATISTICS)
    }
    fn handle_get_partition_column_statistics(
        &self,
        db: String,
        table: String,
        part: String,
        col: String,
    ) -> R<t::ColumnStatistics> {
        self.one_stat(
            &db,
            &table,
            Some(&part),
            &col,
            th::GET_PARTITION_COLUMN_STATISTICS,
        )
    }
    fn handle_get_table_statistics_req(&self, r: t::TableStatsRequest) -> R<t::TableStatsResult> {
        let declared = th::GET_TABLE_STATISTICS_REQ;
        let stats = self.run(
            declared,
            self.catalog.get_column_stats(
                &db_name(&r.db_name),
                &r.tbl_name,
                &StatsTarget::Table,
                &r.col_names,
            ),
        )?;
        Ok(t::TableStatsResult {
            table_stats: stats.into_iter().map(cv::stats_to).collect(),
            is_stats_compliant: None,
        })
    }
    fn handle_get_partitions_statistics_req(
        &self,
        r: t::PartitionsStatsRequest,
    ) -> R<t::PartitionsStatsResult> {
        self.partition_stats(r)
    }
    fn handle_delete_partition_column_statistics(
        &self,
        db: String,
        table: String,
        part: String,
        col: String,
        _engine: String,
    ) -> R<bool> {
        self.delete_stats(
            &db,
            &table,
            Some(&part),
            &col,
            th::DELETE_PARTITION_COLUMN_STATISTICS,
        )
    }
    fn handle_delete_table_column_statistics(
        &self,
        db: String,
        table: String,
        col: String,
        _engine: String,
    ) -> R<bool> {
        self.delete_stats(&db, &table, None, &col, th::DELETE_TABLE_COLUMN_STATISTICS)
    }
    fn handle_create_function(&self, f: t::Function) -> R<()> {
        let declared = th::CREATE_FUNCTION;
        let f = cv::function_from(f).map_err(|e| to_wire(e, declared))?;
        self.run(declared, self.catalog.create_function(f))
    }
    fn handle_drop_function(&self, db: String, name: String) -> R<()> {
        self.run(
            th::DROP_FUNCTION,
            self.catalog.drop_function(&db_name(&db), &name),
        )
    }
    fn handle_alter_function(&self, db: String, name: String, f: t::Function) -> R<()> {
        let declared = th::ALTER_FUNCTION;
        let f = cv::function_from(f).map_err(|e| to_wire(e, declared))?;
        self.run(
            declared,
            self.catalog.alter_function(&db_name(&db), &name, f),
        )
    }
    fn handle_get_functions(&self, db: String, pattern: String) -> R<Vec<String>> {
        self.run(
            th::GET_FUNCTIONS,
            self.catalog.list_functions(&db_name(&db), Some(&pattern)),
        )
    }
    fn handle_get_function(&self, db: String, name: String) -> R<t::Function> {
        let f = self.run(
            th::GET_FUNCTION,
            self.catalog.get_function(&db_name(&db), &name),
        )?;
        Ok(cv::function_to(f))
    }
    fn handle_get_all_functions(&self) -> R<t::GetAllFunctionsResponse> {
        let fs = self.run(th::GET_ALL_FUNCTIONS, self.catalog.all_functions())?;
        Ok(t::GetAllFunctionsResponse {
            functions: Some(fs.into_iter().map(cv::function_to).collect()),
        })
    }
    fn handle_set_ugi(&self, _user: String, groups: Vec<String>) -> R<Vec<String>> {
        Ok(groups)
    }
    fn handle_lock(&self, r: t::LockRequest) -> R<t::LockResponse> {
        let comps = r.component.into_iter().map(lock_component).collect();
        let st = self.run(th::LOCK, self.catalog.lock(comps, &r.user))?;
        Ok(lock_response(st))
    }
    fn handle_check_lock(&self, r: t::CheckLockRequest) -> R<t::LockResponse> {
        Ok(lock_response(
            self.run(th::CHECK_LOCK, self.catalog.check_lock(r.lockid))?,
        ))
    }
    fn handle_unlock(&self, r: t::UnlockRequest) -> R<()> {
        self.run(th::UNLOCK, self.catalog.unlock(r.lockid))
    }
    fn handle_show_locks(&self, _r: t::ShowLocksRequest) -> R<t::ShowLocksResponse> {
        Ok(t::ShowLocksResponse {
            locks: Some(vec![]),
        })
    }
    fn handle_heartbeat(&self, r: t::HeartbeatRequest) -> R<()> {
        match r.lockid {
            Some(id) => self.run(th::HEARTBEAT, self.catalog.heartbeat(id)),
            None => Ok(()),
        }
    }
    fn handle_get_next_notification(
        &self,
        r: t::NotificationEventRequest,
    ) -> R<t::NotificationEventResponse> {
        self.next_events(r)
    }
    fn handle_get_current_notification_event_id(&self) -> R<t::CurrentNotificationEventId> {
        self.current_event()
    }
    fn handle_get_notification_events_count(
        &self,
        r: t::NotificationEventsCountRequest,
    ) -> R<t::NotificationEventsCountResponse> {
        self.count_events(r)
    }
}
