//! PostgreSQL functions that clients' catalog queries call and that neither DataFusion nor
//! datafusion-pg-catalog provide.

use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use crate::constant_udf;

/// What SQLAlchemy's reflection (`Inspector.get_columns`, `get_enums`, `get_domains`, and
/// `Table(autoload_with=)`'s index and option queries) calls: the Hive catalog has no serial
/// columns or indexes, and every collation and type is visible.
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
    ctx.register_udf(TextUdf::udf(
        "json_build_object",
        Signature::variadic_any(Volatility::Immutable),
        json_build_object,
    ));
    // No index has a definition: the Hive catalog has no indexes. The column number arrives
    // as a BIGINT expression, so any argument types are taken.
    ctx.register_udf(TextUdf::udf(
        "pg_get_indexdef",
        Signature::one_of(
            vec![TypeSignature::Any(1), TypeSignature::Any(3)],
            Volatility::Stable,
        ),
        |args| Ok(new_null_array(&DataType::Utf8, rows(args))),
    ));
    ctx.register_udf(TextUdf::udf(
        "current_setting",
        Signature::one_of(
            vec![TypeSignature::Any(1), TypeSignature::Any(2)],
            Volatility::Stable,
        ),
        current_setting,
    ));
}

/// A text-valued function whose `eval` takes its arguments as arrays of one length; for
/// constant arguments the result is a constant too.
#[derive(Debug)]
pub(crate) struct TextUdf {
    name: &'static str,
    signature: Signature,
    eval: fn(&[ArrayRef]) -> Result<ArrayRef>,
}

impl TextUdf {
    pub(crate) fn udf(
        name: &'static str,
        signature: Signature,
        eval: fn(&[ArrayRef]) -> Result<ArrayRef>,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(TextUdf {
            name,
            signature,
            eval,
        })
    }
}

// Compared by name and signature: one name, one function.
impl PartialEq for TextUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.signature == other.signature
    }
}

impl Eq for TextUdf {}

impl std::hash::Hash for TextUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.signature.hash(state);
    }
}

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // All-scalar arguments come back as arrays of one row.
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let array = (self.eval)(&arrays)?;
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?));
        }
        Ok(ColumnarValue::Array(array))
    }
}

fn rows(args: &[ArrayRef]) -> usize {
    args.first().map_or(1, |a| a.len())
}

/// The server settings `current_setting` knows, with the values the start-up parameters
/// and `SHOW` report (`SET` does not change them here).
fn setting(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "default_table_access_method" => "heap",
        "standard_conforming_strings" => "on",
        "server_version" => crate::PG_SERVER_VERSION,
        "server_encoding" | "client_encoding" => "UTF8",
        "datestyle" => "ISO, YMD",
        "timezone" => "Etc/UTC",
        "search_path" => "default",
        "integer_datetimes" => "on",
        "max_identifier_length" => "63",
        "transaction_isolation" | "default_transaction_isolation" => "read uncommitted",
        "transaction_read_only" | "default_transaction_read_only" => "off",
        _ => return None,
    })
}

/// `current_setting(name [, missing_ok])`: a known setting's value; an unknown name is an
/// error, or NULL when `missing_ok` is true.
fn current_setting(args: &[ArrayRef]) -> Result<ArrayRef> {
    let options = FormatOptions::default();
    let formatters = args
        .iter()
        .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    let text = |i: usize, row: usize| {
        (!args[i].is_null(row)).then(|| formatters[i].value(row).to_string())
    };
    let mut out = StringBuilder::with_capacity(rows(args), rows(args) * 8);
    for row in 0..rows(args) {
        let Some(name) = text(0, row) else {
            out.append_null();
            continue;
        };
        let missing_ok = args.len() > 1 && text(1, row).is_some_and(|v| v == "true");
        match setting(&name) {
            Some(v) => out.append_value(v),
            None if missing_ok => out.append_null(),
            None => return exec_err!("unrecognized configuration parameter \"{name}\""),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `json_build_object(key, value, ...)`, formatted like PostgreSQL (`{"a" : 1, "b" : "x"}`),
/// as text: the wire layer has no Arrow type for PostgreSQL's `json`.
fn json_build_object(arrays: &[ArrayRef]) -> Result<ArrayRef> {
    if !arrays.len().is_multiple_of(2) {
        return exec_err!("json_build_object needs an even number of arguments");
    }
    let rows = rows(arrays);
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
    Ok(Arc::new(out.finish()))
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

    /// The rest of `Table(autoload_with=)`: primary key, indexes and table options, rewritten
    /// as the session does. A Hive table has no keys or indexes, and no storage options.
    #[tokio::test]
    async fn runs_sqlalchemy_table_reflection() {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, false)]));
        let columns: Vec<Arc<dyn Array>> = vec![Arc::new(Int32Array::from(vec![1]))];
        ctx.register_batch("orders", RecordBatch::try_new(schema, columns).unwrap())
            .unwrap();
        setup_pg_catalog(&ctx, "datafusion", EmptyContextProvider).unwrap();
        register(&ctx);
        let all = include_str!("testdata/sqlalchemy_autoload.sql").replace("'default'", "'public'");
        let stmts: Vec<&str> = all.split(";\n").filter(|s| s.contains("SELECT")).collect();
        assert_eq!(stmts.len(), 3);
        let mut rows = Vec::new();
        for sql in stmts {
            let sql = crate::rewrite::rewrite_sql(sql).expect("rewritten");
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
            let batches = ctx
                .execute_logical_plan(plan)
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            rows.push(batches.iter().map(|b| b.num_rows()).sum::<usize>());
            if let Some(b) = batches.iter().find(|b| b.num_rows() > 0) {
                let options = b.column_by_name("reloptions").expect("a reloptions column");
                assert!(options.is_null(0));
            }
        }
        assert_eq!(rows, [0, 0, 1], "no key, no index, one table");
    }

    #[tokio::test]
    async fn current_setting_knows_what_clients_ask() {
        let ctx = SessionContext::new();
        register(&ctx);
        let one = |sql: &'static str| {
            let ctx = ctx.clone();
            async move {
                let b = ctx.sql(sql).await?.collect().await?;
                Ok::<_, datafusion::error::DataFusionError>(
                    b[0].column(0)
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.map(str::to_string))
                        .collect::<Vec<_>>(),
                )
            }
        };
        assert_eq!(
            one("SELECT current_setting('default_table_access_method')")
                .await
                .unwrap(),
            [Some("heap".to_string())]
        );
        assert_eq!(
            one("SELECT current_setting(n) FROM (VALUES ('TimeZone'), ('nope')) t(n) WHERE n <> 'nope'")
                .await
                .unwrap(),
            [Some("Etc/UTC".to_string())]
        );
        assert_eq!(
            one("SELECT current_setting('nope', true)").await.unwrap(),
            [None]
        );
        let err = one("SELECT current_setting('nope')").await.unwrap_err();
        assert!(
            err.to_string()
                .contains("unrecognized configuration parameter"),
            "{err}"
        );
    }

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
