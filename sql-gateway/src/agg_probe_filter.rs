//! `FilterBeforeAggregate`: a hash join's run-time filter that DataFusion pushed through an
//! aggregation into a Parquet scan is also tested by the filter right above that scan, so the
//! aggregation only sees the rows the join can match.
//!
//! A scan with a filter of its own reads without Parquet row filters (`table.rs`): the join's
//! run-time filter then only prunes row groups and pages by their statistics, and every row
//! that passes the scan's own filter is aggregated. In TPC-H q20 that is 909,000 `lineitem`
//! rows summed into 543,000 groups, of which the join above keeps 263; the join's filter
//! (a key range and a hash lookup on the build side's 366 keys) keeps about 1,300 of those
//! rows. Below a join whose probe side is a plain scan, testing the filter there as well only
//! repeats the join's own lookup (TPC-H q7 was slower with it), so only filters that crossed
//! an aggregation on their way down are added.
//!
//! Rows the filter removes are rows DataFusion allowed the scan itself to drop, so the
//! results are the same. The rule runs after DataFusion has pushed the run-time filters into
//! the scans.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::Result;
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_expr::utils::{conjunction, reassign_expr_columns, split_conjunction};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::ExecutionPlan;

use crate::plan_walk::map_children;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct FilterBeforeAggregate;

impl PhysicalOptimizerRule for FilterBeforeAggregate {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(visit(plan, &Filters::default())?.data)
    }

    fn name(&self) -> &str {
        "lakehive_filter_before_aggregate"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The run-time filters of the joins above a node, by expression id.
#[derive(Debug, Default, Clone)]
struct Filters {
    /// Produced by joins whose probe side leads here; no aggregation crossed yet.
    above: HashSet<u64>,
    /// Of those, the ones that crossed an aggregation on the way here.
    across: HashSet<u64>,
}

fn visit(
    plan: Arc<dyn ExecutionPlan>,
    filters: &Filters,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        if let Some(new) = with_scan_filters(filter, &filters.across)? {
            return Ok(Transformed::yes(new));
        }
    }
    let mut below = filters.clone();
    let probe_side = if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        let mut probe = filters.clone();
        probe.above.extend(
            join.dynamic_expressions_produced()
                .iter()
                .filter_map(|e| e.expression_id()),
        );
        Some(probe)
    } else {
        if plan.is::<AggregateExec>() {
            below.across.extend(below.above.iter().copied());
        }
        None
    };
    map_children(plan, |i, child| {
        let scope = match (&probe_side, i) {
            (Some(probe), 1) => probe,
            _ => &below,
        };
        visit(child, scope)
    })
}

/// `filter`, when it reads a Parquet scan holding some of `wanted`, with those added to its
/// predicate (renumbered from the table's columns to the scan's output).
fn with_scan_filters(
    filter: &FilterExec,
    wanted: &HashSet<u64>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if wanted.is_empty() {
        return Ok(None);
    }
    let Some(predicate) = scan_predicate(filter.input()) else {
        return Ok(None);
    };
    let schema = filter.input().schema();
    let own = split_conjunction(filter.predicate());
    let mut added = Vec::new();
    for part in split_conjunction(&predicate) {
        let Some(id) = part.expression_id() else {
            continue;
        };
        if !wanted.contains(&id) || own.iter().any(|e| e.expression_id() == Some(id)) {
            continue;
        }
        match reassign_expr_columns(Arc::clone(part), &schema) {
            Ok(expr) => added.push(expr),
            Err(_) => return Ok(None),
        }
    }
    if added.is_empty() {
        return Ok(None);
    }
    let mut parts: Vec<Arc<dyn PhysicalExpr>> = own.into_iter().cloned().collect();
    parts.extend(added);
    let new = FilterExecBuilder::from(filter)
        .with_predicate(conjunction(parts))
        .build()?;
    Ok(Some(Arc::new(new)))
}

/// The predicate of `plan` if it is a Parquet scan with one, possibly spread over partitions
/// by a round-robin repartition (which passes its input's columns on unchanged).
fn scan_predicate(plan: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn PhysicalExpr>> {
    if let Some(repartition) = plan.downcast_ref::<RepartitionExec>() {
        return scan_predicate(repartition.input());
    }
    let scan = plan.downcast_ref::<DataSourceExec>()?;
    let config = scan.data_source().downcast_ref::<FileScanConfig>()?;
    let parquet = config.file_source().downcast_ref::<ParquetSource>()?;
    parquet.filter()
}

#[cfg(test)]
mod tests {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::execution::SessionStateBuilder;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    /// A context with the gateway's physical rules (or DataFusion's alone) over two Parquet
    /// tables: `small` (3 keys) and `big` (keys 0..999, four rows each, `d` 0..3).
    async fn context(ours: bool) -> (SessionContext, tempfile::TempDir) {
        let config = SessionConfig::new().with_target_partitions(2);
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        if ours {
            state = state.with_physical_optimizer_rules(crate::physical_rules());
        }
        let ctx = SessionContext::new_with_state(state.build());
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, select: &str| {
            let path = dir.path().join(format!("{name}.parquet"));
            format!("COPY ({select}) TO '{}' STORED AS PARQUET", path.display())
        };
        let big = "SELECT k % 1000 AS k, k / 1000 AS d, k AS v FROM unnest(range(4000)) AS t(k)";
        let small = "SELECT * FROM (VALUES (7), (70), (700)) AS t(k)";
        for (name, select) in [("big", big), ("small", small)] {
            ctx.sql(&write(name, select))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            let path = dir.path().join(format!("{name}.parquet"));
            ctx.register_parquet(name, path.to_str().unwrap(), Default::default())
                .await
                .unwrap();
        }
        (ctx, dir)
    }

    /// The predicate of the one filter (over the `big` scan), its output rows, and the
    /// query's rows.
    async fn run(ctx: &SessionContext, sql: &str) -> (String, usize, Vec<String>) {
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
        let rows = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
            .lines()
            .map(str::to_string)
            .collect();
        let mut filtered = 0;
        let mut predicate = String::new();
        plan.apply(|node| {
            if let Some(f) = node.downcast_ref::<FilterExec>() {
                predicate = f.predicate().to_string();
                filtered += f.metrics().and_then(|m| m.output_rows()).unwrap_or(0);
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        (predicate, filtered, rows)
    }

    #[tokio::test]
    async fn a_join_filter_that_crossed_an_aggregation_is_tested_above_the_scan() {
        let sql = "SELECT s.k, a.total FROM small s JOIN \
                   (SELECT k, sum(v) AS total FROM big WHERE d < 3 GROUP BY k) a ON s.k = a.k \
                   ORDER BY s.k";
        let (ours, _dir) = context(true).await;
        let (predicate, filtered, rows) = run(&ours, sql).await;
        assert!(predicate.contains("DynamicFilter"), "{predicate}");
        // Three keys, three rows each with d < 3: the aggregation sees only those.
        assert_eq!(filtered, 9);
        let (plain, _dir2) = context(false).await;
        let (predicate, filtered, expected) = run(&plain, sql).await;
        assert!(!predicate.contains("DynamicFilter"), "{predicate}");
        assert_eq!(filtered, 3000);
        assert_eq!(rows, expected);
    }

    #[tokio::test]
    async fn a_join_filter_that_crossed_no_aggregation_is_left_to_the_join() {
        let sql = "SELECT s.k, b.v FROM small s JOIN big b ON s.k = b.k WHERE b.d < 3";
        let (ctx, _dir) = context(true).await;
        let (predicate, filtered, rows) = run(&ctx, sql).await;
        assert!(!predicate.contains("DynamicFilter"), "{predicate}");
        assert_eq!(filtered, 3000);
        assert_eq!(rows.len(), 9 + 4); // nine rows, a header and three rules
    }
}
