//! Spark's data-source tables (`CREATE TABLE ... USING csv|json`, `saveAsTable(format=...)`)
//! as the gateway reads them. For a format without a Hive equivalent, Spark stores its own
//! form in the metastore: the Hive columns are a placeholder (`col array<string>`), the real
//! schema is JSON in the table property `spark.sql.sources.schema` (or split over
//! `...schema.part.N`), the format is `spark.sql.sources.provider`, and the reader options
//! (`sep`, `header`, ...) are SerDe parameters. Such a table is rewritten here into the Hive
//! form the rest of the gateway understands; every other table passes through unchanged.

use std::collections::BTreeMap;

use metastore::model::{Column, Table};

use crate::format::{storage_classes, OPEN_CSV_SERDE, SPARK_CSV_NULL};

const PROVIDER: &str = "spark.sql.sources.provider";
const SCHEMA: &str = "spark.sql.sources.schema";

/// `table` in Hive form when it is a Spark data-source table in Spark's own form.
pub(crate) fn as_hive(mut table: Table) -> Table {
    let Some(provider) = table
        .parameters
        .get(PROVIDER)
        .map(|p| p.to_ascii_lowercase())
    else {
        return table;
    };
    let placeholder = matches!(table.sd.columns.as_slice(), [c] if c.name == "col" && c.type_name == "array<string>");
    if !placeholder {
        return table;
    }
    let Some(fields) = spark_schema(&table.parameters) else {
        return table;
    };
    let keys: Vec<String> = table
        .partition_keys
        .iter()
        .map(|k| k.name.to_lowercase())
        .collect();
    let options = table.sd.serde.parameters.clone();
    let option = |names: &[&str]| {
        options
            .iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| v.clone())
    };
    let serde = &mut table.sd.serde;
    match provider.as_str() {
        "csv" | "com.databricks.spark.csv" => {
            serde.serialization_lib = Some(OPEN_CSV_SERDE.into());
            let separator = option(&["sep", "delimiter"]).unwrap_or_else(|| ",".into());
            let quote = option(&["quote"]).unwrap_or_else(|| "\"".into());
            let escape = option(&["escape"]).unwrap_or_else(|| "\\".into());
            // Spark writes NULL as an empty field and reads one back as NULL (`nullValue`).
            let null = option(&["nullValue"]).unwrap_or_default();
            serde.parameters = BTreeMap::from([
                ("separatorChar".to_string(), separator),
                ("quoteChar".to_string(), quote),
                ("escapeChar".to_string(), escape),
                (SPARK_CSV_NULL.to_string(), null),
            ]);
            if option(&["header"]).is_some_and(|h| h.eq_ignore_ascii_case("true")) {
                table
                    .parameters
                    .insert("skip.header.line.count".into(), "1".into());
            }
        }
        "json" => {
            serde.serialization_lib = storage_classes("jsonfile").ok().map(|c| c.0.into());
        }
        _ => return table,
    }
    table.sd.input_format = storage_classes("textfile").ok().map(|c| c.1.into());
    table.sd.columns = fields
        .into_iter()
        .filter(|c| !keys.contains(&c.name))
        .collect();
    table
}

/// The columns of Spark's schema JSON, or `None` when it is missing, malformed, or holds a
/// type that has no Hive name here (nested types).
fn spark_schema(params: &BTreeMap<String, String>) -> Option<Vec<Column>> {
    let json = match params.get(SCHEMA) {
        Some(whole) => whole.clone(),
        None => {
            let parts: usize = params.get(&format!("{SCHEMA}.numParts"))?.parse().ok()?;
            (0..parts)
                .map(|i| params.get(&format!("{SCHEMA}.part.{i}")).cloned())
                .collect::<Option<String>>()?
        }
    };
    let schema: serde_json::Value = serde_json::from_str(&json).ok()?;
    schema
        .get("fields")?
        .as_array()?
        .iter()
        .map(|f| {
            Some(Column {
                name: f.get("name")?.as_str()?.to_lowercase(),
                type_name: hive_type(f.get("type")?.as_str()?)?,
                comment: None,
            })
        })
        .collect()
}

/// A Spark SQL type name as Hive names it.
fn hive_type(spark: &str) -> Option<String> {
    Some(
        match spark {
            "integer" => "int",
            "long" => "bigint",
            "short" => "smallint",
            "byte" => "tinyint",
            "timestamp_ntz" => "timestamp",
            "string" | "boolean" | "float" | "double" | "date" | "timestamp" | "binary" => spark,
            other if other.starts_with("decimal(") || other.starts_with("varchar(") => other,
            other if other.starts_with("char(") => other,
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spark_table(provider: &str, schema_parts: &[&str], options: &[(&str, &str)]) -> Table {
        let mut t = Table::default();
        t.sd.columns = vec![Column {
            name: "col".into(),
            type_name: "array<string>".into(),
            comment: Some("from deserializer".into()),
        }];
        t.sd.serde.serialization_lib =
            Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe".into());
        for (k, v) in options {
            t.sd.serde.parameters.insert((*k).into(), (*v).into());
        }
        t.parameters.insert(PROVIDER.into(), provider.into());
        if let [whole] = schema_parts {
            t.parameters.insert(SCHEMA.into(), (*whole).into());
        } else {
            t.parameters
                .insert(format!("{SCHEMA}.numParts"), schema_parts.len().to_string());
            for (i, p) in schema_parts.iter().enumerate() {
                t.parameters
                    .insert(format!("{SCHEMA}.part.{i}"), (*p).into());
            }
        }
        t.partition_keys = vec![Column {
            name: "dt".into(),
            type_name: "string".into(),
            comment: None,
        }];
        t
    }

    const SCHEMA_JSON: &str = r#"{"type":"struct","fields":[{"name":"ID","type":"integer","nullable":true,"metadata":{}},{"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{}},{"name":"dt","type":"string","nullable":true,"metadata":{}}]}"#;

    #[test]
    fn csv_tables_take_their_schema_and_options_from_spark() {
        let (a, b) = SCHEMA_JSON.split_at(40);
        let t = as_hive(spark_table(
            "csv",
            &[a, b],
            &[("sep", "|"), ("header", "true")],
        ));
        let columns: Vec<(&str, &str)> =
            t.sd.columns
                .iter()
                .map(|c| (c.name.as_str(), c.type_name.as_str()))
                .collect();
        assert_eq!(columns, [("id", "int"), ("amount", "decimal(10,2)")]);
        let p = &t.sd.serde.parameters;
        assert_eq!(p.get("separatorChar").map(String::as_str), Some("|"));
        assert_eq!(p.get(SPARK_CSV_NULL).map(String::as_str), Some(""));
        assert_eq!(
            t.parameters
                .get("skip.header.line.count")
                .map(String::as_str),
            Some("1")
        );
        assert!(t
            .sd
            .serde
            .serialization_lib
            .unwrap()
            .contains("OpenCSVSerde"));
    }

    #[test]
    fn other_tables_pass_through() {
        let json = as_hive(spark_table("json", &[SCHEMA_JSON], &[]));
        assert!(json
            .sd
            .serde
            .serialization_lib
            .unwrap()
            .contains("JsonSerDe"));
        // Hive-compatible (real columns), unknown provider, nested types: unchanged
        let mut hive = spark_table("parquet", &[SCHEMA_JSON], &[]);
        hive.sd.columns[0].name = "id".into();
        assert_eq!(as_hive(hive.clone()), hive);
        let avro = spark_table("avro", &[SCHEMA_JSON], &[]);
        assert_eq!(as_hive(avro.clone()), avro);
        let nested = spark_table(
            "json",
            &[r#"{"fields":[{"name":"a","type":{"type":"array","elementType":"long"}}]}"#],
            &[],
        );
        assert_eq!(as_hive(nested.clone()), nested);
    }
}
