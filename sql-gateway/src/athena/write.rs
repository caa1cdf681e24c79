//! CTAS and INSERT INTO: run a query, write files of the table's format (`sink`) into
//! Hive-style `k=v` folders under the table's location, then register the new partitions so
//! other engines see them at once.

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::UInt64Type;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::functions::expr_fn::{coalesce, nullif};
use datafusion::functions::regex::expr_fn::regexp_replace;
use datafusion::prelude::{cast, lit, DataFrame, Expr};
use datafusion::scalar::ScalarValue;
use metastore::model::{table_type, Column, SerDe, StorageDescriptor, Table};
use metastore::partname::DEFAULT_PARTITION;

use super::ddl::repair;
use super::parse::{MsckMode, Name, OptionValue};
use super::sink::{Writer, COMPRESSION_PROPERTY};
use super::{Env, Output};
use crate::error::{Error, Result};
use crate::format::storage_classes;
use crate::hive_types::{to_arrow, to_hive};
use crate::storage::Location;

struct CtasOptions {
    /// The `STORED AS` keyword of the format.
    stored_as: &'static str,
    field_delimiter: Option<String>,
    partitioned_by: Vec<String>,
    location: Option<String>,
    compression: Option<String>,
}

fn ctas_options(options: Vec<(String, OptionValue)>) -> Result<CtasOptions> {
    let mut out = CtasOptions {
        stored_as: "parquet",
        field_delimiter: None,
        partitioned_by: vec![],
        location: None,
        compression: None,
    };
    for (key, value) in options {
        match (key.as_str(), value) {
            ("format", OptionValue::Single(f)) => {
                out.stored_as = match f.to_ascii_lowercase().as_str() {
                    "parquet" => "parquet",
                    "textfile" => "textfile",
                    "json" => "jsonfile",
                    "orc" => "orc",
                    _ => {
                        return Err(Error::Unsupported(format!(
                            "CTAS with format {f}; use PARQUET, ORC, TEXTFILE or JSON"
                        )))
                    }
                }
            }
            ("field_delimiter", OptionValue::Single(d)) => out.field_delimiter = Some(d),
            ("partitioned_by", OptionValue::List(cols)) => {
                out.partitioned_by = cols.into_iter().map(|c| c.to_lowercase()).collect()
            }
            ("external_location", OptionValue::Single(l)) => out.location = Some(l),
            (
                "write_compression" | "parquet_compression" | "orc_compression",
                OptionValue::Single(c),
            ) => out.compression = Some(c.to_uppercase()),
            (other, _) => {
                return Err(Error::InvalidInput(format!(
                    "unknown or malformed CTAS option {other}"
                )))
            }
        }
    }
    if out.field_delimiter.is_some() && out.stored_as != "textfile" {
        return Err(Error::InvalidInput(
            "field_delimiter applies to format TEXTFILE only".into(),
        ));
    }
    Ok(out)
}

/// SerDe parameters of a CTAS table: text is split by `field_delimiter`, by default Hive's
/// (and Athena's) `\001`.
fn ctas_serde_parameters(opts: &CtasOptions) -> std::collections::BTreeMap<String, String> {
    let mut p = std::collections::BTreeMap::new();
    if opts.stored_as == "textfile" {
        let delim = opts
            .field_delimiter
            .clone()
            .unwrap_or_else(|| "\u{1}".into());
        p.insert("field.delim".to_string(), delim.clone());
        p.insert("serialization.format".to_string(), delim);
    }
    p
}

async fn database_location(env: &Env<'_>, db: &str) -> Result<String> {
    Ok(env.catalog.get_database(db).await?.location)
}

pub(super) async fn ctas(
    env: &Env<'_>,
    name: &Name,
    if_not_exists: bool,
    options: Vec<(String, OptionValue)>,
    query: &str,
) -> Result<Output> {
    let db = env.db_of(name);
    env.user.check(&db, true)?;
    let opts = ctas_options(options)?;
    if if_not_exists && env.catalog.get_table(&db, &name.1).await.is_ok() {
        return Ok(Output::Done("SELECT 0".into()));
    }
    let df = env.query(query).await?;
    let schema = df.schema().as_arrow().clone();
    let mut columns = Vec::new();
    let mut keys = Vec::new();
    for field in schema.fields() {
        let c = Column {
            name: field.name().to_lowercase(),
            type_name: to_hive(field.data_type())?,
            comment: None,
        };
        if opts.partitioned_by.contains(&c.name) {
            keys.push(c);
        } else {
            columns.push(c);
        }
    }
    if keys.len() != opts.partitioned_by.len() {
        return Err(Error::InvalidInput(
            "every partitioned_by column must be selected".into(),
        ));
    }
    keys.sort_by_key(|k| opts.partitioned_by.iter().position(|p| *p == k.name));
    let external = opts.location.is_some();
    let location = match &opts.location {
        Some(l) => l.trim_end_matches('/').to_string(),
        None => format!(
            "{}/{}",
            database_location(env, &db).await?.trim_end_matches('/'),
            name.1
        ),
    };
    env.check_location(&location).await?;
    let (serde, input, output) = storage_classes(opts.stored_as)?;
    let mut parameters = std::collections::BTreeMap::new();
    if external {
        parameters.insert("EXTERNAL".to_string(), "TRUE".to_string());
    }
    if let Some(c) = &opts.compression {
        parameters.insert(COMPRESSION_PROPERTY.to_string(), c.clone());
    }
    let serde_parameters = ctas_serde_parameters(&opts);
    let table = Table {
        db_name: db.clone(),
        name: name.1.clone(),
        owner: Some(env.user.name.clone()),
        sd: StorageDescriptor {
            columns,
            location: Some(location),
            input_format: Some(input.into()),
            output_format: Some(output.into()),
            num_buckets: -1,
            serde: SerDe {
                serialization_lib: Some(serde.into()),
                parameters: serde_parameters,
                ..Default::default()
            },
            ..Default::default()
        },
        partition_keys: keys,
        parameters,
        table_type: if external {
            table_type::EXTERNAL
        } else {
            table_type::MANAGED
        }
        .to_string(),
        ..Default::default()
    };
    let writer = Writer::for_table(&table)?;
    env.catalog.create_table(table.clone()).await?;
    env.cache.invalidate(&db);
    match write_rows(env, &table, df, writer).await {
        Ok(n) => Ok(Output::Done(format!("SELECT {n}"))),
        Err(e) => {
            if let Err(undo) = env.catalog.drop_table(&db, &name.1, false).await {
                tracing::warn!(error = %undo, "could not remove the table of a failed CTAS");
            }
            Err(e)
        }
    }
}

pub(super) async fn insert(
    env: &Env<'_>,
    name: &Name,
    columns: Option<&[String]>,
    query: &str,
) -> Result<Output> {
    let table = env.table(name, true).await?;
    let writer = Writer::for_table(&table)?;
    let mut df = env.query(query).await?;
    if let Some(columns) = columns {
        df = spread(&table, columns, df)?;
    }
    let n = write_rows(env, &table, df, writer).await?;
    Ok(Output::Done(format!("INSERT 0 {n}")))
}

/// The query's columns, which fill the listed `columns` by position, widened to every column
/// of the table in table order (data then partition); the others are NULL.
fn spread(table: &Table, columns: &[String], df: DataFrame) -> Result<DataFrame> {
    let fields = df.schema().fields().clone();
    if fields.len() != columns.len() {
        return Err(Error::Syntax(format!(
            "the query returns {} columns but the INSERT lists {}",
            fields.len(),
            columns.len()
        )));
    }
    let all: Vec<&Column> = table
        .sd
        .columns
        .iter()
        .chain(&table.partition_keys)
        .collect();
    for (i, c) in columns.iter().enumerate() {
        if !all.iter().any(|t| t.name.eq_ignore_ascii_case(c)) {
            return Err(Error::UndefinedColumn(format!(
                "column \"{c}\" of {}.{} does not exist",
                table.db_name, table.name
            )));
        }
        if columns[..i].iter().any(|p| p.eq_ignore_ascii_case(c)) {
            return Err(Error::DuplicateColumn(format!(
                "column \"{c}\" is listed more than once"
            )));
        }
    }
    let exprs: Vec<Expr> = all
        .iter()
        .map(|t| {
            match columns.iter().position(|c| c.eq_ignore_ascii_case(&t.name)) {
                Some(i) => Expr::Column(df.schema().qualified_field(i).into()),
                None => lit(ScalarValue::Null),
            }
            .alias(&t.name)
        })
        .collect();
    Ok(df.select(exprs)?)
}

/// Casts the query's columns, by position, to the table's columns (data then partition).
/// Partition columns become the text of their folder names, a NULL or empty value Hive's
/// `__HIVE_DEFAULT_PARTITION__` (DataFusion's writer would name the folder `k=`). Data
/// columns take the form the writer's format needs (`Writer::prepare`).
fn conform(table: &Table, df: DataFrame, writer: &Writer) -> Result<DataFrame> {
    let data = table.sd.columns.iter().map(|c| (c, false));
    let keys = table.partition_keys.iter().map(|c| (c, true));
    let targets: Vec<(&Column, bool)> = data.chain(keys).collect();
    let fields = df.schema().fields().clone();
    if fields.len() != targets.len() {
        return Err(Error::InvalidInput(format!(
            "the query returns {} columns but {}.{} has {}",
            fields.len(),
            table.db_name,
            table.name,
            targets.len()
        )));
    }
    let exprs = targets
        .into_iter()
        .enumerate()
        .map(|(i, (t, is_key))| {
            let source = Expr::Column(df.schema().qualified_field(i).into());
            let arrow_type = to_arrow(&t.type_name)?;
            let typed = cast(
                date_text(source, &fields[i], &arrow_type),
                arrow_type.clone(),
            );
            let value = if is_key {
                let text = nullif(cast(typed, DataType::Utf8), lit(""));
                coalesce(vec![text, lit(DEFAULT_PARTITION)])
            } else {
                writer.prepare(typed, &arrow_type)
            };
            Ok(value.alias(&t.name))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(df.select(exprs)?)
}

/// Text headed for a date column without a time or zone after the date: PostgreSQL takes
/// `2024-02-01 +00` (pgjdbc's form of a `setDate` parameter) or `2024-02-01 10:00` as that
/// date, while a cast would refuse them. Anything else goes to the cast as it is.
fn date_text(value: Expr, from: &Field, to: &DataType) -> Expr {
    const DATE_THEN_TIME: &str = r"^\s*(\d{4}-\d{1,2}-\d{1,2})(\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(\s*[+-]\d{1,2}(:?\d{2})?)?\s*$";
    let text = matches!(
        from.data_type(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    );
    if text && *to == DataType::Date32 {
        regexp_replace(value, lit(DATE_THEN_TIME), lit("${1}"), None)
    } else {
        value
    }
}

async fn write_rows(env: &Env<'_>, table: &Table, df: DataFrame, writer: Writer) -> Result<u64> {
    let df = conform(table, df, &writer)?;
    let loc = Location::parse(table.sd.location.as_deref().unwrap_or(""))?;
    let keys: Vec<String> = table
        .partition_keys
        .iter()
        .map(|k| k.name.clone())
        .collect();
    let has_keys = !keys.is_empty();
    let batches = writer.write(df, &loc.dir_url(), keys).await?;
    if has_keys {
        repair(env, table, MsckMode::Add).await?;
    }
    Ok(count(&batches))
}

fn count(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| b.column_by_name("count"))
        .filter_map(|c| c.as_primitive_opt::<UInt64Type>())
        .map(|a| a.iter().flatten().sum::<u64>())
        .sum()
}
