//! `FilterOrder`: the conditions of a filter evaluated cheapest first. DataFusion evaluates
//! `a AND b` by computing `a` for the whole batch and then `b` only for the rows `a` kept (when
//! few remain), so conditions that are cheap to test go first: comparing a number or date
//! column with a constant costs far less than comparing two columns, and both far less than
//! comparing strings. TPC-H q12, written string test first, spends most of its filter time
//! on `l_shipmode` for rows the date range would have dropped.
//!
//! Only conditions that cannot fail move (comparisons, `IN`, `BETWEEN`, `IS NULL`, `LIKE` of
//! plain columns and constants): moving them ahead of others only shrinks what the others
//! see, so a query that ran without error still does. Everything else keeps its order, after
//! the movable ones.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result as DfResult};
use datafusion::logical_expr::utils::{conjunction, split_conjunction_owned};
use datafusion::logical_expr::{Between, BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// The logical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct FilterOrder;

impl OptimizerRule for FilterOrder {
    fn name(&self) -> &str {
        "lakehive_filter_order"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        let LogicalPlan::Filter(filter) = plan else {
            return Ok(Transformed::no(plan));
        };
        let schema = filter.input.schema();
        let conditions = split_conjunction_owned(filter.predicate.clone());
        let costs: Vec<u8> = conditions.iter().map(|c| cost(c, schema)).collect();
        if costs.windows(2).all(|w| w[0] <= w[1]) {
            return Ok(Transformed::no(LogicalPlan::Filter(filter)));
        }
        let mut ranked: Vec<(u8, Expr)> = costs.into_iter().zip(conditions).collect();
        ranked.sort_by_key(|(c, _)| *c);
        let mut filter = filter;
        if let Some(predicate) = conjunction(ranked.into_iter().map(|(_, e)| e)) {
            filter.predicate = predicate;
        }
        Ok(Transformed::yes(LogicalPlan::Filter(filter)))
    }
}

/// Conditions that may fail or whose cost is unknown: they stay last, in their order.
const UNKNOWN: u8 = u8::MAX;

/// The relative cost of testing one condition per row, or [`UNKNOWN`].
fn cost(e: &Expr, schema: &DFSchema) -> u8 {
    match e {
        Expr::IsNull(x) | Expr::IsNotNull(x) if is_column(x) => 0,
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(*op) => {
            compare_cost(left, right, schema)
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => match (cost(left, schema), cost(right, schema)) {
            (UNKNOWN, _) | (_, UNKNOWN) => UNKNOWN,
            (a, b) => a.max(b).saturating_add(1),
        },
        Expr::Between(Between {
            expr, low, high, ..
        }) if is_column(expr) && is_literal(low) && is_literal(high) => value_cost(expr, schema),
        Expr::InList(list) if is_column(&list.expr) && list.list.iter().all(is_literal) => {
            value_cost(&list.expr, schema).saturating_add(1)
        }
        Expr::Like(like) if is_column(&like.expr) && is_literal(&like.pattern) => 4,
        _ => UNKNOWN,
    }
}

/// Comparing a column with a constant or another column.
fn compare_cost(left: &Expr, right: &Expr, schema: &DFSchema) -> u8 {
    match (is_column(left), is_column(right)) {
        (true, true) => value_cost(left, schema).saturating_add(1),
        (true, false) if is_literal(right) => value_cost(left, schema),
        (false, true) if is_literal(left) => value_cost(right, schema),
        _ => UNKNOWN,
    }
}

/// Testing one value of `column`'s type: fixed-width values are cheap, strings are not.
fn value_cost(column: &Expr, schema: &DFSchema) -> u8 {
    match column.get_type(schema) {
        Ok(t) if t.is_primitive() || t == DataType::Boolean => 0,
        Ok(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => 2,
        _ => UNKNOWN,
    }
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Column(_))
}

fn is_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(..))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::prelude::{col, lit, SessionContext};

    use super::*;

    async fn optimized_filter(sql: &str) -> String {
        let ctx = SessionContext::new();
        ctx.add_optimizer_rule(Arc::new(FilterOrder));
        let schema = Schema::new(vec![
            Field::new("d", DataType::Date32, true),
            Field::new("e", DataType::Date32, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]);
        ctx.register_table(
            "t",
            Arc::new(datafusion::datasource::empty::EmptyTable::new(Arc::new(
                schema,
            ))),
        )
        .unwrap();
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        let mut found = None;
        plan.apply(|p| {
            if let LogicalPlan::Filter(f) = p {
                found = Some(f.predicate.to_string());
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        found.expect("a filter")
    }

    #[tokio::test]
    async fn cheap_conditions_go_first_and_the_rest_keep_their_order() {
        let p = optimized_filter(
            "SELECT * FROM t WHERE s IN ('a', 'b') AND 10 / n > 1 AND e < d \
             AND d >= DATE '2024-01-01' AND s LIKE 'x%' AND n IS NOT NULL",
        )
        .await;
        let order: Vec<usize> = [
            "t.n IS NOT NULL",
            "t.d >= ",
            "t.e < t.d",
            "t.s = ",
            "t.s LIKE",
            "Int64(10) / t.n",
        ]
        .iter()
        .map(|part| p.find(part).unwrap_or_else(|| panic!("{part} in {p}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{p}");
    }

    #[tokio::test]
    async fn an_ordered_filter_is_left_alone() {
        let p = optimized_filter("SELECT * FROM t WHERE n > 1 AND s = 'x'").await;
        assert!(p.find("t.n > ").unwrap() < p.find("t.s = ").unwrap(), "{p}");
        let schema = DFSchema::try_from(Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]))
        .unwrap();
        let costs: Vec<u8> = [col("n").gt(lit(1)), col("s").eq(lit("x"))]
            .iter()
            .map(|e| cost(e, &schema))
            .collect();
        assert_eq!(costs, [0, 2]);
    }
}
