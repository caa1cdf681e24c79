//! Hive delimited text read the way LazySimpleSerDe reads it: every field is text, `\N` is
//! NULL, and the rest is cast to the column's type. DataFusion's CSV scan does not apply a
//! NULL pattern (its `null_regex` only affects schema inference), so a typed scan failed on
//! the `\N` that Hive, Spark and our own INSERT write for NULL.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Column, DFSchema};
use datafusion::error::Result as DfResult;
use datafusion::functions::expr_fn::nullif;
use datafusion::logical_expr::{cast, lit, Expr};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;

/// Hive's text form of NULL.
pub(crate) const TEXT_NULL: &str = "\\N";

/// The file schema a text scan reads: the data columns, all as text.
pub(crate) fn as_text(file_schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = file_schema
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), DataType::Utf8, true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// `scan` (over the text file schema plus typed partition columns) with each data column
/// turned into its type in `table_schema`; partition columns pass through.
pub(crate) fn typed(
    state: &dyn Session,
    scan: Arc<dyn ExecutionPlan>,
    table_schema: &Schema,
    text_schema: &Schema,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let data: HashSet<&str> = text_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let input = scan.schema();
    let df_schema = DFSchema::try_from(Arc::clone(&input))?;
    let exprs = input
        .fields()
        .iter()
        .map(|f| {
            let column = Expr::Column(Column::new_unqualified(f.name()));
            let expr = if data.contains(f.name().as_str()) {
                let target = table_schema.field_with_name(f.name())?.data_type().clone();
                cast(nullif(column, lit(TEXT_NULL)), target)
            } else {
                column
            };
            Ok((
                state.create_physical_expr(expr, &df_schema)?,
                f.name().clone(),
            ))
        })
        .collect::<DfResult<Vec<_>>>()?;
    Ok(Arc::new(ProjectionExec::try_new(exprs, scan)?))
}
