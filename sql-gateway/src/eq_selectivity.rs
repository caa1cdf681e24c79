//! `EqualitySelectivity`: a filter that tests a column for equality with a constant is
//! estimated to keep fewer rows than DataFusion's flat default.
//!
//! DataFusion estimates a filter's output from its columns' value ranges when it can
//! (numbers and dates compared with constants). Any other condition in the filter, a string
//! comparison above all, makes it fall back to one fixed fraction for the whole filter
//! (`datafusion.optimizer.default_filter_selectivity`, 20 %), however many equalities it
//! holds. TPC-H q17's `p_brand = 'Brand#23' AND p_container = 'MED BOX'` keeps 0.1 % of
//! `part`; estimated at 20 %, the join above it looked like 1.2 million rows instead of
//! 6,000, was hash-partitioned, and the run-time filter it hands to the `lineitem` scan
//! became a per-row `CASE` over a hash of the key (~285 ms; ~190 ms with this rule).
//!
//! This rule runs before DataFusion's `JoinSelection`. For a `FilterExec` whose predicate
//! DataFusion cannot analyse and that still has the session's default, it takes the top-level
//! conditions that compare a column with constants for equality: one constant keeps one
//! row in the column's number of distinct values when the statistics know it and a tenth
//! otherwise, an `IN` list of `n` constants `n` times that, and a column tested twice counts
//! once (its smaller fraction). Any other condition takes the default. The product (at least
//! 1 %) becomes that filter's default when it is lower.
//! Filters without such equalities keep the default: `p_name LIKE '%green%'` is no better
//! known than before.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{BinaryExpr, CastExpr, Column, InListExpr, Literal};
use datafusion::physical_expr::intervals::utils::check_support;
use datafusion::physical_expr::{split_conjunction, PhysicalExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::ExecutionPlan;

/// The fraction of rows one equality with a constant is taken to keep.
const EQUALITY: f64 = 0.1;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct EqualitySelectivity;

impl PhysicalOptimizerRule for EqualitySelectivity {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let default = config.optimizer.default_filter_selectivity;
        let rewritten = plan.transform_up(|node| {
            let Some(filter) = node.downcast_ref::<FilterExec>() else {
                return Ok(Transformed::no(node));
            };
            let predicate = filter.predicate();
            if filter.default_selectivity() != default
                || check_support(predicate, &filter.input().schema())
            {
                return Ok(Transformed::no(node));
            }
            let stats = StatisticsContext::new()
                .compute(filter.input().as_ref(), &StatisticsArgs::new())
                .ok();
            let distinct = |column: usize| {
                let stats = stats.as_ref()?.column_statistics.get(column)?;
                stats.distinct_count.get_value().copied().filter(|n| *n > 0)
            };
            let Some(percent) = estimate(predicate, default, distinct) else {
                return Ok(Transformed::no(node));
            };
            let filter = FilterExecBuilder::from(filter)
                .with_default_selectivity(percent)
                .build()?;
            Ok(Transformed::yes(Arc::new(filter) as Arc<dyn ExecutionPlan>))
        })?;
        Ok(rewritten.data)
    }

    fn name(&self) -> &str {
        "lakehive_equality_selectivity"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The percentage of rows `predicate` is estimated to keep, when its equalities make it
/// lower than `default`. `distinct(i)` is column `i`'s number of distinct values, if known.
fn estimate(
    predicate: &Arc<dyn PhysicalExpr>,
    default: u8,
    distinct: impl Fn(usize) -> Option<usize>,
) -> Option<u8> {
    // The smallest fraction per column: `s = 'a' AND s IN ('a', 'b')` is one condition's worth.
    let mut per_column: HashMap<usize, f64> = HashMap::new();
    let mut others = false;
    for part in split_conjunction(predicate) {
        match equality(part) {
            Some((column, values)) => {
                let one = distinct(column).map_or(EQUALITY, |n| 1.0 / n as f64);
                let f = (one * values as f64).min(1.0);
                let slot = per_column.entry(column).or_insert(1.0);
                *slot = slot.min(f);
            }
            None => others = true,
        }
    }
    if per_column.is_empty() {
        return None;
    }
    let mut fraction: f64 = per_column.values().product();
    if others {
        fraction *= f64::from(default) / 100.0;
    }
    // At least 1 %, the finest a filter's default can say.
    let percent = (fraction * 100.0).round().max(1.0);
    (percent < f64::from(default)).then_some(percent as u8)
}

/// The column an equality with constants tests and how many constants it allows; `None` for
/// anything else.
fn equality(e: &Arc<dyn PhysicalExpr>) -> Option<(usize, usize)> {
    if let Some(b) = e.downcast_ref::<BinaryExpr>() {
        if *b.op() != Operator::Eq {
            return None;
        }
        let column = match (column_of(b.left()), column_of(b.right())) {
            (Some(c), None) if is_constant(b.right()) => c,
            (None, Some(c)) if is_constant(b.left()) => c,
            _ => return None,
        };
        return Some((column, 1));
    }
    let list = e.downcast_ref::<InListExpr>()?;
    let constants = list.list().iter().all(is_constant);
    if list.negated() || !constants || list.list().is_empty() {
        return None;
    }
    Some((column_of(list.expr())?, list.list().len()))
}

/// The input column index of `e`, a column or a cast of one.
fn column_of(e: &Arc<dyn PhysicalExpr>) -> Option<usize> {
    match e.downcast_ref::<CastExpr>() {
        Some(cast) => column_of(cast.expr()),
        None => e.downcast_ref::<Column>().map(Column::index),
    }
}

fn is_constant(e: &Arc<dyn PhysicalExpr>) -> bool {
    e.is::<Literal>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_expr::expressions::{binary, col, in_list, lit};
    use datafusion::physical_plan::empty::EmptyExec;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("t", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ])
    }

    fn cmp(c: &str, op: Operator, v: &str) -> Arc<dyn PhysicalExpr> {
        binary(col(c, &schema()).unwrap(), op, lit(v), &schema()).unwrap()
    }

    fn and(a: Arc<dyn PhysicalExpr>, b: Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr> {
        Arc::new(BinaryExpr::new(a, Operator::And, b))
    }

    fn none(_: usize) -> Option<usize> {
        None
    }

    #[test]
    fn equalities_multiply_and_the_rest_take_the_default() {
        let brand = cmp("s", Operator::Eq, "Brand#23");
        let container = cmp("t", Operator::Eq, "MED BOX");
        let like = cmp("t", Operator::LikeMatch, "%green%");
        assert_eq!(estimate(&brand, 20, none), Some(10));
        let both = and(Arc::clone(&brand), Arc::clone(&container));
        assert_eq!(estimate(&both, 20, none), Some(1));
        assert_eq!(
            estimate(&and(Arc::clone(&brand), Arc::clone(&like)), 20, none),
            Some(2)
        );
        assert_eq!(
            estimate(&like, 20, none),
            None,
            "no equality: the default stands"
        );
        assert_eq!(
            estimate(&brand, 5, none),
            None,
            "never above the session's default"
        );
        let list = |n: usize| {
            let values = (0..n).map(|i| lit(format!("v{i}"))).collect();
            in_list(col("s", &schema()).unwrap(), values, &false, &schema()).unwrap()
        };
        assert_eq!(estimate(&list(3), 50, none), Some(30));
        assert_eq!(
            estimate(&list(12), 50, none),
            None,
            "a long list keeps everything"
        );
        let twice = and(Arc::clone(&brand), list(3));
        assert_eq!(
            estimate(&twice, 50, none),
            Some(10),
            "one column counts once"
        );
        let or = Arc::new(BinaryExpr::new(Arc::clone(&brand), Operator::Or, container)) as _;
        assert_eq!(
            estimate(&or, 20, none),
            None,
            "only top-level conditions count"
        );
    }

    #[test]
    fn known_distinct_counts_replace_the_tenth() {
        let both = and(cmp("s", Operator::Eq, "a"), cmp("t", Operator::Eq, "b"));
        // `s` has 2 distinct values, `t` unknown: a half times a tenth.
        let distinct = |i: usize| (i == 0).then_some(2);
        assert_eq!(estimate(&both, 20, distinct), Some(5));
        let few = |_: usize| Some(2);
        assert_eq!(
            estimate(&both, 20, few),
            None,
            "a quarter is above the default"
        );
    }

    #[test]
    fn the_rule_lowers_only_filters_datafusion_cannot_analyse() {
        let rule = |predicate| {
            let input = Arc::new(EmptyExec::new(Arc::new(schema())));
            let filter = Arc::new(FilterExec::try_new(predicate, input).unwrap());
            let plan = EqualitySelectivity
                .optimize(filter, &ConfigOptions::default())
                .unwrap();
            plan.downcast_ref::<FilterExec>()
                .unwrap()
                .default_selectivity()
        };
        let strings = and(cmp("s", Operator::Eq, "a"), cmp("t", Operator::Eq, "b"));
        assert_eq!(rule(strings), 1);
        let number = binary(
            col("n", &schema()).unwrap(),
            Operator::Eq,
            lit(5i64),
            &schema(),
        )
        .unwrap();
        assert_eq!(rule(number), 20, "numbers are DataFusion's own to estimate");
    }
}
