//! `EagerConjunctions`: a filter's plain comparisons are all tested on the whole batch and
//! their results combined bit by bit.
//!
//! DataFusion evaluates `a AND b` by testing `a` and, when it kept under a fifth of the rows,
//! copying those rows out of the batch (every column, not just the ones `b` reads), testing
//! `b` on the copy and spreading its answers back one row at a time. For a comparison of a
//! column with a constant that detour costs several times the comparison itself, and a chain
//! of five conditions takes it four times: in TPC-H q6 (a date range, a discount range and a
//! quantity bound) the copying and spreading were about a fifth of the query's time.
//!
//! This rule runs last, before DataFusion's sanity check. In each `FilterExec` it gathers the
//! conditions that compare plain columns and constants (or test them for null) into one
//! [`EagerAnd`]: each is evaluated over the full batch, and the boolean results are combined
//! with Kleene `AND`, stopping early once no row can pass. Such comparisons cannot fail, so
//! testing them on rows an earlier condition dropped changes no result and raises no error.
//! Every other condition follows, in its order, through DataFusion's own `AND`, so an
//! expensive or fallible one still only sees the rows the comparisons kept.
//!
//! A filter's equivalence properties are derived from its predicate (`x = 5` makes `x`
//! constant): a filter is rewritten only if its properties stay the same, and the rewritten
//! plan is kept only if it still passes the sanity check. A rewritten filter's own row
//! estimate is DataFusion's default (it cannot see into [`EagerAnd`]); nothing after this
//! rule uses it, but `EXPLAIN`'s statistics show it.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::compute::kernels::boolean::and_kleene;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{internal_err, Result};
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::expressions::{
    BinaryExpr, Column, IsNotNullExpr, IsNullExpr, Literal,
};
use datafusion::physical_expr::{split_conjunction, PhysicalExpr};
use datafusion::physical_optimizer::sanity_checker::SanityCheckPlan;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::ExecutionPlan;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct EagerConjunctions;

impl PhysicalOptimizerRule for EagerConjunctions {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rewritten = Arc::clone(&plan).transform_up(|node| {
            let Some(filter) = node.downcast_ref::<FilterExec>() else {
                return Ok(Transformed::no(node));
            };
            let Some(predicate) = eager_predicate(filter.predicate()) else {
                return Ok(Transformed::no(node));
            };
            let eager = FilterExecBuilder::from(filter)
                .with_predicate(predicate)
                .build()?;
            // Constants and equal columns come from the predicate; a filter whose rewrite
            // would lose some stays as it is.
            let props = |f: &FilterExec| f.properties().equivalence_properties().to_string();
            if props(&eager) != props(filter) {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(Arc::new(eager) as Arc<dyn ExecutionPlan>))
        })?;
        if !rewritten.transformed {
            return Ok(plan);
        }
        match SanityCheckPlan::new().optimize(Arc::clone(&rewritten.data), config) {
            Ok(_) => Ok(rewritten.data),
            Err(_) => Ok(plan),
        }
    }

    fn name(&self) -> &str {
        "lakehive_eager_conjunctions"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The predicate with its plain comparisons gathered first into one [`EagerAnd`]; `None`
/// when fewer than two of them would be gathered.
fn eager_predicate(predicate: &Arc<dyn PhysicalExpr>) -> Option<Arc<dyn PhysicalExpr>> {
    let (plain, rest): (Vec<_>, Vec<_>) = split_conjunction(predicate)
        .into_iter()
        .partition(|e| is_plain_test(e));
    if plain.len() < 2 {
        return None;
    }
    let eager: Arc<dyn PhysicalExpr> = Arc::new(EagerAnd {
        parts: plain.into_iter().map(Arc::clone).collect(),
    });
    Some(rest.into_iter().fold(eager, |acc, next| {
        Arc::new(BinaryExpr::new(acc, Operator::And, Arc::clone(next)))
    }))
}

/// A comparison of columns and constants, or a null test of one: cheap, and unable to fail.
fn is_plain_test(e: &Arc<dyn PhysicalExpr>) -> bool {
    if let Some(b) = e.downcast_ref::<BinaryExpr>() {
        use Operator::*;
        let comparison = matches!(
            b.op(),
            Eq | NotEq | Lt | LtEq | Gt | GtEq | IsDistinctFrom | IsNotDistinctFrom
        );
        return comparison && is_plain(b.left()) && is_plain(b.right());
    }
    if let Some(n) = e.downcast_ref::<IsNullExpr>() {
        return is_plain(n.arg());
    }
    if let Some(n) = e.downcast_ref::<IsNotNullExpr>() {
        return is_plain(n.arg());
    }
    false
}

fn is_plain(e: &Arc<dyn PhysicalExpr>) -> bool {
    e.is::<Column>() || e.is::<Literal>()
}

/// `parts[0] AND parts[1] AND ...`, each part tested on the whole batch.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct EagerAnd {
    parts: Vec<Arc<dyn PhysicalExpr>>,
}

impl fmt::Display for EagerAnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

impl PhysicalExpr for EagerAnd {
    fn data_type(&self, _input_schema: &Schema) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn nullable(&self, input_schema: &Schema) -> Result<bool> {
        for part in &self.parts {
            if part.nullable(input_schema)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let rows = batch.num_rows();
        let mut acc: Option<BooleanArray> = None;
        for part in &self.parts {
            let value = part.evaluate(batch)?.into_array(rows)?;
            let Some(value) = value.as_boolean_opt() else {
                return internal_err!("{part} gave {}, not booleans", value.data_type());
            };
            let next = match &acc {
                None => value.clone(),
                Some(so_far) => and_kleene(so_far, value)?,
            };
            // No row left that could pass: the rest cannot change the answer.
            let settled = next.null_count() == 0 && next.true_count() == 0;
            acc = Some(next);
            if settled {
                break;
            }
        }
        match acc {
            Some(acc) => Ok(ColumnarValue::Array(Arc::new(acc))),
            None => internal_err!("EagerAnd without parts"),
        }
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        self.parts.iter().collect()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        if children.len() != self.parts.len() {
            return internal_err!("EagerAnd got {} children", children.len());
        }
        Ok(Arc::new(EagerAnd { parts: children }))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            part.fmt_sql(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::compute::SortOptions;
    use datafusion::arrow::datatypes::{Field, SchemaRef};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::common::ScalarValue;
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::datasource::source::DataSourceExec;
    use datafusion::physical_expr::expressions::{binary, col, is_null, lit};
    use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
    use datafusion::physical_plan::collect;
    use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
    use datafusion::prelude::SessionContext;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]))
    }

    /// 1,000 rows with nulls in every column, in patterns that do not line up.
    fn batch() -> RecordBatch {
        let a = Int64Array::from_iter((0..1000).map(|i| (i % 7 != 3).then_some(i % 10)));
        let b = Int64Array::from_iter((0..1000).map(|i| (i % 11 != 5).then_some(i % 13)));
        let s =
            StringArray::from_iter((0..1000).map(|i| (i % 5 != 1).then(|| format!("v{}", i % 3))));
        RecordBatch::try_new(schema(), vec![Arc::new(a), Arc::new(b), Arc::new(s)]).unwrap()
    }

    fn cmp(c: &str, op: Operator, v: ScalarValue) -> Arc<dyn PhysicalExpr> {
        binary(col(c, &schema()).unwrap(), op, lit(v), &schema()).unwrap()
    }

    fn and_chain(parts: &[Arc<dyn PhysicalExpr>]) -> Arc<dyn PhysicalExpr> {
        parts[1..].iter().fold(Arc::clone(&parts[0]), |acc, p| {
            Arc::new(BinaryExpr::new(acc, Operator::And, Arc::clone(p)))
        })
    }

    fn conditions() -> Vec<Arc<dyn PhysicalExpr>> {
        vec![
            cmp("a", Operator::Gt, ScalarValue::Int64(Some(2))),
            cmp("b", Operator::LtEq, ScalarValue::Int64(Some(9))),
            cmp("s", Operator::NotEq, ScalarValue::Utf8(Some("v1".into()))),
            is_null(col("a", &schema()).unwrap()).unwrap(),
            cmp("a", Operator::Eq, ScalarValue::Int64(None)),
            cmp("b", Operator::Lt, ScalarValue::Int64(Some(0))),
        ]
    }

    #[test]
    fn answers_like_the_and_chain_row_for_row_nulls_included() {
        let batch = batch();
        let all = conditions();
        // Every ordered pair and triple of the conditions, some settling early (no row
        // passes `b < 0`), some leaving nulls (`a = NULL`).
        for i in 0..all.len() {
            for j in 0..all.len() {
                for parts in [vec![i, j], vec![i, j, (i + j) % all.len()]] {
                    let parts: Vec<_> = parts.iter().map(|&k| Arc::clone(&all[k])).collect();
                    let eager = EagerAnd {
                        parts: parts.clone(),
                    };
                    let want = and_chain(&parts).evaluate(&batch).unwrap();
                    let got = eager.evaluate(&batch).unwrap();
                    let (want, got) = (
                        want.into_array(1000).unwrap(),
                        got.into_array(1000).unwrap(),
                    );
                    assert_eq!(want.as_boolean(), got.as_boolean(), "{eager}");
                }
            }
        }
    }

    fn filter_over(predicate: Arc<dyn PhysicalExpr>, sorted: bool) -> Arc<dyn ExecutionPlan> {
        let batches = [vec![batch()], vec![batch()]];
        let mut source = MemorySourceConfig::try_new(&batches, schema(), None).unwrap();
        if sorted {
            let key = |c| PhysicalSortExpr::new(col(c, &schema()).unwrap(), SortOptions::default());
            let order = LexOrdering::new([key("a"), key("b")]).unwrap();
            source = source.try_with_sort_information(vec![order]).unwrap();
        }
        let scan = DataSourceExec::from_data_source(source);
        Arc::new(FilterExec::try_new(predicate, scan).unwrap())
    }

    fn optimize(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        EagerConjunctions
            .optimize(plan, &ConfigOptions::default())
            .unwrap()
    }

    fn predicate_of(plan: &Arc<dyn ExecutionPlan>) -> Arc<dyn PhysicalExpr> {
        let filter = plan.downcast_ref::<FilterExec>().unwrap();
        Arc::clone(filter.predicate())
    }

    /// `a + b > 5`: not a plain test.
    fn sum_over_five() -> Arc<dyn PhysicalExpr> {
        let schema = schema();
        let sum = binary(
            col("a", &schema).unwrap(),
            Operator::Plus,
            col("b", &schema).unwrap(),
            &schema,
        )
        .unwrap();
        binary(sum, Operator::Gt, lit(5i64), &schema).unwrap()
    }

    #[tokio::test]
    async fn plain_tests_are_gathered_and_the_others_follow_in_order() {
        let c = conditions();
        let schema = schema();
        let costly = sum_over_five();
        let costly2 = binary(
            col("a", &schema).unwrap(),
            Operator::Modulo,
            lit(3i64),
            &schema,
        )
        .unwrap();
        let costly2 = binary(costly2, Operator::Lt, lit(3i64), &schema).unwrap();
        let predicate = and_chain(&[
            Arc::clone(&costly),
            Arc::clone(&c[0]),
            Arc::clone(&costly2),
            Arc::clone(&c[2]),
        ]);
        let before = filter_over(Arc::clone(&predicate), false);
        let after = optimize(Arc::clone(&before));
        let got = predicate_of(&after);
        let want = and_chain(&[
            Arc::new(EagerAnd {
                parts: vec![Arc::clone(&c[0]), Arc::clone(&c[2])],
            }),
            costly,
            costly2,
        ]);
        assert_eq!(got.to_string(), want.to_string());
        assert!(got.children()[0].children()[0].is::<EagerAnd>());
        let ctx = SessionContext::new().task_ctx();
        let rows = |plan| async {
            let batches = collect(plan, Arc::clone(&ctx)).await.unwrap();
            let mut lines: Vec<String> = pretty_format_batches(&batches)
                .unwrap()
                .to_string()
                .lines()
                .map(String::from)
                .collect();
            lines.sort();
            lines
        };
        let (want, got) = (rows(before).await, rows(after).await);
        assert!(want.len() > 10, "the filter keeps rows");
        assert_eq!(want, got);
    }

    #[test]
    fn a_single_plain_test_is_left_alone() {
        let c = conditions();
        let costly = sum_over_five();
        let plan = filter_over(and_chain(&[costly, Arc::clone(&c[1])]), false);
        let after = optimize(Arc::clone(&plan));
        assert!(Arc::ptr_eq(&plan, &after));
    }

    #[test]
    fn a_filter_whose_constants_come_from_its_predicate_keeps_it() {
        // `a = 4` makes `a` constant, so the scan's order (a, b) satisfies a merge on b alone;
        // hidden inside an EagerAnd it would not.
        let c = conditions();
        let constant = || cmp("a", Operator::Eq, ScalarValue::Int64(Some(4)));
        let filter = filter_over(and_chain(&[constant(), Arc::clone(&c[1])]), true);
        let on_b = PhysicalSortExpr::new(col("b", &schema()).unwrap(), SortOptions::default());
        let merge: Arc<dyn ExecutionPlan> = Arc::new(SortPreservingMergeExec::new(
            LexOrdering::new([on_b]).unwrap(),
            filter,
        ));
        SanityCheckPlan::new()
            .optimize(Arc::clone(&merge), &ConfigOptions::default())
            .expect("the original plan is sound");
        let after = optimize(Arc::clone(&merge));
        assert!(Arc::ptr_eq(&merge, &after));
        // Ranges make no constants: the same scan's filter on them is rewritten.
        let filter = filter_over(and_chain(&[Arc::clone(&c[0]), Arc::clone(&c[1])]), true);
        assert!(predicate_of(&optimize(filter)).is::<EagerAnd>());
    }
}
