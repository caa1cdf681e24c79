//! Parameters (`$1` .. `$n`) in the extended protocol: the types the client declared for a
//! query's parameters, and the values of the statements the session plans itself (INSERT,
//! CTAS and DECLARE).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::ParamValues;
use datafusion::logical_expr::expr::Placeholder;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::tokenizer::Token;
use datafusion_postgres::arrow_pg::datatypes::df;
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::stmt::StoredStatement;
use datafusion_postgres::pgwire::api::Type;
use datafusion_postgres::pgwire::error::PgWireResult;

use super::DfStatement;

/// The number of parameters a statement takes: the highest `$n` in it.
pub(super) fn placeholder_count(sql: &str) -> usize {
    let Ok(tokens) = crate::sql_text::tokens(&PostgreSqlDialect {}, sql) else {
        return 0;
    };
    tokens
        .iter()
        .filter_map(|(t, _)| match t {
            Token::Placeholder(p) => p.strip_prefix('$')?.parse::<usize>().ok(),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The values bound to `portal`. A value keeps the type the client sent; one sent without a
/// type takes `inferred`'s type for its position (the plan's), else text, which INSERT casts
/// to the column. Every NULL is read as a text NULL: arrow-pg drops a NULL whose type it has
/// no case for, which would shift every later parameter.
pub(super) fn bound_params(
    portal: &Portal<DfStatement>,
    inferred: &[Option<DataType>],
) -> PgWireResult<ParamValues> {
    let n = portal.parameter_len();
    let mut hints = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    for i in 0..n {
        let sent = portal.statement.parameter_types.get(i).cloned().flatten();
        let sent = sent.filter(|t| *t != Type::UNKNOWN);
        let null = matches!(portal.parameters.get(i), Some(None));
        let guess = inferred.get(i).cloned().flatten();
        let (hint, inferred) = match (null, sent, guess) {
            (true, _, _) => (Some(Type::TEXT), None),
            (false, Some(t), _) => (Some(t), None),
            (false, None, Some(g)) => (None, Some(g)),
            (false, None, None) => (Some(Type::TEXT), None),
        };
        hints.push(hint);
        types.push(inferred);
    }
    let typed = with_hints(portal, hints, portal.parameter_format.clone());
    let refs: Vec<Option<&DataType>> = types.iter().map(Option::as_ref).collect();
    Ok(match df::deserialize_parameters(&typed, &refs)? {
        ParamValues::List(values) => ParamValues::List(
            values
                .into_iter()
                .map(|mut v| {
                    v.value = widen_decimal(v.value);
                    v
                })
                .collect(),
        ),
        other => other,
    })
}

/// A query's plan with each parameter of a type the client declared in Parse taking that
/// type, where the type DataFusion inferred from the parameter's place would not hold the
/// value: an integer, float or NUMERIC compared with a `decimal` column of fewer places, a
/// float or NUMERIC with an integer column, a timestamp with a date. DataFusion then
/// compares them as PostgreSQL does, in the wider type (`qty > 49.5` as floats, not
/// `qty > 49.50` with the value rounded to the column's scale). Parameters sent as text or
/// without a type keep the inferred type, except that a decimal of fewer than ten places
/// takes ten.
pub(super) fn with_declared_types(
    plan: LogicalPlan,
    declared: &[Option<Type>],
) -> datafusion::common::Result<LogicalPlan> {
    let inferred = plan.get_parameter_types()?;
    let mut retyped = HashMap::new();
    for (id, guess) in &inferred {
        let sent = position(id)
            .and_then(|i| declared.get(i))
            .and_then(|t| t.as_ref().and_then(arrow_type));
        let wanted = match sent {
            Some(sent) if !holds(guess.as_ref(), &sent) => sent,
            Some(_) => continue,
            // Text for a decimal is read as a NUMERIC (`numeric_text`), with ten places
            // where the column's fewer would round it (`amount > '7.249'`).
            None => match guess {
                Some(DataType::Decimal128(_, scale)) if *scale < NUMERIC_SCALE => {
                    DataType::Decimal128(38, NUMERIC_SCALE)
                }
                _ => continue,
            },
        };
        retyped.insert(id.clone(), Arc::new(Field::new("", wanted, true)));
    }
    if retyped.is_empty() {
        return Ok(plan);
    }
    let retype = |e: Expr| {
        let Expr::Placeholder(p) = e else {
            return Ok(Transformed::no(e));
        };
        Ok(match retyped.get(&p.id) {
            Some(field) => {
                let field = Some(Arc::clone(field));
                Transformed::yes(Expr::Placeholder(Placeholder::new_with_field(p.id, field)))
            }
            None => Transformed::no(Expr::Placeholder(p)),
        })
    };
    let retyped_plan = plan.clone().transform_up_with_subqueries(|node| {
        let node = node.map_expressions(|e| e.transform(retype))?.data;
        // Every node, as a column's type may come from a retyped parameter below it.
        node.recompute_schema().map(Transformed::yes)
    });
    // A plan whose types no longer fit together with the declared types (a UNION of a
    // parameter and a column, say) keeps the inferred ones: arrow-pg then converts the
    // values as before.
    Ok(match retyped_plan {
        Ok(t) => t.data,
        Err(e) => {
            tracing::debug!("parameters keep their inferred types: {e}");
            plan
        }
    })
}

/// The zero-based position of a parameter id such as `$2`.
fn position(id: &str) -> Option<usize> {
    id.strip_prefix('$')?.parse::<usize>().ok()?.checked_sub(1)
}

/// `portal` with each parameter that a client sent as text (declared `text` or `varchar`,
/// or `unknown` in text format, as pgjdbc's `setString` and psycopg's `str` are) and that
/// fills a decimal marked NUMERIC and read in text format. arrow-pg then parses it as a
/// number at the parameter's decimal type (`with_declared_types`: ten places) instead of
/// handing DataFusion a string that it would cast to the column's type, rounding it. `None`
/// when no parameter is such.
pub(super) fn numeric_text(portal: &Portal<DfStatement>) -> Option<Portal<DfStatement>> {
    let (_, Some((_, plan))) = &portal.statement.statement else {
        return None;
    };
    let n = portal.parameter_len();
    let mut hints = portal.statement.parameter_types.clone();
    hints.resize(n, None);
    // Most executions have no parameter sent as text: they skip the walk over the plan.
    let may_be_text = |t: &Option<Type>| {
        matches!(
            t,
            Some(Type::TEXT) | Some(Type::VARCHAR) | Some(Type::UNKNOWN)
        )
    };
    if !hints.iter().any(may_be_text) {
        return None;
    }
    let inferred = plan.get_parameter_types().ok()?;
    // A text value's binary form is its UTF-8 bytes, the same as its text form: such a
    // parameter is read as text whatever format it came in.
    let mut formats: Vec<i16> = (0..n)
        .map(|i| i16::from(portal.parameter_format.is_binary(i)))
        .collect();
    let mut changed = false;
    for (id, t) in &inferred {
        let Some(i) = position(id).filter(|i| *i < n) else {
            continue;
        };
        // Without a declared type the client encodes what Describe announced, which is
        // the decimal type already; an UNKNOWN value is text only in text format.
        let textual = match &hints[i] {
            Some(Type::TEXT) | Some(Type::VARCHAR) => true,
            Some(Type::UNKNOWN) => formats[i] == 0,
            _ => false,
        };
        if matches!(t, Some(DataType::Decimal128(..))) && textual {
            hints[i] = Some(Type::NUMERIC);
            formats[i] = 0;
            changed = true;
        }
    }
    changed.then(|| with_hints(portal, hints, Format::Individual(formats)))
}

/// A copy of `portal` whose parameters arrow-pg reads as the types `hints` and in the
/// formats `formats`.
fn with_hints(
    portal: &Portal<DfStatement>,
    hints: Vec<Option<Type>>,
    formats: Format,
) -> Portal<DfStatement> {
    let stmt = &portal.statement;
    let typed = StoredStatement::new(stmt.id.clone(), stmt.statement.clone(), hints);
    let mut out = Portal::new_cursor(portal.name.clone(), Arc::new(typed));
    out.parameter_format = formats;
    out.parameters = portal.parameters.clone();
    out.result_column_format = portal.result_column_format.clone();
    out
}

/// The Arrow type of a parameter type a client declares, for the types whose values
/// DataFusion compares differently from the inferred type; text and unknown are `None`.
fn arrow_type(t: &Type) -> Option<DataType> {
    Some(match *t {
        Type::INT2 => DataType::Int16,
        Type::INT4 => DataType::Int32,
        Type::INT8 => DataType::Int64,
        Type::FLOAT4 => DataType::Float32,
        Type::FLOAT8 => DataType::Float64,
        // The value's own scale is known only when it is bound: ten places hold what
        // clients send, where the column's scale would round it.
        Type::NUMERIC => DataType::Decimal128(38, NUMERIC_SCALE),
        Type::BOOL => DataType::Boolean,
        Type::DATE => DataType::Date32,
        Type::TIMESTAMP => DataType::Timestamp(TimeUnit::Microsecond, None),
        Type::TIMESTAMPTZ => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        _ => return None,
    })
}

/// The scale of a parameter declared NUMERIC whose inferred type would not hold it.
const NUMERIC_SCALE: i8 = 10;

/// Whether a parameter of the inferred type takes a value sent as `sent` unchanged in
/// meaning: the same type, an integer into any integer or float type (arrow-pg refuses one
/// that does not fit), a NUMERIC into a float or a decimal of as many places. Where
/// nothing is inferred (`SELECT $1`), arrow-pg reads a NUMERIC with its own places.
fn holds(inferred: Option<&DataType>, sent: &DataType) -> bool {
    let Some(t) = inferred else {
        return matches!(sent, DataType::Decimal128(..));
    };
    match sent {
        _ if t == sent => true,
        s if s.is_integer() => t.is_integer() || t.is_floating(),
        DataType::Decimal128(..) => match t {
            DataType::Decimal128(_, scale) => *scale >= NUMERIC_SCALE,
            t => t.is_floating(),
        },
        _ => false,
    }
}

/// arrow-pg gives a NUMERIC value as many digits of precision as it has, so `0.05` is
/// `decimal(1, 2)`, which Arrow refuses: widen to the scale.
fn widen_decimal(v: ScalarValue) -> ScalarValue {
    match v {
        ScalarValue::Decimal128(x, p, s) if s > 0 && i16::from(p) < i16::from(s) => {
            ScalarValue::Decimal128(x, s.unsigned_abs(), s)
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn plan(sql: &str) -> LogicalPlan {
        let ctx = datafusion::prelude::SessionContext::new();
        let batch = datafusion::arrow::record_batch::RecordBatch::try_from_iter([
            ("qty", decimal(&[4950, 5000]) as _),
            (
                "id",
                Arc::new(datafusion::arrow::array::Int64Array::from(vec![3, 4])) as _,
            ),
        ])
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        ctx.state().create_logical_plan(sql).await.unwrap()
    }

    fn decimal(values: &[i128]) -> Arc<datafusion::arrow::array::Decimal128Array> {
        let array = datafusion::arrow::array::Decimal128Array::from(values.to_vec());
        Arc::new(array.with_precision_and_scale(15, 2).unwrap())
    }

    async fn count(plan: LogicalPlan, params: Vec<ScalarValue>) -> usize {
        let ctx = datafusion::prelude::SessionContext::new();
        let plan = plan.with_param_values(params).unwrap();
        let batches = ctx
            .execute_logical_plan(plan)
            .await
            .unwrap()
            .collect()
            .await;
        batches.unwrap().iter().map(|b| b.num_rows()).sum()
    }

    #[tokio::test]
    async fn declared_numbers_compare_in_the_wider_type() {
        let sql = "SELECT id FROM t WHERE qty > $1 AND id < $2";
        let declared = [Some(Type::FLOAT8), Some(Type::FLOAT8)];
        let plan = with_declared_types(plan(sql).await, &declared).unwrap();
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$1"], Some(DataType::Float64));
        assert_eq!(types["$2"], Some(DataType::Float64));
        // rounded to the column's scale, 49.499 would be 49.50, which 49.50 does not exceed
        let params = vec![
            ScalarValue::Float64(Some(49.499)),
            ScalarValue::Float64(Some(9.0)),
        ];
        assert_eq!(count(plan, params).await, 2);
        // cut to an integer, 3.5 would be 3, which 3 is not below
        let params = vec![
            ScalarValue::Float64(Some(40.0)),
            ScalarValue::Float64(Some(3.5)),
        ];
        let plan = with_declared_types(self::plan(sql).await, &declared).unwrap();
        assert_eq!(count(plan, params).await, 1);
    }

    #[tokio::test]
    async fn integers_keep_the_inferred_type_where_it_holds_them_and_text_widens_decimals() {
        let sql = "SELECT id FROM t WHERE id = $1 AND qty > $2 LIMIT $3";
        let declared = [Some(Type::INT2), Some(Type::TEXT), Some(Type::INT2)];
        let plan = with_declared_types(plan(sql).await, &declared).unwrap();
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$1"], Some(DataType::Int64));
        assert_eq!(types["$2"], Some(DataType::Decimal128(38, 10)));
        // DataFusion infers no type for LIMIT's parameter: the declared one is taken
        assert_eq!(types["$3"], Some(DataType::Int16));
        let params = vec![
            ScalarValue::Int64(Some(3)),
            ScalarValue::Decimal128(Some(10_000_000_000), 38, 10),
            ScalarValue::Int16(Some(1)),
        ];
        assert_eq!(count(plan, params).await, 1);
        // text or undeclared: a decimal widens to ten places, other types stay
        let sql = "SELECT id FROM t WHERE qty > $1 AND id > $2";
        let plan = with_declared_types(self::plan(sql).await, &[Some(Type::VARCHAR)]).unwrap();
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$1"], Some(DataType::Decimal128(38, 10)));
        assert_eq!(types["$2"], Some(DataType::Int64));
        // an integer against a decimal column is retyped, and compares exactly
        let sql = "SELECT id FROM t WHERE qty >= $1";
        let plan = with_declared_types(self::plan(sql).await, &[Some(Type::INT8)]).unwrap();
        assert_eq!(
            plan.get_parameter_types().unwrap()["$1"],
            Some(DataType::Int64)
        );
        assert_eq!(count(plan, vec![ScalarValue::Int64(Some(50))]).await, 1);
    }

    #[tokio::test]
    async fn declared_numerics_keep_their_places() {
        let sql = "SELECT id FROM t WHERE qty > $1 AND id < $2";
        let declared = [Some(Type::NUMERIC), Some(Type::NUMERIC)];
        let plan = with_declared_types(plan(sql).await, &declared).unwrap();
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$1"], Some(DataType::Decimal128(38, 10)));
        assert_eq!(types["$2"], Some(DataType::Decimal128(38, 10)));
        // 49.499 and 3.5, exactly
        let params = vec![
            ScalarValue::Decimal128(Some(494_990_000_000), 38, 10),
            ScalarValue::Decimal128(Some(35_000_000_000), 38, 10),
        ];
        assert_eq!(count(plan, params).await, 1);
    }

    #[tokio::test]
    async fn a_numeric_with_no_inferred_type_is_left_to_arrow_pg() {
        let sql = "SELECT $1 AS x, $2 AS y";
        let declared = [Some(Type::NUMERIC), Some(Type::FLOAT8)];
        let plan = with_declared_types(plan(sql).await, &declared).unwrap();
        let types = plan.get_parameter_types().unwrap();
        assert_eq!(types["$1"], None);
        assert_eq!(types["$2"], Some(DataType::Float64));
    }

    #[tokio::test]
    async fn a_union_of_a_retyped_parameter_and_a_column_still_runs() {
        let sql = "SELECT $1 AS x UNION ALL SELECT qty FROM t";
        let plan = with_declared_types(plan(sql).await, &[Some(Type::FLOAT8)]).unwrap();
        let value = match plan.get_parameter_types().unwrap()["$1"] {
            Some(DataType::Float64) => ScalarValue::Float64(Some(1.5)),
            Some(DataType::Decimal128(p, s)) => ScalarValue::Decimal128(Some(150), p, s),
            ref other => panic!("unexpected parameter type {other:?}"),
        };
        assert_eq!(count(plan, vec![value]).await, 3);
    }

    #[tokio::test]
    async fn a_retyped_parameter_in_the_output_changes_the_column_type() {
        let sql = "SELECT x + 1 AS y FROM (SELECT $1 AS x)";
        let plan = with_declared_types(plan(sql).await, &[Some(Type::FLOAT8)]).unwrap();
        assert_eq!(plan.schema().field(0).data_type(), &DataType::Float64);
    }

    #[test]
    fn counts_the_highest_placeholder() {
        assert_eq!(placeholder_count("INSERT INTO t VALUES ($1, $3, '$9')"), 3);
        assert_eq!(placeholder_count("INSERT INTO t SELECT 1"), 0);
    }

    #[test]
    fn decimals_below_one_get_a_precision_arrow_takes() {
        assert_eq!(
            widen_decimal(ScalarValue::Decimal128(Some(5), 1, 2)),
            ScalarValue::Decimal128(Some(5), 2, 2)
        );
        let fine = ScalarValue::Decimal128(Some(125), 3, 2);
        assert_eq!(widen_decimal(fine.clone()), fine);
    }
}
