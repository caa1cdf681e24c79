//! A subquery that a query names more than once is computed once. DataFusion inlines a CTE
//! at every place that names it, so `WITH r AS (SELECT ... GROUP BY ...)` used in the main
//! query and again in a scalar subquery (TPC-H Q15, and the common BI pattern of a total
//! next to its parts) reads and aggregates its tables twice. PostgreSQL computes such a CTE
//! once; so do we, for the ones where that pays off.
//!
//! - [`ShareRepeated`], an analyzer rule, finds the aliased subqueries (CTE references,
//!   derived tables) whose plans are equal and occur at least twice, and puts each occurrence
//!   under a [`SharedNode`] with an id common to the copies. Only subqueries that aggregate
//!   are shared: their results are usually small, and a plain scan is better read twice
//!   with each use's filters pushed into it. Subqueries with outer references, and queries
//!   with recursive CTEs, are left alone.
//! - The node stops filters and projections from being pushed into it, so the copies stay
//!   equal; the inside of each copy is optimized as usual.
//! - [`exec::SharedExec`] is its physical form. [`exec::LinkShared`], the last physical
//!   optimizer rule, gives the copies of one id a common state: the first copy executed
//!   computes its input and keeps the batches (counted against the memory pool), the others
//!   replay them. If memory runs short the batches are dropped and every copy computes its
//!   own input, as it would without sharing.

mod exec;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::common::{DFSchemaRef, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, SubqueryAlias, UserDefinedLogicalNode, UserDefinedLogicalNodeCore,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

/// `builder` with shared subqueries: our query planner and the two rules.
pub(crate) fn install(builder: SessionStateBuilder) -> SessionStateBuilder {
    builder
        .with_query_planner(Arc::new(GatewayPlanner))
        .with_analyzer_rule(Arc::new(ShareRepeated))
        .with_physical_optimizer_rule(Arc::new(exec::LinkShared))
}

/// The analyzer rule (see the module documentation).
#[derive(Debug)]
struct ShareRepeated;

impl AnalyzerRule for ShareRepeated {
    fn name(&self) -> &str {
        "share_repeated_subqueries"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        // Per distinct subquery: when it was first seen (its id, so that plans print the same
        // ids each time) and how often.
        let mut counts: HashMap<LogicalPlan, (usize, usize)> = HashMap::new();
        let mut recursive = false;
        plan.apply_with_subqueries(|node| {
            match node {
                LogicalPlan::RecursiveQuery(_) => recursive = true,
                LogicalPlan::SubqueryAlias(a) if worth_sharing(&a.input) => {
                    let first = counts.len();
                    counts
                        .entry(a.input.as_ref().clone())
                        .or_insert((first, 0))
                        .1 += 1;
                }
                _ => {}
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        let ids: HashMap<LogicalPlan, usize> = counts
            .into_iter()
            .filter(|(_, (_, n))| *n > 1)
            .map(|(input, (first, _))| (input, first))
            .collect();
        if recursive || ids.is_empty() {
            return Ok(plan);
        }
        let shared = plan
            .transform_down_with_subqueries(|node| {
                let LogicalPlan::SubqueryAlias(a) = &node else {
                    return Ok(Transformed::no(node));
                };
                let Some(&id) = ids.get(a.input.as_ref()) else {
                    return Ok(Transformed::no(node));
                };
                let input = shared_node(id, a.input.as_ref().clone());
                let alias = SubqueryAlias::try_new(Arc::new(input), a.alias.clone())?;
                // The copy's inside is now one unit: nothing below it is shared again.
                Ok(Transformed::new(
                    LogicalPlan::SubqueryAlias(alias),
                    true,
                    TreeNodeRecursion::Jump,
                ))
            })?
            .data;
        unshare_singles(shared)
    }
}

/// Whether a subquery is worth computing once: it aggregates, and it does not depend on an
/// enclosing query's row.
fn worth_sharing(plan: &LogicalPlan) -> bool {
    let mut aggregates = false;
    let mut correlated = false;
    let _ = plan.apply_with_subqueries(|node| {
        if matches!(node, LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_)) {
            aggregates = true;
        }
        node.apply_expressions(|e: &Expr| {
            correlated |= e.contains_outer();
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(if correlated {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    aggregates && !correlated
}

fn shared_node(id: usize, input: LogicalPlan) -> LogicalPlan {
    LogicalPlan::Extension(Extension {
        node: Arc::new(SharedNode { id, input }),
    })
}

/// Removes the shared nodes left with one occurrence: copies of a subquery that were both
/// inside a larger shared subquery, where only the larger one's copies were marked.
fn unshare_singles(plan: LogicalPlan) -> Result<LogicalPlan> {
    let mut seen: HashMap<usize, usize> = HashMap::new();
    plan.apply_with_subqueries(|node| {
        if let Some(s) = as_shared(node) {
            *seen.entry(s.id).or_default() += 1;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if seen.values().all(|n| *n > 1) {
        return Ok(plan);
    }
    Ok(plan
        .transform_up_with_subqueries(|node| match as_shared(&node) {
            Some(s) if seen[&s.id] == 1 => Ok(Transformed::yes(s.input.clone())),
            _ => Ok(Transformed::no(node)),
        })?
        .data)
}

fn as_shared(plan: &LogicalPlan) -> Option<&SharedNode> {
    match plan {
        LogicalPlan::Extension(e) => e.node.as_any().downcast_ref::<SharedNode>(),
        _ => None,
    }
}

/// One occurrence of a shared subquery; `id` is common to its copies within one plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub(crate) struct SharedNode {
    id: usize,
    input: LogicalPlan,
}

impl UserDefinedLogicalNodeCore for SharedNode {
    fn name(&self) -> &str {
        "SharedResult"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SharedResult: id={}", self.id)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(SharedNode {
            id: self.id,
            input: crate::only_one(inputs, "SharedResult")?,
        })
    }
}

/// Plans [`SharedNode`]s as [`exec::SharedExec`].
struct SharedPlanner;

#[async_trait]
impl ExtensionPlanner for SharedPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(shared) = node.as_any().downcast_ref::<SharedNode>() else {
            return Ok(None);
        };
        Ok(Some(Arc::new(exec::SharedExec::new(
            shared.id,
            Arc::clone(&physical_inputs[0]),
        ))))
    }
}

/// DataFusion's physical planner, with our logical nodes.
#[derive(Debug)]
struct GatewayPlanner;

#[async_trait]
impl QueryPlanner for GatewayPlanner {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(SharedPlanner)])
            .create_physical_plan(plan, session)
            .await
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    fn context() -> SessionContext {
        let state = install(
            SessionStateBuilder::new()
                .with_config(SessionConfig::new().with_target_partitions(2))
                .with_default_features(),
        )
        .build();
        let ctx = SessionContext::new_with_state(state);
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(vec![1, 1, 2, 3])),
                Arc::new(Int64Array::from(vec![10, 20, 30, 40])),
            ],
        )
        .unwrap();
        let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        ctx
    }

    async fn plan_text(ctx: &SessionContext, sql: &str) -> String {
        let rows = ctx.sql(&format!("EXPLAIN {sql}")).await.unwrap();
        let batches = rows.collect().await.unwrap();
        let plans = batches[0].column(1).as_string::<i32>();
        plans.iter().flatten().collect::<Vec<_>>().join("\n")
    }

    async fn one_i64(ctx: &SessionContext, sql: &str) -> Vec<i64> {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let mut out = vec![];
        for b in &batches {
            out.extend(b.column(0).as_primitive::<Int64Type>().values().iter());
        }
        out
    }

    const TOTAL_NEXT_TO_PARTS: &str = "WITH r AS (SELECT k, sum(v) AS s FROM t GROUP BY k) \
        SELECT k FROM r WHERE s = (SELECT max(s) FROM r) ORDER BY k";

    #[tokio::test]
    async fn a_cte_named_twice_is_computed_once_with_the_right_rows() {
        let ctx = context();
        let plan = plan_text(&ctx, TOTAL_NEXT_TO_PARTS).await;
        assert_eq!(plan.matches("SharedResult: id=0").count(), 2, "{plan}");
        assert_eq!(plan.matches("SharedResultExec: id=0").count(), 2, "{plan}");
        assert_eq!(one_i64(&ctx, TOTAL_NEXT_TO_PARTS).await, vec![3]);
        // Two copies of a volatile result agree only if it was computed once, as in
        // PostgreSQL; each execution computes anew.
        let same = "WITH r AS (SELECT CAST(sum(v) * 1000000 * random() AS BIGINT) AS s FROM t) \
            SELECT a.s - b.s FROM r a, r b";
        assert_eq!(one_i64(&ctx, same).await, vec![0]);
        let df = ctx
            .sql(
                "WITH r AS (SELECT CAST(sum(v) * 1000000 * random() AS BIGINT) AS s FROM t) \
                  SELECT a.s FROM r a, r b",
            )
            .await
            .unwrap();
        let first = df.clone().collect().await.unwrap();
        let second = df.collect().await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn plain_scans_correlated_and_single_uses_are_not_shared() {
        let ctx = context();
        for sql in [
            "WITH r AS (SELECT k, v FROM t WHERE v > 10) SELECT a.k FROM r a JOIN r b ON a.k = b.k",
            "WITH r AS (SELECT k, sum(v) AS s FROM t GROUP BY k) SELECT k FROM r",
            "SELECT k FROM t o WHERE v > (SELECT avg(v) FROM (SELECT v FROM t WHERE t.k = o.k) a) \
               AND v < (SELECT max(v) FROM (SELECT v FROM t WHERE t.k = o.k) a)",
        ] {
            let plan = plan_text(&ctx, sql).await;
            assert!(!plan.contains("SharedResult"), "{sql}: {plan}");
        }
    }
}
