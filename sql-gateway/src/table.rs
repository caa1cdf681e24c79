//! `HiveTable`: a DataFusion table over a cataloged Hive table. Partitions come from the
//! catalog, narrowed by its partition filter and then filtered exactly in memory; only the
//! surviving partitions' folders are listed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{internal_err, Column, DFSchema, Statistics};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{helpers::expr_applicable_for_cols, PartitionedFile};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::cache::cache_manager::CachedFileMetadata;
use datafusion::execution::cache::{SchemaFingerprint, TableScopedPath};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::create_physical_expr;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use datafusion_datasource::compute_all_files_statistics;
use futures::{StreamExt, TryStreamExt};
use metastore::model::{Partition, PartitionQuery, Table};
use metastore::partname::DEFAULT_PARTITION;
use metastore::Catalog;
use object_store::ObjectStore;

use crate::error::{Error, Result};
use crate::format::{compression_of, TableFormat};
use crate::hive_filter::to_hive_filter;
use crate::hive_types::to_field;
use crate::orc_columns::OrcColumns;
use crate::storage::Location;
use crate::text_scan::{self, HiveTextSource};

const LIST_CONCURRENCY: usize = 64;
/// Parquet footers read at once when a scan gathers file statistics.
const STATS_CONCURRENCY: usize = 16;
/// Scans of more files than this plan without footer statistics: reading thousands of
/// footers before a `LIMIT 10` would cost more than a better join order saves.
const STATS_MAX_FILES: usize = 1_000;

/// A cataloged table as a DataFusion table.
#[derive(Debug)]
pub(crate) struct HiveTable {
    catalog: Arc<dyn Catalog>,
    table: Table,
    format: TableFormat,
    location: Location,
    schema: SchemaRef,
    file_schema: SchemaRef,
    /// What the files are read as: `file_schema`, or for delimited text all text
    /// (`text_scan`).
    read_schema: SchemaRef,
    /// Identifies `file_schema` in the file-statistics cache.
    fingerprint: Arc<SchemaFingerprint>,
    part_fields: Vec<FieldRef>,
}

impl HiveTable {
    /// Wraps a catalog table; fails on types, formats or locations it cannot read.
    pub(crate) fn try_new(catalog: Arc<dyn Catalog>, table: Table) -> Result<Self> {
        let field =
            |c: &metastore::model::Column| -> Result<FieldRef> { Ok(Arc::new(to_field(c)?)) };
        let format = TableFormat::of(&table)?;
        let data = data_fields(&table, &format)?;
        let part_fields: Vec<FieldRef> = table
            .partition_keys
            .iter()
            .map(field)
            .collect::<Result<_>>()?;
        let file_schema = Arc::new(Schema::new(data.clone()));
        let schema = Arc::new(Schema::new(
            data.into_iter()
                .chain(part_fields.iter().cloned())
                .collect::<Vec<_>>(),
        ));
        let location = Location::parse(table.sd.location.as_deref().unwrap_or(""))?;
        let read_schema = match format {
            TableFormat::Text(_) => text_scan::as_text(&file_schema),
            _ => Arc::clone(&file_schema),
        };
        Ok(HiveTable {
            format,
            read_schema,
            catalog,
            table,
            location,
            schema,
            fingerprint: Arc::new(SchemaFingerprint::from_schema(&file_schema)),
            file_schema,
            part_fields,
        })
    }

    fn key_names(&self) -> Vec<String> {
        self.part_fields.iter().map(|f| f.name().clone()).collect()
    }

    /// The folders to read, each with its typed partition values.
    async fn folders(
        &self,
        filters: &[Expr],
    ) -> Result<(Vec<(Location, Vec<ScalarValue>)>, Option<usize>)> {
        if self.part_fields.is_empty() {
            let rows = param_count(&self.table.parameters);
            return Ok((vec![(self.location.clone(), vec![])], rows));
        }
        let query = match to_hive_filter(filters, &self.key_names()) {
            Some(f) => PartitionQuery::Filter(f),
            None => PartitionQuery::All,
        };
        let parts = self
            .catalog
            .list_partitions(&self.table.db_name, &self.table.name, &query, None)
            .await?;
        let parts = self.keep_matching(parts, filters)?;
        let rows = parts
            .iter()
            .map(|(p, _)| param_count(&p.parameters))
            .sum::<Option<usize>>();
        let mut out = Vec::with_capacity(parts.len());
        for (part, values) in parts {
            let loc = match part.sd.location.as_deref() {
                Some(l) if !l.is_empty() => Location::parse(l)?,
                _ => self
                    .location
                    .child(&self.table.partition_name(&part.values)?),
            };
            if loc.store != self.location.store {
                return Err(Error::Unsupported(format!(
                    "partition {:?} is in another store ({}) than its table",
                    part.values, loc.store
                )));
            }
            out.push((loc, values));
        }
        Ok((out, rows))
    }

    /// Types the partitions' values and keeps those every filter accepts.
    fn keep_matching(
        &self,
        parts: Vec<Partition>,
        filters: &[Expr],
    ) -> Result<Vec<(Partition, Vec<ScalarValue>)>> {
        let typed: Vec<Vec<ScalarValue>> = parts
            .iter()
            .map(|p| typed_values(&p.values, &self.part_fields))
            .collect();
        let Some(filter) = conjunction(filters.iter().cloned()) else {
            return Ok(parts.into_iter().zip(typed).collect());
        };
        if parts.is_empty() {
            return Ok(vec![]);
        }
        let schema = Arc::new(Schema::new(self.part_fields.clone()));
        let columns = (0..self.part_fields.len())
            .map(|i| ScalarValue::iter_to_array(typed.iter().map(|v| v[i].clone())))
            .collect::<DfResult<Vec<ArrayRef>>>()?;
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), columns).map_err(DataFusionError::from)?;
        let df_schema = DFSchema::try_from(schema)?;
        let filter = unqualify(filter)?;
        let expr = create_physical_expr(
            &filter,
            &df_schema,
            &Default::default(),
            &Default::default(),
        )?;
        let mask = expr.evaluate(&batch)?.into_array(batch.num_rows())?;
        let mask = mask.as_boolean();
        Ok(parts
            .into_iter()
            .zip(typed)
            .enumerate()
            .filter(|(i, _)| !mask.is_null(*i) && mask.value(*i))
            .map(|(_, p)| p)
            .collect())
    }
}

/// The data columns as the scan yields them. Parquet's reader reads strings as `Utf8View`
/// (`schema_force_view_types`), so a Parquet table declares its top-level strings so: no cast
/// of every value to `Utf8`, short strings stay inline for grouping and comparing (TPC-H q1
/// 460 -> 370 ms), and footer statistics of string columns match the table's type, so string
/// predicates prune row groups. Writers still write `Utf8` (`athena::write`).
fn data_fields(table: &Table, format: &TableFormat) -> Result<Vec<FieldRef>> {
    let view = *format == TableFormat::Parquet;
    table
        .sd
        .columns
        .iter()
        .map(|c| {
            let f = to_field(c)?;
            Ok(Arc::new(match f.data_type() {
                DataType::Utf8 if view => f.with_data_type(DataType::Utf8View),
                _ => f,
            }))
        })
        .collect()
}

fn param_count(params: &BTreeMap<String, String>) -> Option<usize> {
    params
        .get("numRows")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|n| usize::try_from(n).ok())
}

fn typed_values(values: &[String], fields: &[FieldRef]) -> Vec<ScalarValue> {
    fields
        .iter()
        .zip(values)
        .map(|(f, v)| {
            let null = || ScalarValue::try_new_null(f.data_type()).unwrap_or(ScalarValue::Null);
            if v == DEFAULT_PARTITION {
                return null();
            }
            ScalarValue::try_from_string(v.clone(), f.data_type()).unwrap_or_else(|_| null())
        })
        .collect()
}

fn unqualify(e: Expr) -> DfResult<Expr> {
    e.transform(|e| match e {
        Expr::Column(c) if c.relation.is_some() => Ok(Transformed::yes(Expr::Column(
            Column::new_unqualified(c.name),
        ))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

fn hidden(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

/// Every data file under a folder, skipping `_`/`.` files and folders; a missing folder has
/// none.
async fn list_folder(
    store: Arc<dyn ObjectStore>,
    loc: Location,
    values: Vec<ScalarValue>,
) -> Result<Vec<PartitionedFile>> {
    let prefix_len = loc.path.parts().count();
    let listing = store.list(Some(&loc.path));
    let objects: Vec<_> = match listing.try_collect::<Vec<_>>().await {
        Ok(objects) => objects,
        Err(object_store::Error::NotFound { .. }) => return Ok(vec![]),
        Err(e) => return Err(e.into()),
    };
    Ok(objects
        .into_iter()
        .filter(|o| o.size > 0)
        .filter(|o| {
            !o.location
                .parts()
                .skip(prefix_len)
                .any(|p| hidden(p.as_ref()))
        })
        .map(|o| PartitionedFile::new_from_meta(o).with_partition_values(values.clone()))
        .collect())
}

impl HiveTable {
    /// Splits `files` into one group per target partition, with statistics. For up to
    /// [`STATS_MAX_FILES`] Parquet files, each file's footer statistics (cached by DataFusion's
    /// file-statistics cache, checked against the listing's size and modification time), so
    /// joins are planned from real row counts and `count(*)` can come from metadata; otherwise
    /// the catalog's `numRows`.
    async fn plan_groups(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        format: Option<&dyn FileFormat>,
        files: Vec<PartitionedFile>,
        rows: Option<usize>,
    ) -> DfResult<(Vec<FileGroup>, Statistics)> {
        let partitions = state.config().target_partitions();
        let format = format.filter(|_| {
            self.format == TableFormat::Parquet
                && state.config().collect_statistics()
                && files.len() <= STATS_MAX_FILES
        });
        let Some(format) = format else {
            let mut stats = Statistics::new_unknown(&self.schema);
            if let Some(n) = rows {
                stats = stats.with_num_rows(Precision::Inexact(n));
            }
            return Ok((FileGroup::new(files).split_files(partitions), stats));
        };
        let files: Vec<PartitionedFile> = futures::stream::iter(files)
            .map(|f| self.with_file_statistics(state, store, format, f))
            .buffered(STATS_CONCURRENCY)
            .try_collect()
            .await?;
        let groups = FileGroup::new(files).split_files(partitions);
        compute_all_files_statistics(groups, Arc::clone(&self.schema), true, false)
    }

    /// An ORC table, read one partition at a time through [`OrcColumns`] (datafusion-orc 0.10
    /// returns file columns in file order and drops partition columns).
    async fn scan_orc(
        &self,
        state: &dyn Session,
        files: Vec<PartitionedFile>,
        projected: SchemaRef,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let wanted = projection.unwrap_or(&all);
        let n_data = self.file_schema.fields().len();
        let data_cols: Vec<usize> = wanted.iter().copied().filter(|&i| i < n_data).collect();
        let mut by_values: HashMap<Vec<ScalarValue>, Vec<PartitionedFile>> = HashMap::new();
        for mut f in files {
            let values = std::mem::take(&mut f.partition_values);
            by_values.entry(values).or_default().push(f);
        }
        let Some(format) = self
            .format
            .file_format(state, FileCompressionType::UNCOMPRESSED, false)
        else {
            return internal_err!("no file format for ORC");
        };
        let mut plans = Vec::with_capacity(by_values.len());
        for (values, group) in by_values {
            let table_schema = TableSchema::builder(Arc::clone(&self.read_schema)).build();
            let groups = FileGroup::new(group).split_files(state.config().target_partitions());
            let config = FileScanConfigBuilder::new(
                self.location.store.clone(),
                format.file_source(table_schema),
            )
            .with_file_groups(groups)
            .with_projection_indices(Some(data_cols.clone()))?
            .with_limit(limit)
            .build();
            let scan = format.create_physical_plan(state, config).await?;
            let constants = wanted
                .iter()
                .map(|&i| i.checked_sub(n_data).map(|k| values[k].clone()))
                .collect();
            let plan = OrcColumns::new(scan, Arc::clone(&projected), constants);
            plans.push(Arc::new(plan) as Arc<dyn ExecutionPlan>);
        }
        if plans.len() == 1 {
            return Ok(plans.remove(0));
        }
        UnionExec::try_new(plans)
    }

    async fn with_file_statistics(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        format: &dyn FileFormat,
        file: PartitionedFile,
    ) -> DfResult<PartitionedFile> {
        let cache = state.runtime_env().cache_manager.get_file_statistic_cache();
        let key = TableScopedPath {
            table: None,
            path: file.object_meta.location.clone(),
        };
        if let Some(cached) = cache.as_ref().and_then(|c| c.get(&key)) {
            if cached.is_valid_for(&file.object_meta, &self.fingerprint) {
                return Ok(with_statistics(file, cached.statistics));
            }
        }
        let stats = format
            .infer_stats(
                state,
                store,
                Arc::clone(&self.file_schema),
                &file.object_meta,
            )
            .await?;
        let stats = Arc::new(without_byte_sizes(stats));
        if let Some(cache) = cache {
            let entry = CachedFileMetadata::new(
                file.object_meta.clone(),
                Arc::clone(&self.fingerprint),
                Arc::clone(&stats),
                None,
            );
            cache.put(&key, entry);
        }
        Ok(with_statistics(file, stats))
    }
}

/// Footer statistics without their byte sizes, so joins choose between one shared hash table
/// and partitioned ones by row counts (`hash_join_single_partition_threshold_rows`).
/// DataFusion 55 carries a column's byte size from the whole scan through filters and joins
/// unscaled: TPC-H q21's 60,000-row build side was estimated at 95 MB and partitioned, which
/// repartitions 3.8 million probe rows (+80 ms).
fn without_byte_sizes(mut stats: Statistics) -> Statistics {
    stats.total_byte_size = Precision::Absent;
    for col in &mut stats.column_statistics {
        col.byte_size = Precision::Absent;
    }
    stats
}

/// `file` with its footer statistics and exact statistics for its partition columns, except
/// that a NULL partition value (`__HIVE_DEFAULT_PARTITION__`) makes its column all nulls, not
/// a column of one known value (which DataFusion would use to answer `count(key)` or
/// `min(key)` from metadata).
fn with_statistics(file: PartitionedFile, stats: Arc<Statistics>) -> PartitionedFile {
    let nulls: Vec<usize> = file
        .partition_values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_null())
        .map(|(i, _)| i)
        .collect();
    let file_columns = stats.column_statistics.len();
    let mut file = file.with_statistics(stats);
    if nulls.is_empty() {
        return file;
    }
    if let Some(stats) = file.statistics.as_mut() {
        let stats = Arc::make_mut(stats);
        let rows = stats.num_rows;
        for i in nulls {
            if let Some(col) = stats.column_statistics.get_mut(file_columns + i) {
                col.null_count = rows;
                col.min_value = Precision::Absent;
                col.max_value = Precision::Absent;
                col.distinct_count = Precision::Absent;
                col.sum_value = Precision::Absent;
            }
        }
    }
    file
}

#[async_trait]
impl TableProvider for HiveTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        let keys = self.key_names();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        Ok(filters
            .iter()
            .map(|f| {
                if !keys.is_empty() && expr_applicable_for_cols(&keys, f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let keys = self.key_names();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let part_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| !keys.is_empty() && expr_applicable_for_cols(&keys, f))
            .cloned()
            .collect();
        // Filters a hash join builds at run time (dynamic filters) pay off as Parquet row
        // filters: a small build side lets the probe scan skip most rows while decoding (TPC-H
        // q17, q18). A scan's own filters mostly test columns it reads anyway, where row
        // filtering costs more than it saves (q6, q12); they stay statistics pruning unless
        // the session turns on `datafusion.execution.parquet.pushdown_filters`.
        let row_filters = part_filters.len() == filters.len();
        let (folders, rows) = self.folders(&part_filters).await?;
        let store = state.runtime_env().object_store(&self.location.store)?;
        let files: Vec<PartitionedFile> = futures::stream::iter(folders)
            .map(|(loc, values)| list_folder(Arc::clone(&store), loc, values))
            .buffer_unordered(LIST_CONCURRENCY)
            .try_concat()
            .await?;
        let projected = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        if files.is_empty() {
            return Ok(Arc::new(EmptyExec::new(projected)));
        }
        if self.format == TableFormat::Orc {
            return self
                .scan_orc(state, files, projected, projection, limit)
                .await;
        }
        let mut by_compression: BTreeMap<String, Vec<PartitionedFile>> = BTreeMap::new();
        for f in files {
            let key = if self.format.is_text() {
                format!("{:?}", compression_of(f.object_meta.location.as_ref()))
            } else {
                String::new()
            };
            by_compression.entry(key).or_default().push(f);
        }
        let mut plans = Vec::new();
        for group in by_compression.into_values() {
            let compression = if self.format.is_text() {
                compression_of(group[0].object_meta.location.as_ref())
            } else {
                FileCompressionType::UNCOMPRESSED
            };
            let table_schema = TableSchema::builder(Arc::clone(&self.read_schema))
                .with_table_partition_cols(self.part_fields.clone())
                .build();
            let format = self.format.file_format(state, compression, row_filters);
            let source = match (&self.format, &format) {
                (TableFormat::Text(t), _) => {
                    Arc::new(HiveTextSource::new(t.clone(), table_schema)?) as Arc<dyn FileSource>
                }
                (_, Some(f)) => f.file_source(table_schema),
                (_, None) => return internal_err!("no file format for {:?}", self.format),
            };
            let (groups, stats) = self
                .plan_groups(state, &store, format.as_deref(), group, rows)
                .await?;
            let config = FileScanConfigBuilder::new(self.location.store.clone(), source)
                .with_file_groups(groups)
                .with_statistics(stats)
                .with_file_compression_type(compression)
                .with_projection_indices(projection.cloned())?
                .with_limit(limit)
                .build();
            plans.push(match format {
                Some(format) => format.create_physical_plan(state, config).await?,
                None => text_scan::typed(
                    state,
                    DataSourceExec::from_data_source(config),
                    &self.schema,
                    &self.read_schema,
                )?,
            });
        }
        if plans.len() == 1 {
            return Ok(plans.remove(0));
        }
        UnionExec::try_new(plans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field};

    #[test]
    fn types_partition_values_and_nulls_the_default_partition() {
        let fields: Vec<FieldRef> = vec![
            Arc::new(Field::new("year", DataType::Int32, true)),
            Arc::new(Field::new("region", DataType::Utf8, true)),
        ];
        let v = typed_values(&["2024".into(), DEFAULT_PARTITION.into()], &fields);
        assert_eq!(v[0], ScalarValue::Int32(Some(2024)));
        assert_eq!(v[1], ScalarValue::Utf8(None));
        let bad = typed_values(&["x".into(), "eu".into()], &fields);
        assert_eq!(bad[0], ScalarValue::Int32(None));
        assert!(hidden("_SUCCESS") && hidden(".staging") && !hidden("part-0.parquet"));
    }

    #[test]
    fn parquet_strings_are_views_and_other_formats_keep_utf8() {
        let col = |name: &str, t: &str| metastore::model::Column {
            name: name.into(),
            type_name: t.into(),
            ..Default::default()
        };
        let mut table = Table::default();
        table.sd.columns = vec![col("s", "string"), col("v", "varchar(5)"), col("n", "int")];
        table.sd.serde.serialization_lib =
            Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".into());
        let types = |t: &Table| -> Vec<DataType> {
            let format = TableFormat::of(t).unwrap();
            let fields = data_fields(t, &format).unwrap();
            fields.iter().map(|f| f.data_type().clone()).collect()
        };
        use DataType::*;
        assert_eq!(types(&table), [Utf8View, Utf8View, Int32]);
        table.sd.serde.serialization_lib =
            Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe".into());
        assert_eq!(types(&table), [Utf8, Utf8, Int32]);
    }

    #[test]
    fn footer_statistics_lose_only_their_byte_sizes() {
        let mut stats =
            Statistics::new_unknown(&Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        stats.num_rows = Precision::Exact(10);
        stats.total_byte_size = Precision::Exact(80);
        stats.column_statistics[0].byte_size = Precision::Exact(80);
        stats.column_statistics[0].null_count = Precision::Exact(1);
        let out = without_byte_sizes(stats);
        assert_eq!(out.num_rows, Precision::Exact(10));
        assert_eq!(out.total_byte_size, Precision::Absent);
        assert_eq!(out.column_statistics[0].byte_size, Precision::Absent);
        assert_eq!(out.column_statistics[0].null_count, Precision::Exact(1));
    }
}
