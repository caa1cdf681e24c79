//! PostgreSQL functions that clients' catalog queries call and that neither DataFusion nor
//! datafusion-pg-catalog provide.

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use crate::constant_udf;

/// What SQLAlchemy's reflection (`Inspector.get_columns`, `get_enums`, `get_domains`) calls:
/// the Hive catalog has no serial columns, and every collation and type is visible.
pub(crate) fn register(ctx: &SessionContext) {
    ctx.register_udf(constant_udf(
        "pg_get_serial_sequence",
        vec![DataType::Utf8, DataType::Utf8],
        ScalarValue::Utf8(None),
    ));
    for name in ["pg_collation_is_visible", "pg_type_is_visible"] {
        ctx.register_udf(constant_udf(
            name,
            vec![DataType::Int32],
            ScalarValue::Boolean(Some(true)),
        ));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(JsonBuildObject {
        signature: Signature::variadic_any(Volatility::Immutable),
    }));
}

/// `json_build_object(key, value, ...)`, formatted like PostgreSQL (`{"a" : 1, "b" : "x"}`),
/// as text: the wire layer has no Arrow type for PostgreSQL's `json`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObject {
    signature: Signature,
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return exec_err!("json_build_object needs an even number of arguments");
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let rows = arrays.first().map_or(args.number_rows, |a| a.len());
        let options = FormatOptions::default();
        let formatters = arrays
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        let nulls: Vec<_> = arrays.iter().map(|a| a.logical_nulls()).collect();
        let is_null = |col: usize, row: usize| nulls[col].as_ref().is_some_and(|n| n.is_null(row));
        let mut out = StringBuilder::with_capacity(rows, rows * 32);
        let mut json = String::new();
        for row in 0..rows {
            json.clear();
            json.push('{');
            for pair in 0..arrays.len() / 2 {
                let (k, v) = (2 * pair, 2 * pair + 1);
                if is_null(k, row) {
                    return exec_err!("json_build_object: a key is null");
                }
                if pair > 0 {
                    json.push_str(", ");
                }
                push_json_string(&mut json, &formatters[k].value(row).to_string());
                json.push_str(" : ");
                let value = formatters[v].value(row).to_string();
                match arrays[v].data_type() {
                    _ if is_null(v, row) => json.push_str("null"),
                    DataType::Boolean => json.push_str(&value),
                    t if t.is_numeric() && value.parse::<f64>().is_ok_and(f64::is_finite) => {
                        json.push_str(&value)
                    }
                    _ => push_json_string(&mut json, &value),
                }
            }
            json.push('}');
            out.append_value(&json);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, Int32Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::common::ParamValues;
    use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
    use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    /// SQLAlchemy's column reflection, rewritten as the session does, planned the way
    /// datafusion-postgres plans an extended-protocol statement, with its 21 parameters
    /// bound as psycopg sends them.
    #[tokio::test]
    async fn plans_and_runs_sqlalchemy_column_reflection() {
        let ctx = SessionContext::new(); // catalog `datafusion`, schema `public`
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("customer", DataType::Utf8, true),
        ]));
        let columns: Vec<Arc<dyn Array>> = vec![
            Arc::new(Int32Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["a"])),
        ];
        ctx.register_batch("orders", RecordBatch::try_new(schema, columns).unwrap())
            .unwrap();
        setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider).unwrap();
        register(&ctx);

        let sql = crate::rewrite::rewrite_sql(include_str!("testdata/sqlalchemy_get_columns.sql"))
            .unwrap();
        let stmt = PostgresCompatibilityParser::new()
            .parse(&sql)
            .unwrap()
            .remove(0);
        let plan = ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                stmt,
            )))
            .await
            .unwrap();
        let text = |s: &str| ScalarValue::Utf8(Some(s.into()));
        let mut params: Vec<ScalarValue> = [
            "",
            "always",
            "a",
            "start",
            "increment",
            "minvalue",
            "maxvalue",
            "cache",
            "cycle",
            "",
        ]
        .map(text)
        .into();
        params.push(ScalarValue::Int32(Some(0)));
        params.extend(["name", "schema"].map(text));
        params.push(ScalarValue::Int16(Some(0)));
        params.extend(["r", "p", "f", "v", "m", "public", "orders"].map(text));
        let plan = plan
            .replace_params_with_values(&ParamValues::from(params))
            .unwrap();
        let batches = ctx
            .execute_logical_plan(plan)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let out = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            2,
            "{out}"
        );
        assert!(out.contains("integer") && out.contains("text"), "{out}");
    }

    #[tokio::test]
    async fn json_build_object_formats_like_postgres() {
        let ctx = SessionContext::new();
        register(&ctx);
        let sql = "SELECT json_build_object('a', 1, 'b', 'x\"y', 'c', NULL, 'd', true, 'e', 1.5)";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let j = batches[0].column(0).as_string::<i32>().value(0).to_string();
        assert_eq!(
            j,
            r#"{"a" : 1, "b" : "x\"y", "c" : null, "d" : true, "e" : 1.5}"#
        );
    }
}
