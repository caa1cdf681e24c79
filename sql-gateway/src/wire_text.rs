//! Result columns that have no PostgreSQL type in arrow-pg (maps, lists of lists or of maps,
//! structs holding either) reach the client as text, the way Arrow displays the values:
//! `{a: 1, b: NULL}` for a map, `[[1, 2], [3]]` for a list of lists. Without this, `SELECT *`
//! over a table with a `map<...>` column failed with "Unsupported Datatype" (XX000).
//!
//! Only the plan's output changes: inside the query such a column keeps its type, so
//! `m['key']` and `cardinality(m)` work as before.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{Column, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{
    cast, Expr, LogicalPlan, LogicalPlanBuilder, Signature, Volatility,
};
use datafusion_postgres::arrow_pg::datatypes::arrow_schema_to_pg_fields;
use datafusion_postgres::pgwire::api::portal::Format;

use crate::pg_functions::TextUdf;

/// Whether arrow-pg can describe a column of this field to a client.
fn has_pg_type(field: &Field) -> bool {
    let one = Schema::new(vec![field.clone()]);
    arrow_schema_to_pg_fields(&one, &Format::UnifiedText, None).is_ok()
}

/// `plan` as clients should see it: its output columns with the types they will really have
/// ([`with_final_types`]), then those without a PostgreSQL type as text
/// ([`with_text_columns`]). Plans that do not return rows are left alone.
pub(crate) fn for_clients(plan: LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    if !is_query(&plan) {
        return Ok(plan);
    }
    with_text_columns(with_final_types(plan, state)?)
}

/// `plan` with each output column that has no PostgreSQL type turned into text (keeping its
/// name), or `plan` itself when every column has one.
fn with_text_columns(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    if schema.fields().iter().all(|f| has_pg_type(f)) {
        return Ok(plan);
    }
    let as_text = Arc::new(TextUdf::udf(
        "lakehive_as_text",
        Signature::any(1, Volatility::Immutable),
        as_text,
    ));
    replace_columns(plan, |i, column| {
        (!has_pg_type(schema.field(i))).then(|| as_text.call(vec![column]))
    })
}

/// Whether `plan` returns rows a projection may be put over. DDL such as `SELECT ... INTO`
/// (`CreateMemoryTable`) states its input's schema but runs only as the top node.
fn is_query(plan: &LogicalPlan) -> bool {
    !matches!(
        plan,
        LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Extension(_)
    )
}

/// `plan` with casts to the types its output columns will have once DataFusion's analyzer has
/// run. A plan straight from SQL states some types before coercion: `CASE WHEN c THEN 1 ELSE
/// u END` with an unsigned `u` says `bigint` (its first branch) but yields `numeric`, and a
/// client told `int8` could not read the values (or, in binary, read wrong ones). Plans with
/// parameters are left as they are (their types come with the values), as are plans the
/// analyzer rejects (running them reports the error).
fn with_final_types(plan: LogicalPlan, state: &SessionState) -> Result<LogicalPlan> {
    if !plan.get_parameter_types()?.is_empty() {
        return Ok(plan);
    }
    let analyzed =
        state
            .analyzer()
            .execute_and_check(plan.clone(), state.config_options(), |_, _| {});
    let Ok(analyzed) = analyzed else {
        return Ok(plan);
    };
    let (before, after) = (Arc::clone(plan.schema()), analyzed.schema());
    let changed = |i: usize| before.field(i).data_type() != after.field(i).data_type();
    if before.fields().len() != after.fields().len() || !(0..before.fields().len()).any(changed) {
        return Ok(plan);
    }
    replace_columns(plan, |i, column| {
        changed(i).then(|| cast(column, after.field(i).data_type().clone()))
    })
}

/// `plan` under a projection of its output columns, each kept or, where `replace` gives an
/// expression over it, that expression under the column's name.
fn replace_columns(
    plan: LogicalPlan,
    replace: impl Fn(usize, Expr) -> Option<Expr>,
) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    let exprs = schema.iter().enumerate().map(|(i, (qualifier, field))| {
        let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
        match replace(i, column.clone()) {
            Some(e) => e.alias_qualified(qualifier.cloned(), field.name()),
            None => column,
        }
    });
    LogicalPlanBuilder::from(plan).project(exprs)?.build()
}

/// Each value of the one argument as Arrow displays it; NULL stays NULL.
fn as_text(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [values] = args else {
        return datafusion::common::exec_err!("lakehive_as_text takes one argument");
    };
    let options = FormatOptions::default().with_null("NULL");
    let formatter = ArrayFormatter::try_new(values.as_ref(), &options)?;
    let mut out = StringBuilder::with_capacity(values.len(), values.len() * 16);
    for i in 0..values.len() {
        if values.is_null(i) {
            out.append_null();
        } else {
            out.append_value(formatter.value(i).to_string());
        }
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, RecordBatch};
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn planned(ctx: &SessionContext, sql: &str) -> LogicalPlan {
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        with_text_columns(plan).unwrap()
    }

    async fn rows(ctx: &SessionContext, plan: LogicalPlan) -> Vec<RecordBatch> {
        let frame = ctx.execute_logical_plan(plan).await.unwrap();
        frame.collect().await.unwrap()
    }

    #[tokio::test]
    async fn maps_and_lists_of_lists_become_text_and_the_rest_stays() {
        let ctx = SessionContext::new();
        let sql = "SELECT 1 AS n, map(['a', 'b'], [1, NULL]) AS m, \
                   make_array(make_array(1, 2), make_array(3)) AS ll, make_array(4) AS l";
        let plan = planned(&ctx, sql).await;
        let types: Vec<(String, DataType)> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        assert_eq!(types[0], ("n".into(), DataType::Int64));
        assert_eq!(types[1], ("m".into(), DataType::Utf8));
        assert_eq!(types[2], ("ll".into(), DataType::Utf8));
        assert!(matches!(types[3].1, DataType::List(_)));
        let batches = rows(&ctx, plan).await;
        let text = |c: usize| batches[0].column(c).as_string::<i32>().value(0).to_string();
        assert_eq!(text(1), "{a: 1, b: NULL}");
        assert_eq!(text(2), "[[1, 2], [3]]");
    }

    #[tokio::test]
    async fn a_plan_every_client_type_covers_is_left_alone() {
        let ctx = SessionContext::new();
        let sql = "SELECT 1 AS n, make_array('x') AS l, named_struct('a', 1) AS s";
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        assert_eq!(with_text_columns(plan.clone()).unwrap(), plan);
    }

    #[tokio::test]
    async fn a_null_map_stays_null() {
        let ctx = SessionContext::new();
        let sql = "SELECT CASE WHEN false THEN map(['a'], [1]) END AS m";
        let plan = planned(&ctx, sql).await;
        let batches = rows(&ctx, plan).await;
        assert!(batches[0].column(0).is_null(0));
    }
}
