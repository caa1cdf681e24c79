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
//! DataFusion cannot analyse and that still has the session's default, it counts the
//! top-level conditions that compare a column with a constant for equality (an `IN` list of
//! `n` constants counts as `n` tenths), gives each a tenth and any other condition the
//! default, and sets the product (at least 1 %) as that filter's default when it is lower.
//! Filters without such equalities keep the default: `p_name LIKE '%green%'` is no better
//! known than before.

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
            let Some(percent) = estimate(predicate, default) else {
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
/// lower than `default`.
fn estimate(predicate: &Arc<dyn PhysicalExpr>, default: u8) -> Option<u8> {
    let default_fraction = f64::from(default) / 100.0;
    let mut equalities = false;
    let mut fraction = 1.0;
    let mut others = false;
    for part in split_conjunction(predicate) {
        match equality_fraction(part) {
            Some(f) => {
                equalities = true;
                fraction *= f;
            }
            None => others = true,
        }
    }
    if !equalities {
        return None;
    }
    if others {
        fraction *= default_fraction;
    }
    // At least 1 %, the finest a filter's default can say.
    let percent = (fraction * 100.0).round().max(1.0);
    (percent < f64::from(default)).then_some(percent as u8)
}

/// The fraction an equality of a column with constants keeps; `None` for anything else.
fn equality_fraction(e: &Arc<dyn PhysicalExpr>) -> Option<f64> {
    if let Some(b) = e.downcast_ref::<BinaryExpr>() {
        let sides = (is_column(b.left()) && is_constant(b.right()))
            || (is_constant(b.left()) && is_column(b.right()));
        return (*b.op() == Operator::Eq && sides).then_some(EQUALITY);
    }
    if let Some(list) = e.downcast_ref::<InListExpr>() {
        let constants = list.list().iter().all(is_constant);
        if list.negated() || !is_column(list.expr()) || !constants || list.list().is_empty() {
            return None;
        }
        return Some((EQUALITY * list.list().len() as f64).min(1.0));
    }
    None
}

fn is_column(e: &Arc<dyn PhysicalExpr>) -> bool {
    match e.downcast_ref::<CastExpr>() {
        Some(cast) => is_column(cast.expr()),
        None => e.is::<Column>(),
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

    #[test]
    fn equalities_multiply_and_the_rest_take_the_default() {
        let brand = cmp("s", Operator::Eq, "Brand#23");
        let container = cmp("t", Operator::Eq, "MED BOX");
        let like = cmp("t", Operator::LikeMatch, "%green%");
        assert_eq!(estimate(&brand, 20), Some(10));
        assert_eq!(
            estimate(&and(Arc::clone(&brand), Arc::clone(&container)), 20),
            Some(1)
        );
        assert_eq!(
            estimate(&and(Arc::clone(&brand), Arc::clone(&like)), 20),
            Some(2)
        );
        assert_eq!(estimate(&like, 20), None, "no equality: the default stands");
        assert_eq!(
            estimate(&brand, 5),
            None,
            "never above the session's default"
        );
        let list = |n: usize| {
            let values = (0..n).map(|i| lit(format!("v{i}"))).collect();
            in_list(col("s", &schema()).unwrap(), values, &false, &schema()).unwrap()
        };
        assert_eq!(estimate(&list(3), 50), Some(30));
        assert_eq!(
            estimate(&list(12), 50),
            None,
            "a long list keeps everything"
        );
        let or = Arc::new(BinaryExpr::new(Arc::clone(&brand), Operator::Or, container)) as _;
        assert_eq!(estimate(&or, 20), None, "only top-level conditions count");
    }
}
