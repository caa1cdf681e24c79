//! Hive delimited text read the way its SerDes read it: every field is read as text
//! ([`HiveTextSource`]: the table's NULL marker, `\N` by default, is NULL), then cast to the
//! column's type. A string column keeps an empty field as the empty string; any other
//! column reads it as NULL, as Hive's lazy parsing of an empty number or date gives.

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

mod cut;
mod source;

pub(crate) use source::HiveTextSource;

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

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
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
                if unsupported_in_text(&target) {
                    return Err(DataFusionError::NotImplemented(format!(
                        "reading column {} of type {target} from a text table",
                        f.name()
                    )));
                }
                if is_string(&target) {
                    cast(column, target)
                } else {
                    cast(nullif(column, lit("")), target)
                }
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
