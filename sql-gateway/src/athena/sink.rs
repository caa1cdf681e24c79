//! How CTAS and INSERT write a table's files: Parquet, delimited text or JSON lines, chosen
//! from the table's SerDe exactly as the reader chooses (`TableFormat`). Text tables whose
//! files would not read back as written are refused (`check_text_table`).
//! Compression comes from the table's `write.compression` property (set by CTAS's
//! `write_compression`), so later INSERTs compress like the first write.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::{CsvOptions, JsonOptions, TableParquetOptions};
use datafusion::common::parsers::{CompressionTypeVariant, CsvQuoteStyle};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::file_format::format_as_file_type;
use datafusion::error::DataFusionError;
use datafusion::functions::expr_fn::to_char;
use datafusion::logical_expr::{LogicalPlanBuilder, Signature, Volatility};
use datafusion::prelude::{lit, DataFrame, Expr};
use metastore::model::Table;

use crate::error::{Error, Result};
use crate::format::{TableFormat, TextOptions};
use crate::hive_types::to_arrow;
use crate::pg_functions::TextUdf;
use crate::text_scan;

use super::orc_write::{self, OrcWriteFormat};
use crate::orc_encode::Codec;

/// The table property holding the compression CTAS was asked for.
pub(super) const COMPRESSION_PROPERTY: &str = "write.compression";

/// Hive's text form of a timestamp (`yyyy-MM-dd HH:mm:ss[.f…]`), not RFC 3339.
const TEXT_TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.f";

/// A ready writer for one table's format and compression.
pub(super) enum Writer {
    Parquet(Box<TableParquetOptions>),
    /// Delimited text; quoted CSV (OpenCSVSerde, Spark's CSV tables) has its quote and
    /// escape characters.
    Text(Box<CsvOptions>, Option<Quoting>),
    Json(JsonOptions),
    /// ORC with this codec (none: uncompressed).
    Orc(Option<Codec>),
}

impl Writer {
    /// The writer of `table`, or an error (before anything is written) for a format or a
    /// compression that cannot be written.
    pub(super) fn for_table(table: &Table) -> Result<Writer> {
        let compression = table
            .parameters
            .get(COMPRESSION_PROPERTY)
            .map(|c| c.to_ascii_lowercase());
        let compression = compression.as_deref();
        Ok(match TableFormat::of(table)? {
            TableFormat::Parquet => {
                let mut options = TableParquetOptions::default();
                if let Some(c) = compression {
                    options.global.compression = Some(parquet_codec(c)?);
                }
                Writer::Parquet(Box::new(options))
            }
            TableFormat::Text(t) => {
                check_text_table(table, &t)?;
                let quoting = t.quote.map(|quote| Quoting {
                    quote,
                    escape: t.escape.unwrap_or(quote),
                });
                Writer::Text(Box::new(csv_options(&t, text_codec(compression)?)), quoting)
            }
            TableFormat::Json => Writer::Json(JsonOptions {
                compression: text_codec(compression)?,
                ..JsonOptions::default()
            }),
            TableFormat::Orc => Writer::Orc(orc_codec(compression)?),
        })
    }

    /// A data column's `value` (already of the column's `arrow_type`) as this format writes
    /// it. Text: a string is checked to hold no field delimiter and no line break, since
    /// written as is (unquoted) either would split the row when read back; in quoted CSV it is
    /// quoted instead (`quote_field`). JSON: a timestamp
    /// becomes Hive's `yyyy-MM-dd HH:mm:ss[.f]` text, which Hive's JsonSerDe parses (it
    /// refuses the `T` form arrow-json writes); our JSON reader parses both.
    pub(super) fn prepare(&self, value: Expr, arrow_type: &DataType) -> Expr {
        match (self, arrow_type) {
            (Writer::Text(_, Some(q)), DataType::Utf8) => {
                let quote = TextUdf::udf(
                    "lakehive_csv_quote",
                    Signature::exact(vec![DataType::Utf8; 3], Volatility::Immutable),
                    quote_field,
                );
                let char_lit = |b: u8| lit((b as char).to_string());
                quote.call(vec![value, char_lit(q.quote), char_lit(q.escape)])
            }
            (Writer::Text(c, None), DataType::Utf8) => {
                let check = TextUdf::udf(
                    "lakehive_text_field",
                    Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable),
                    check_text_field,
                );
                check.call(vec![value, lit((c.delimiter as char).to_string())])
            }
            (Writer::Json(_), DataType::Timestamp(_, None)) => to_char(value, lit(TEXT_TIMESTAMP)),
            _ => value,
        }
    }

    /// Writes `df` under the folder `url`, into `k=v` folders of the `keys` columns;
    /// returns DataFusion's per-write row counts.
    pub(super) async fn write(
        self,
        df: DataFrame,
        url: &str,
        keys: Vec<String>,
    ) -> Result<Vec<RecordBatch>> {
        let options = DataFrameWriteOptions::new().with_partition_by(keys.clone());
        Ok(match self {
            Writer::Parquet(p) => df.write_parquet(url, options, Some(*p)).await?,
            Writer::Text(c, _) => df.write_csv(url, options, Some(*c)).await?,
            Writer::Json(j) => df.write_json(url, options, Some(j)).await?,
            Writer::Orc(c) => {
                let (state, plan) = df.into_parts();
                let format = format_as_file_type(Arc::new(OrcWriteFormat::new(c)));
                let plan =
                    LogicalPlanBuilder::copy_to(plan, url.into(), format, HashMap::new(), keys)?
                        .build()?;
                DataFrame::new(state, plan).collect().await?
            }
        })
    }
}

/// The quote and escape characters of quoted CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Quoting {
    quote: u8,
    escape: u8,
}

/// What a text table must be for our writer to produce files that Hive, Spark and our
/// reader read back unchanged: at most one header line, an ASCII delimiter that no written
/// number, date or timestamp contains, and no binary or nested columns (Hive writes those in
/// its own forms).
fn check_text_table(table: &Table, t: &TextOptions) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::Unsupported(format!(
            "writing this text table: {why}"
        )))
    };
    if t.quote.is_some_and(|q| !q.is_ascii() || q == t.delimiter) {
        return refuse(format!("the quote character {:?}", t.quote.map(char::from)));
    }
    let headers = table.parameters.get("skip.header.line.count");
    if headers.is_some_and(|n| n.trim().parse::<u32>().map_or(true, |n| n > 1)) {
        return refuse("skip.header.line.count above 1".into());
    }
    let d = t.delimiter;
    if !d.is_ascii() || d.is_ascii_alphanumeric() || b" +-.:\n\r".contains(&d) {
        return refuse(format!(
            "the field delimiter {:?} can occur inside written values",
            d as char
        ));
    }
    for c in &table.sd.columns {
        if text_scan::unsupported_in_text(&to_arrow(&c.type_name)?) {
            return refuse(format!("column {} is of type {}", c.name, c.type_name));
        }
    }
    Ok(())
}

/// Text as its SerDe reads it: the table's delimiter, header line and NULL marker. The CSV
/// writer quotes nothing: quotes are data to LazySimpleSerDe, and quoted CSV's strings come
/// quoted already (`quote_field`), while its other values never need quotes. A NULL there is
/// the unquoted NULL marker, empty unless Spark's `nullValue` says otherwise; OpenCSVSerde
/// reads it as an empty string, having no NULL.
fn csv_options(t: &TextOptions, compression: CompressionTypeVariant) -> CsvOptions {
    let null = match (&t.null, t.quote) {
        (Some(null), _) => null.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => "\\N".into(),
    };
    CsvOptions {
        has_header: Some(t.header),
        delimiter: t.delimiter,
        quote_style: CsvQuoteStyle::Never,
        null_value: Some(null),
        timestamp_format: Some(TEXT_TIMESTAMP.into()),
        datetime_format: Some(TEXT_TIMESTAMP.into()),
        compression,
        ..CsvOptions::default()
    }
}

/// The values of `args[0]` unchanged, or an error naming the first that holds the delimiter
/// `args[1]` or a line break.
fn check_text_field(args: &[ArrayRef]) -> datafusion::common::Result<ArrayRef> {
    let values = args[0].as_string::<i32>();
    if values.is_empty() {
        return Ok(Arc::clone(&args[0]));
    }
    let delimiter = args[1].as_string::<i32>().value(0);
    let bad = values
        .iter()
        .flatten()
        .find(|v| v.contains(delimiter) || v.contains(['\n', '\r']));
    match bad {
        None => Ok(Arc::clone(&args[0])),
        Some(v) => Err(DataFusionError::External(Box::new(Error::InvalidInput(
            format!(
                "the value {v:?} holds the table's field delimiter {delimiter:?} or a line \
                 break, which its text format cannot store; use another field_delimiter or \
                 PARQUET"
            ),
        )))),
    }
}

/// The strings of `args[0]` in quotes `args[1]`, with every quote and escape character
/// `args[2]` inside preceded by the escape character: the form OpenCSVSerde, Spark and our
/// reader take back to the same string, delimiters included. NULL stays NULL. A line break
/// is an error: those readers take each line as a row.
fn quote_field(args: &[ArrayRef]) -> datafusion::common::Result<ArrayRef> {
    let values = args[0].as_string::<i32>();
    if values.is_empty() {
        return Ok(Arc::clone(&args[0]));
    }
    let char_of = |a: &ArrayRef| {
        a.as_string::<i32>().value(0).chars().next().ok_or_else(|| {
            DataFusionError::Internal("lakehive_csv_quote without a quote character".into())
        })
    };
    let (quote, escape) = (char_of(&args[1])?, char_of(&args[2])?);
    let capacity = values.value_data().len() + 2 * values.len();
    let mut out = StringBuilder::with_capacity(values.len(), capacity);
    let mut field = String::new();
    for value in values.iter() {
        let Some(value) = value else {
            out.append_null();
            continue;
        };
        if value.contains(['\n', '\r']) {
            return Err(DataFusionError::External(Box::new(Error::InvalidInput(
                format!(
                "the value {value:?} holds a line break, which Hive's OpenCSVSerde, Athena and \
                 Spark (without multiLine) read as the end of the row; use PARQUET"
            ),
            ))));
        }
        field.clear();
        field.push(quote);
        for c in value.chars() {
            if c == quote || c == escape {
                field.push(escape);
            }
            field.push(c);
        }
        field.push(quote);
        out.append_value(&field);
    }
    Ok(Arc::new(out.finish()))
}

/// Athena's `write_compression` names as DataFusion Parquet codecs (levels as Athena's
/// defaults).
fn parquet_codec(name: &str) -> Result<String> {
    Ok(match name {
        "none" | "uncompressed" => "uncompressed".into(),
        "snappy" => "snappy".into(),
        "gzip" => "gzip(6)".into(),
        "zstd" => "zstd(3)".into(),
        "lz4" => "lz4_raw".into(),
        "brotli" => "brotli(4)".into(),
        other => {
            return Err(Error::InvalidInput(format!(
                "unknown write_compression {other}"
            )))
        }
    })
}

/// Athena's ORC codecs; its default is ZLIB.
fn orc_codec(name: Option<&str>) -> Result<Option<Codec>> {
    orc_write::codec(name.unwrap_or("zlib")).ok_or_else(|| {
        Error::InvalidInput(format!(
            "write_compression {} for ORC; use ZLIB, SNAPPY, LZ4, ZSTD or NONE",
            name.unwrap_or_default()
        ))
    })
}

/// Whole-file compression of text and JSON; the files get the codec's extension (`.gz`),
/// which is how readers (ours, Hadoop's) recognise it.
fn text_codec(name: Option<&str>) -> Result<CompressionTypeVariant> {
    Ok(match name {
        None | Some("none" | "uncompressed") => CompressionTypeVariant::UNCOMPRESSED,
        Some("gzip") => CompressionTypeVariant::GZIP,
        Some("bzip2") => CompressionTypeVariant::BZIP2,
        Some("zstd") => CompressionTypeVariant::ZSTD,
        Some(other) => {
            return Err(Error::InvalidInput(format!(
                "write_compression {other} for text or JSON; use GZIP, BZIP2, ZSTD or NONE"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    fn text_table(serde: &str, delim: &str, columns: &[(&str, &str)]) -> Table {
        let mut t = Table::default();
        t.sd.serde.serialization_lib = Some(serde.into());
        t.sd.serde
            .parameters
            .insert("field.delim".into(), delim.into());
        for (name, type_name) in columns {
            t.sd.columns.push(metastore::model::Column {
                name: (*name).into(),
                type_name: (*type_name).into(),
                comment: None,
            });
        }
        t
    }

    #[test]
    fn text_is_written_unquoted_with_the_tables_null_marker() {
        const LAZY: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
        let mut t = text_table(LAZY, "|", &[("a", "string"), ("b", "decimal(10,2)")]);
        t.sd.serde
            .parameters
            .insert("serialization.null.format".into(), "NULL".into());
        t.parameters
            .insert(COMPRESSION_PROPERTY.into(), "GZIP".into());
        let Writer::Text(c, None) = Writer::for_table(&t).unwrap() else {
            panic!("not a text writer")
        };
        assert_eq!((c.delimiter, c.quote_style), (b'|', CsvQuoteStyle::Never));
        assert_eq!(c.null_value.as_deref(), Some("NULL"));
        assert_eq!(c.compression, CompressionTypeVariant::GZIP);
        assert_eq!(c.has_header, Some(false));
    }

    #[test]
    fn quoted_csv_quotes_strings_and_writes_null_as_an_empty_field() {
        let t = text_table(crate::format::OPEN_CSV_SERDE, ",", &[("a", "string")]);
        let Writer::Text(c, Some(q)) = Writer::for_table(&t).unwrap() else {
            panic!("not a quoted text writer")
        };
        assert_eq!(
            q,
            Quoting {
                quote: b'"',
                escape: b'\\'
            }
        );
        assert_eq!(
            (c.quote_style, c.null_value.as_deref()),
            (CsvQuoteStyle::Never, Some(""))
        );
        let values: ArrayRef = Arc::new(StringArray::from(vec![
            Some("plain"),
            Some(""),
            None,
            Some("a,\"b\"\\c"),
        ]));
        let lit = |s: &str| Arc::new(StringArray::from(vec![s; 4])) as ArrayRef;
        let quoted = quote_field(&[values, lit("\""), lit("\\")]).unwrap();
        let quoted: Vec<Option<&str>> = quoted.as_string::<i32>().iter().collect();
        let broken: ArrayRef = Arc::new(StringArray::from(vec![Some("two\nlines")]));
        let one = |s: &str| Arc::new(StringArray::from(vec![s])) as ArrayRef;
        assert!(quote_field(&[broken, one("\""), one("\\")]).is_err());
        assert_eq!(
            quoted,
            vec![
                Some("\"plain\""),
                Some("\"\""),
                None,
                Some("\"a,\\\"b\\\"\\\\c\""),
            ]
        );
    }

    #[test]
    fn text_tables_that_would_not_read_back_are_refused() {
        const LAZY: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
        let refused = |t: &Table| matches!(Writer::for_table(t), Err(Error::Unsupported(_)));
        assert!(!refused(&text_table(LAZY, ",", &[("a", "string")])));
        let mut csv = text_table(crate::format::OPEN_CSV_SERDE, ",", &[("a", "string")]);
        assert!(!refused(&csv));
        csv.sd
            .serde
            .parameters
            .insert("quoteChar".into(), ",".into());
        assert!(refused(&csv));
        for delim in ["-", ":", " ", "x", "-23"] {
            assert!(
                refused(&text_table(LAZY, delim, &[("a", "int")])),
                "{delim:?}"
            );
        }
        for type_name in ["binary", "array<int>", "map<string,int>", "struct<x:int>"] {
            let t = text_table(LAZY, ",", &[("a", type_name)]);
            assert!(refused(&t), "{type_name}");
        }
        let mut t = text_table(LAZY, ",", &[("a", "string")]);
        t.parameters
            .insert("skip.header.line.count".into(), "2".into());
        assert!(refused(&t));
    }

    #[test]
    fn codecs_by_format() {
        assert_eq!(parquet_codec("zstd").unwrap(), "zstd(3)");
        assert!(parquet_codec("bzip2").is_err());
        assert_eq!(
            text_codec(Some("bzip2")).unwrap(),
            CompressionTypeVariant::BZIP2
        );
        assert_eq!(
            text_codec(None).unwrap(),
            CompressionTypeVariant::UNCOMPRESSED
        );
        assert!(text_codec(Some("snappy")).is_err());
    }
}
