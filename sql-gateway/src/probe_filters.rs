//! `ProbeRowFilters`: a hash join's run-time filter is tested row by row in the Parquet scan
//! it probes only when the join's build side is small.
//!
//! Scans of Cataloged Parquet tables without filters of their own read with Parquet row
//! filters on (`table.rs`), so the filter a hash join derives from its build side (its key
//! range and a hash lookup) skips rows while they are decoded: with a few thousand keys that
//! halves TPC-H q17 and q18. With a big build side the filter keeps many rows, and a hash
//! lookup per row costs more than decoding the columns it would skip: q5's lineitem scan
//! spent 132 ms of its 390 ms testing 6 million rows against 227,000 order keys, to keep 15 %
//! of them, and the join looked each kept row up again.
//!
//! This rule runs right after DataFusion's `JoinSelection` (which fixes each join's build
//! side) and before filter pushdown: below a join whose build side is estimated above
//! [`BIG_BUILD_ROWS`] rows, the Parquet scans its probe side reads turn row filters off (q5
//! ~250 -> ~225 ms, q9 ~520 -> ~390 ms). The join's filter still prunes row groups and pages
//! by their statistics there. Estimates of aggregated build sides are not trusted (see
//! [`visit`]).

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::datasource::physical_plan::{
    FileScanConfig, FileScanConfigBuilder, FileSource, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::ExecutionPlan;

use crate::plan_walk::map_children;

/// Build sides estimated above this many rows make filters too weak to test row by row.
pub(crate) const BIG_BUILD_ROWS: usize = 100_000;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct ProbeRowFilters;

impl PhysicalOptimizerRule for ProbeRowFilters {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // A session that asked for row filters everywhere keeps them.
        if config.execution.parquet.pushdown_filters {
            return Ok(plan);
        }
        Ok(visit(plan)?.data)
    }

    fn name(&self) -> &str {
        "lakehive_probe_row_filters"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan` with the rule applied to each join, from the top. Below a join whose build side's
/// size is unknown or comes out of an aggregation nothing changes: DataFusion estimates an
/// aggregate's output as its input (TPC-H q18's `HAVING` subquery: 1.2 million estimated, 57
/// real), and a small real build side shrinks, through its own run-time filter, the build
/// sides of the joins below it.
fn visit(plan: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let Some(join) = plan.downcast_ref::<HashJoinExec>() else {
        return visit_children(plan);
    };
    let Some(rows) = build_rows(join.left()) else {
        return Ok(Transformed::no(plan));
    };
    if rows <= BIG_BUILD_ROWS {
        return visit_children(plan);
    }
    let build = visit(Arc::clone(join.left()))?;
    let probe = without_row_filters(Arc::clone(join.right()))?;
    if !build.transformed && !probe.transformed {
        return Ok(Transformed::no(plan));
    }
    let children = vec![build.data, probe.data];
    Ok(Transformed::yes(replace_children_if_necessary(
        plan, children,
    )?))
}

fn visit_children(plan: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    map_children(plan, |_, child| visit(child))
}

/// The estimated rows of a join's build side, unless unknown or out of an aggregation.
fn build_rows(build: &Arc<dyn ExecutionPlan>) -> Option<usize> {
    let aggregated = build
        .exists(|node| Ok(node.is::<AggregateExec>()))
        .unwrap_or(true);
    if aggregated {
        return None;
    }
    StatisticsContext::new()
        .compute(build.as_ref(), &StatisticsArgs::new())
        .ok()
        .and_then(|s| s.num_rows.get_value().copied())
}

/// `plan` with Parquet row filters off in the scans whose rows reach its output, through
/// operators that pass rows on and the probe sides of further joins.
fn without_row_filters(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
        return Ok(match scan_without_row_filters(scan) {
            Some(new) => Transformed::yes(new),
            None => Transformed::no(plan),
        });
    }
    let through = if plan.is::<HashJoinExec>() {
        1 // the probe side
    } else if plan.is::<ProjectionExec>()
        || plan.is::<FilterExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
    {
        0
    } else {
        return Ok(Transformed::no(plan));
    };
    map_children(plan, |i, child| match i == through {
        true => without_row_filters(child),
        false => Ok(Transformed::no(child)),
    })
}

fn scan_without_row_filters(scan: &DataSourceExec) -> Option<Arc<dyn ExecutionPlan>> {
    let config = scan.data_source().downcast_ref::<FileScanConfig>()?;
    let parquet = config.file_source().downcast_ref::<ParquetSource>()?;
    // A scan that already holds a predicate may have taken a filter over from the plan
    // (a view's plan is optimized before the query around it): it keeps its settings.
    if !parquet.table_parquet_options().global.pushdown_filters || parquet.filter().is_some() {
        return None;
    }
    let source = Arc::new(parquet.clone().with_pushdown_filters(false));
    let config = FileScanConfigBuilder::from(config.clone())
        .with_source(source)
        .build();
    Some(DataSourceExec::from_data_source(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use datafusion::common::stats::Precision;
    use datafusion::common::{NullEquality, Statistics};
    use datafusion::datasource::listing::PartitionedFile;
    use datafusion::execution::object_store::ObjectStoreUrl;
    use datafusion::logical_expr::JoinType;
    use datafusion::physical_expr::expressions::Column;
    use datafusion::physical_plan::joins::PartitionMode;

    fn schema(name: &str) -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new(name, DataType::Int64, false)]))
    }

    /// A Parquet scan of `rows` estimated rows, reading with row filters or not.
    fn scan(name: &str, rows: usize, row_filters: bool) -> Arc<dyn ExecutionPlan> {
        let schema = schema(name);
        let source = ParquetSource::new(Arc::clone(&schema)).with_pushdown_filters(row_filters);
        let stats = Statistics::new_unknown(&schema).with_num_rows(Precision::Inexact(rows));
        let config =
            FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
                .with_file(PartitionedFile::new(format!("{name}.parquet"), 100))
                .with_statistics(stats)
                .build();
        DataSourceExec::from_data_source(config)
    }

    fn join(
        build: Arc<dyn ExecutionPlan>,
        probe: Arc<dyn ExecutionPlan>,
    ) -> Arc<dyn ExecutionPlan> {
        let l = build.schema().field(0).name().clone();
        let r = probe.schema().field(0).name().clone();
        let on = vec![(
            Arc::new(Column::new(&l, 0)) as _,
            Arc::new(Column::new(&r, 0)) as _,
        )];
        let join = HashJoinExec::try_new(
            build,
            probe,
            on,
            None,
            &JoinType::Inner,
            None,
            PartitionMode::CollectLeft,
            NullEquality::NullEqualsNothing,
            false,
        )
        .unwrap();
        Arc::new(join)
    }

    /// Whether each Parquet scan in `plan` reads with row filters, in plan order.
    fn row_filters(plan: &Arc<dyn ExecutionPlan>) -> Vec<bool> {
        let mut out = Vec::new();
        plan.apply(|node| {
            if let Some(scan) = node.downcast_ref::<DataSourceExec>() {
                let config = scan.data_source().downcast_ref::<FileScanConfig>().unwrap();
                let parquet = config
                    .file_source()
                    .downcast_ref::<ParquetSource>()
                    .unwrap();
                out.push(parquet.table_parquet_options().global.pushdown_filters);
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        })
        .unwrap();
        out
    }

    fn optimize(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        ProbeRowFilters
            .optimize(plan, &ConfigOptions::default())
            .unwrap()
    }

    #[test]
    fn only_probe_scans_below_a_big_build_side_lose_row_filters() {
        // small build over (big build over the probe scan): only the big one counts.
        let inner = join(
            scan("orders", 200_000, true),
            scan("lineitem", 6_000_000, true),
        );
        let plan = join(scan("nation", 25, true), inner);
        assert_eq!(row_filters(&optimize(plan)), [true, true, false]);
        // A small build side keeps them.
        let plan = join(scan("part", 2_000, true), scan("lineitem", 6_000_000, true));
        assert_eq!(row_filters(&optimize(plan)), [true, true]);
    }

    #[test]
    fn sessions_with_row_filters_everywhere_keep_them() {
        let plan = join(
            scan("orders", 200_000, true),
            scan("lineitem", 6_000_000, true),
        );
        let mut config = ConfigOptions::default();
        config.execution.parquet.pushdown_filters = true;
        let out = ProbeRowFilters.optimize(plan, &config).unwrap();
        assert_eq!(row_filters(&out), [true, true]);
    }
}
