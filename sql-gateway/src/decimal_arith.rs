//! Decimal `+`, `-` and `*` without a checked 128-bit multiply per value.
//!
//! Arrow computes `Decimal128` arithmetic one value at a time with checked `i128`
//! operations: a multiply is a library call, and `+` or `-` of two scales first multiplies
//! both sides to the common scale (`1 - l_discount` is `1 * 100 - l_discount * 1`). In TPC-H
//! q1 that was about a quarter of the CPU. Two values that fit in 64 bits (every decimal of
//! up to 18 digits, and every power of ten a rescale uses) multiply exactly in one widening
//! multiply that cannot overflow; only other values take the checked path.
//!
//! [`DecimalArith`] is a logical optimizer rule that runs after DataFusion's own: it replaces
//! `a + b`, `a - b` and `a * b` of two `Decimal128` in projections, filters and aggregate
//! arguments by the functions [`ArithUdf`], whose result type, column name, values and
//! overflow errors are those of the expression they replace.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrowNativeTypeOp;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::buffer::{NullBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef};
use datafusion::arrow::error::ArrowError;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{internal_err, plan_err, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator,
    ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

/// The logical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct DecimalArith;

impl OptimizerRule for DecimalArith {
    fn name(&self) -> &str {
        "lakehive_decimal_arith"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        match plan {
            LogicalPlan::Projection(_) | LogicalPlan::Filter(_) => {
                let input = Arc::clone(plan.inputs()[0].schema());
                let names = NamePreserver::new(&plan);
                plan.map_expressions(|e| {
                    let name = names.save(&e);
                    Ok(rewrite(e, &input)?.update_data(|e| name.restore(e)))
                })
            }
            LogicalPlan::Aggregate(agg) => {
                // Only aggregate arguments change; the aggregate is rebuilt only if one did,
                // each changed expression under its old name.
                let mut changed = false;
                let mut aggr_expr = Vec::with_capacity(agg.aggr_expr.len());
                for e in &agg.aggr_expr {
                    let new = rewrite(e.clone(), agg.input.schema())?;
                    changed |= new.transformed;
                    aggr_expr.push(match new.transformed {
                        true => new.data.alias(e.schema_name().to_string()),
                        false => new.data,
                    });
                }
                if !changed {
                    return Ok(Transformed::no(LogicalPlan::Aggregate(agg)));
                }
                let plan = Aggregate::try_new(agg.input, agg.group_expr, aggr_expr)?;
                Ok(Transformed::yes(LogicalPlan::Aggregate(plan)))
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

/// `e` with every decimal `+`, `-` and `*` in it replaced by an [`ArithUdf`], where the
/// function's result type is the expression's.
fn rewrite(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    e.transform_up(|e| {
        let Expr::BinaryExpr(BinaryExpr { op, left, right }) = &e else {
            return Ok(Transformed::no(e));
        };
        let Some(udf) = udf_for(*op) else {
            return Ok(Transformed::no(e));
        };
        let types = (left.get_type(schema), right.get_type(schema));
        let (Ok(l), Ok(r)) = types else {
            return Ok(Transformed::no(e));
        };
        match (result_type(*op, &l, &r), e.get_type(schema)) {
            (Ok(ours), Ok(theirs)) if ours == theirs => {
                let args = vec![left.as_ref().clone(), right.as_ref().clone()];
                Ok(Transformed::yes(udf.call(args)))
            }
            _ => Ok(Transformed::no(e)),
        }
    })
}

/// Arrow's result type of `l op r` for two `Decimal128` (its Hive-style rules).
fn result_type(op: Operator, l: &DataType, r: &DataType) -> Result<DataType> {
    let (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)) = (l, r) else {
        return plan_err!("decimal arithmetic on {l} and {r}");
    };
    let (p1, s1, p2, s2) = (*p1 as i16, *s1 as i16, *p2 as i16, *s2 as i16);
    let (precision, scale) = match op {
        Operator::Multiply => (p1 + p2 + 1, s1 + s2),
        Operator::Plus | Operator::Minus => {
            let scale = s1.max(s2);
            (scale + (p1 - s1).max(p2 - s2) + 1, scale)
        }
        _ => return plan_err!("no decimal function for {op}"),
    };
    if !(0..=38).contains(&scale) {
        return plan_err!("the scale of {l} {op} {r} would be {scale}");
    }
    Ok(DataType::Decimal128(
        precision.clamp(1, 38) as u8,
        scale as i8,
    ))
}

static MUL: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| udf(Operator::Multiply, "decimal_mul"));
static ADD: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| udf(Operator::Plus, "decimal_add"));
static SUB: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| udf(Operator::Minus, "decimal_sub"));

fn udf(op: Operator, name: &'static str) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(ArithUdf::new(op, name)))
}

fn udf_for(op: Operator) -> Option<&'static Arc<ScalarUDF>> {
    match op {
        Operator::Multiply => Some(&MUL),
        Operator::Plus => Some(&ADD),
        Operator::Minus => Some(&SUB),
        _ => None,
    }
}

/// `a op b` of two `Decimal128` values; see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ArithUdf {
    op: Operator,
    name: &'static str,
    signature: Signature,
}

impl ArithUdf {
    fn new(op: Operator, name: &'static str) -> Self {
        ArithUdf {
            op,
            name,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ArithUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [l, r] => result_type(self.op, l, r),
            _ => plan_err!("{} takes two decimals", self.name),
        }
    }

    /// Nullable only when an operand is, as the operator's result: the rewritten plan keeps
    /// the schema the operator gave it.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        let out = self.return_type(&types)?;
        Ok(Arc::new(Field::new(self.name, out, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Decimal128(precision, scale) = *args.return_field.data_type() else {
            return internal_err!("{} returns a Decimal128", self.name);
        };
        let scale_of = |i: usize| match args.arg_fields[i].data_type() {
            DataType::Decimal128(_, s) => Ok(*s),
            other => internal_err!("{} of {other}", self.name),
        };
        let kernel = Kernel::new(self.op, scale_of(0)?, scale_of(1)?, scale)?;
        let (l, r) = match <[ColumnarValue; 2]>::try_from(args.args) {
            Ok([l, r]) => (l, r),
            Err(_) => return internal_err!("{} takes two arguments", self.name),
        };
        let out = match (l, r) {
            (ColumnarValue::Array(a), ColumnarValue::Array(b)) => {
                let (a, b) = (
                    a.as_primitive::<Decimal128Type>(),
                    b.as_primitive::<Decimal128Type>(),
                );
                let nulls = NullBuffer::union(a.nulls(), b.nulls());
                let (av, bv) = (a.values(), b.values());
                let bv = &bv[..av.len()];
                let values = kernel.apply(av.len(), |i| (av[i], bv[i]), nulls.as_ref())?;
                Decimal128Array::new(values, nulls)
            }
            (ColumnarValue::Array(a), ColumnarValue::Scalar(k)) => {
                with_constant(kernel, &a, &k, |v, k| (v, k))?
            }
            (ColumnarValue::Scalar(k), ColumnarValue::Array(b)) => {
                with_constant(kernel, &b, &k, |v, k| (k, v))?
            }
            (ColumnarValue::Scalar(a), ColumnarValue::Scalar(b)) => {
                let value = match (a, b) {
                    (
                        ScalarValue::Decimal128(Some(x), ..),
                        ScalarValue::Decimal128(Some(y), ..),
                    ) => Some(kernel.apply(1, |_| (x, y), None)?[0]),
                    _ => None,
                };
                let value = ScalarValue::Decimal128(value, precision, scale);
                return Ok(ColumnarValue::Scalar(value));
            }
        };
        let out = out.with_precision_and_scale(precision, scale)?;
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

/// `array op k` or `k op array` (as `pair` puts them) for a constant `k`.
fn with_constant(
    kernel: Kernel,
    array: &ArrayRef,
    k: &ScalarValue,
    pair: impl Fn(i128, i128) -> (i128, i128),
) -> Result<Decimal128Array> {
    let array = array.as_primitive::<Decimal128Type>();
    let ScalarValue::Decimal128(Some(k), ..) = *k else {
        return Ok(Decimal128Array::new_null(array.len()));
    };
    let nulls = array.nulls().cloned();
    let values = array.values();
    let out = kernel.apply(values.len(), |i| pair(values[i], k), nulls.as_ref())?;
    Ok(Decimal128Array::new(out, nulls))
}

/// One operation with its operands' rescaling factors.
#[derive(Clone, Copy)]
struct Kernel {
    op: Operator,
    /// What each side is multiplied by to reach the result's scale (`+` and `-` only).
    l_mul: i128,
    r_mul: i128,
}

impl Kernel {
    fn new(op: Operator, s1: i8, s2: i8, scale: i8) -> Result<Kernel> {
        let factor = |s: i8| -> Result<i128> {
            match op {
                Operator::Multiply => Ok(1),
                _ => Ok(10i128.pow_checked(u32::try_from(scale - s).unwrap_or(0))?),
            }
        };
        Ok(Kernel {
            op,
            l_mul: factor(s1)?,
            r_mul: factor(s2)?,
        })
    }

    /// Arrow's error for the overflow of `x op y`.
    fn error(self, x: i128, y: i128) -> ArrowError {
        let arrow = match self.op {
            Operator::Multiply => x.mul_checked(y),
            Operator::Plus => x
                .mul_checked(self.l_mul)
                .and_then(|a| a.add_checked(y.mul_checked(self.r_mul)?)),
            _ => x
                .mul_checked(self.l_mul)
                .and_then(|a| a.sub_checked(y.mul_checked(self.r_mul)?)),
        };
        match arrow {
            Err(e) => e,
            Ok(_) => ArrowError::ArithmeticOverflow(format!(
                "Overflow happened on: {x:?} {} {y:?}",
                self.op
            )),
        }
    }

    /// `x op y` for the pairs `pair(0..len)`; an overflow is an error only where `nulls`
    /// says the row is valid (the values under a null are unspecified). The operation and
    /// its rescaling are chosen once, outside the loop.
    fn apply(
        self,
        len: usize,
        pair: impl Fn(usize) -> (i128, i128),
        nulls: Option<&NullBuffer>,
    ) -> Result<ScalarBuffer<i128>> {
        let (lm, rm) = (self.l_mul, self.r_mul);
        let scaled = move |v: i128, m: i128| if m == 1 { Some(v) } else { product(v, m) };
        let failed = match (self.op, lm == 1 && rm == 1) {
            (Operator::Multiply, _) => run(len, &pair, nulls, product),
            (Operator::Plus, true) => run(len, &pair, nulls, |x, y| x.checked_add(y)),
            (Operator::Plus, false) => run(len, &pair, nulls, |x, y| {
                scaled(x, lm)?.checked_add(scaled(y, rm)?)
            }),
            (_, true) => run(len, &pair, nulls, |x, y| x.checked_sub(y)),
            (_, false) => run(len, &pair, nulls, |x, y| {
                scaled(x, lm)?.checked_sub(scaled(y, rm)?)
            }),
        };
        match failed {
            Err((x, y)) => Err(self.error(x, y).into()),
            Ok(values) => Ok(ScalarBuffer::from(values)),
        }
    }
}

/// `f` over the pairs, or the first pair that overflows in a valid row.
#[inline(always)]
fn run(
    len: usize,
    pair: &impl Fn(usize) -> (i128, i128),
    nulls: Option<&NullBuffer>,
    f: impl Fn(i128, i128) -> Option<i128>,
) -> std::result::Result<Vec<i128>, (i128, i128)> {
    let mut out = Vec::with_capacity(len);
    let mut failed = None;
    for i in 0..len {
        let (x, y) = pair(i);
        out.push(f(x, y).unwrap_or_else(|| {
            if failed.is_none() && nulls.is_none_or(|n| n.is_valid(i)) {
                failed = Some((x, y));
            }
            0
        }));
    }
    match failed {
        Some(pair) => Err(pair),
        None => Ok(out),
    }
}

/// `x * y`, or `None` on overflow. Values that fit in 64 bits take one widening multiply.
#[inline]
fn product(x: i128, y: i128) -> Option<i128> {
    match (i64::try_from(x), i64::try_from(y)) {
        (Ok(x), Ok(y)) => Some(i128::from(x) * i128::from(y)),
        _ => x.checked_mul(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Decimal128Array, Int64Array};
    use datafusion::arrow::compute::kernels::numeric;
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::error::DataFusionError;
    use datafusion::prelude::SessionContext;

    const OPS: [Operator; 3] = [Operator::Multiply, Operator::Plus, Operator::Minus];

    fn decimals(values: Vec<Option<i128>>, p: u8, s: i8) -> ArrayRef {
        let array = Decimal128Array::from(values);
        Arc::new(array.with_precision_and_scale(p, s).unwrap())
    }

    fn arrow(
        op: Operator,
        a: &dyn datafusion::arrow::array::Datum,
        b: &dyn datafusion::arrow::array::Datum,
    ) -> Result<ArrayRef, ArrowError> {
        match op {
            Operator::Multiply => numeric::mul(a, b),
            Operator::Plus => numeric::add(a, b),
            _ => numeric::sub(a, b),
        }
    }

    fn call(op: Operator, values: Vec<ColumnarValue>) -> Result<ArrayRef> {
        let types: Vec<DataType> = values.iter().map(|a| a.data_type()).collect();
        let out = result_type(op, &types[0], &types[1])?;
        let rows = values
            .iter()
            .find_map(|a| match a {
                ColumnarValue::Array(a) => Some(a.len()),
                _ => None,
            })
            .unwrap_or(1);
        let args = ScalarFunctionArgs {
            arg_fields: types
                .iter()
                .map(|t| Arc::new(Field::new("x", t.clone(), true)))
                .collect(),
            args: values,
            number_rows: rows,
            return_field: Arc::new(Field::new("out", out, true)),
            config_options: Arc::default(),
        };
        match ArithUdf::new(op, "f").invoke_with_args(args)? {
            ColumnarValue::Array(a) => Ok(a),
            ColumnarValue::Scalar(s) => s.to_array(),
        }
    }

    #[test]
    fn results_match_arrow_for_every_operator_and_shape() {
        // Beyond 64 bits on purpose: the products still fit 128 bits.
        let big = 10i128.pow(19) + 7;
        let a = decimals(
            vec![
                Some(1234),
                Some(-5),
                None,
                Some(big),
                Some(i64::MAX as i128),
            ],
            22,
            2,
        );
        let b = decimals(
            vec![
                Some(99),
                Some(7),
                Some(3),
                Some(-big),
                Some(i64::MIN as i128),
            ],
            22,
            4,
        );
        let k = ScalarValue::Decimal128(Some(-250), 20, 0);
        let ks = k.to_array_of_size(a.len()).unwrap();
        let one = ScalarValue::Decimal128(Some(3), 5, 1);
        let array = |x: &ArrayRef| ColumnarValue::Array(x.clone());
        let scalar = |x: &ScalarValue| ColumnarValue::Scalar(x.clone());
        // (our arguments, arrow's arguments): array-array, scalar-array, array-scalar, scalars.
        let shapes = [
            ((array(&a), array(&b)), (a.clone(), b.clone())),
            ((scalar(&k), array(&a)), (ks.clone(), a.clone())),
            ((array(&a), scalar(&k)), (a.clone(), ks.clone())),
            (
                (scalar(&one), scalar(&k)),
                (one.to_array().unwrap(), k.to_array().unwrap()),
            ),
        ];
        for op in OPS {
            for ((l, r), (al, ar)) in &shapes {
                let ours = call(op, vec![l.clone(), r.clone()]).unwrap();
                assert_eq!(ours.as_ref(), arrow(op, al, ar).unwrap().as_ref(), "{op}");
            }
        }
    }

    #[test]
    fn overflow_is_arrows_error_and_only_in_valid_rows() {
        let max = decimals(vec![Some(i128::MAX / 2 + 1), None], 38, 0);
        for op in OPS {
            let ours = call(
                op,
                vec![
                    ColumnarValue::Array(max.clone()),
                    ColumnarValue::Array(max.clone()),
                ],
            );
            let theirs = arrow(op, &max, &max);
            match op {
                Operator::Minus => assert_eq!(ours.unwrap().as_ref(), theirs.unwrap().as_ref()),
                _ => assert_eq!(
                    ours.unwrap_err().to_string(),
                    DataFusionError::from(theirs.unwrap_err()).to_string()
                ),
            }
        }
        // The overflowing value sits under a null: no error, the row stays null.
        let hidden =
            Decimal128Array::new(ScalarBuffer::from(vec![1, i128::MAX]), max.nulls().cloned());
        let hidden: ArrayRef = Arc::new(hidden.with_precision_and_scale(38, 0).unwrap());
        let two = decimals(vec![Some(2), Some(2)], 38, 0);
        let out = call(
            Operator::Multiply,
            vec![ColumnarValue::Array(hidden), ColumnarValue::Array(two)],
        )
        .unwrap();
        assert_eq!(out.as_primitive::<Decimal128Type>().value(0), 2);
        assert!(out.is_null(1));
    }

    async fn run(ctx: &SessionContext, sql: &str) -> (Vec<String>, Vec<DataType>, String, String) {
        let df = ctx.sql(sql).await.unwrap();
        let plan = format!(
            "{}",
            df.clone().into_optimized_plan().unwrap().display_indent()
        );
        let fields = df.schema().fields().clone();
        let names = fields.iter().map(|f| f.name().clone()).collect();
        let types = fields.iter().map(|f| f.data_type().clone()).collect();
        let rows = pretty_format_batches(&df.collect().await.unwrap())
            .unwrap()
            .to_string();
        (names, types, rows, plan)
    }

    #[tokio::test]
    async fn queries_keep_their_names_types_and_results() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("p", DataType::Decimal128(15, 2), true),
            Field::new("d", DataType::Decimal128(15, 2), true),
            Field::new("n", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                decimals(vec![Some(1050), Some(2000), None], 15, 2),
                decimals(vec![Some(10), Some(5), Some(1)], 15, 2),
                Arc::new(Int64Array::from(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        // One optimizer pass: the rewritten projection's schema is not rebuilt afterwards.
        let one_pass = datafusion::prelude::SessionConfig::new()
            .set_usize("datafusion.optimizer.max_passes", 1);
        let ours = SessionContext::new_with_config(one_pass);
        ours.add_optimizer_rule(Arc::new(DecimalArith));
        let plain = SessionContext::new();
        for ctx in [&ours, &plain] {
            ctx.register_batch("t", batch.clone()).unwrap();
        }
        for sql in [
            "SELECT p * (1 - d), sum(p * d) OVER (), p * n, p + 0.001 FROM t \
             WHERE p * d > 0.5 OR p IS NULL ORDER BY 1",
            "SELECT sum(p * (1 - d)) AS s, sum(p * (1 - d) * (1 + d)), avg(p - d) FROM t",
            "SELECT n, sum(p * d) FROM t GROUP BY n HAVING sum(p * d) > 0 ORDER BY n",
            "SELECT sum(x) FROM (SELECT a * b AS x FROM (VALUES \
             (CAST(1.5 AS DECIMAL(10,2)), CAST(2 AS DECIMAL(10,2)))) v(a, b))",
        ] {
            let (names, types, rows, plan) = run(&ours, sql).await;
            assert!(plan.contains("decimal_mul"), "{plan}");
            let (want_names, want_types, want_rows, _) = run(&plain, sql).await;
            assert_eq!(names, want_names, "{sql}");
            assert_eq!(types, want_types, "{sql}");
            assert_eq!(rows, want_rows, "{sql}");
        }
    }
}
