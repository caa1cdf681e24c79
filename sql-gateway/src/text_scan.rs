//! Hive delimited text read the way LazySimpleSerDe reads it: every field is text, the
//! table's NULL marker (`\N` by default) is NULL, and the rest is cast to the column's type.
//! DataFusion's CSV scan does not apply a NULL pattern (its `null_regex` only affects schema
//! inference), so a typed scan failed on the `\N` that Hive, Spark and our own INSERT write
//! for NULL. (An empty field reads as NULL, as DataFusion's CSV reader has it.)

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Column, DFSchema};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::functions::expr_fn::nullif;
use datafusion::logical_expr::{cast, lit, Expr};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::ExecutionPlan;

/// The file schema a text scan reads: the data columns, all as text.
pub(crate) fn as_text(file_schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = file_schema
        .fields()
        .iter()
        .map(|f| Field::new(f.name(), DataType::Utf8, true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Column types delimited text cannot hold here: Hive writes binary as base64 and nested
/// values with its own separators, which a cast from text would misread.
pub(crate) fn unsupported_in_text(t: &DataType) -> bool {
    t.is_nested()
        || matches!(
            t,
            DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
                | DataType::FixedSizeBinary(_)
        )
}

/// `scan` (over the text file schema plus typed partition columns) with each data column
/// turned into its type in `table_schema`, the `null` marker becoming NULL; partition
/// columns pass through.
pub(crate) fn typed(
    state: &dyn Session,
    scan: Arc<dyn ExecutionPlan>,
    table_schema: &Schema,
    text_schema: &Schema,
    null: Option<&str>,
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
                if unsupported_in_text(&target) {
                    return Err(DataFusionError::NotImplemented(format!(
                        "reading column {} of type {target} from a text table",
                        f.name()
                    )));
                }
                let text = match null {
                    Some(marker) => nullif(column, lit(marker)),
                    None => column,
                };
                cast(text, target)
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
