//! How CTAS and INSERT write a table's files: Parquet, delimited text or JSON lines, chosen
//! from the table's SerDe exactly as the reader chooses (`TableFormat`), so what is written
//! reads back the same way. Compression comes from the table's `write.compression` property
//! (set by CTAS's `write_compression`), so later INSERTs compress like the first write.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::{CsvOptions, JsonOptions, TableParquetOptions};
use datafusion::common::parsers::{CompressionTypeVariant, CsvQuoteStyle};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion::prelude::{lit, DataFrame, Expr};
use metastore::model::Table;

use crate::error::{Error, Result};
use crate::format::{TableFormat, TextOptions};
use crate::pg_functions::TextUdf;
use crate::text_scan::TEXT_NULL;

/// The table property holding the compression CTAS was asked for.
pub(super) const COMPRESSION_PROPERTY: &str = "write.compression";

/// Hive's text form of a timestamp (`yyyy-MM-dd HH:mm:ss[.f…]`), not RFC 3339.
const TEXT_TIMESTAMP: &str = "%Y-%m-%d %H:%M:%S%.f";

/// A ready writer for one table's format and compression.
pub(super) enum Writer {
    Parquet(Box<TableParquetOptions>),
    Text(Box<CsvOptions>),
    Json(JsonOptions),
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
                Writer::Text(Box::new(csv_options(&t, text_codec(compression)?)))
            }
            TableFormat::Json => Writer::Json(JsonOptions {
                compression: text_codec(compression)?,
                ..JsonOptions::default()
            }),
            TableFormat::Orc => {
                return Err(Error::Unsupported(
                    "writing ORC tables; use PARQUET, TEXTFILE or JSON".into(),
                ))
            }
        })
    }

    /// For unquoted text, `value` (a text column) checked to hold no field delimiter and no
    /// line break: written as is, either would split the row when read back.
    pub(super) fn guard(&self, value: Expr) -> Expr {
        match self {
            Writer::Text(c) if c.quote_style == CsvQuoteStyle::Never => {
                let check = TextUdf::udf(
                    "lakehive_text_field",
                    Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable),
                    check_text_field,
                );
                check.call(vec![value, lit((c.delimiter as char).to_string())])
            }
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
        let options = DataFrameWriteOptions::new().with_partition_by(keys);
        Ok(match self {
            Writer::Parquet(p) => df.write_parquet(url, options, Some(*p)).await?,
            Writer::Text(c) => df.write_csv(url, options, Some(*c)).await?,
            Writer::Json(j) => df.write_json(url, options, Some(j)).await?,
        })
    }
}

/// Text as the table's SerDe reads it: its delimiter and header line; quoted only for a
/// quoting SerDe (OpenCSVSerde), since LazySimpleSerDe takes quotes as data.
fn csv_options(t: &TextOptions, compression: CompressionTypeVariant) -> CsvOptions {
    CsvOptions {
        has_header: Some(t.header),
        delimiter: t.delimiter,
        quote: t.quote.unwrap_or(b'"'),
        escape: t.quote.and(t.escape),
        double_quote: Some(t.escape.is_none()),
        quote_style: match t.quote {
            Some(_) => CsvQuoteStyle::Necessary,
            None => CsvQuoteStyle::Never,
        },
        null_value: Some(TEXT_NULL.into()),
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

    #[test]
    fn lazy_simple_text_is_never_quoted_and_open_csv_is() {
        let lazy = TextOptions {
            delimiter: b'|',
            quote: None,
            escape: None,
            header: false,
        };
        let c = csv_options(&lazy, CompressionTypeVariant::GZIP);
        assert_eq!((c.delimiter, c.quote_style), (b'|', CsvQuoteStyle::Never));
        assert_eq!(c.escape, None);
        assert_eq!(c.null_value.as_deref(), Some("\\N"));
        assert_eq!(c.compression, CompressionTypeVariant::GZIP);

        let open = TextOptions {
            delimiter: b',',
            quote: Some(b'\''),
            escape: Some(b'\\'),
            header: true,
        };
        let c = csv_options(&open, CompressionTypeVariant::UNCOMPRESSED);
        assert_eq!((c.quote, c.escape), (b'\'', Some(b'\\')));
        assert_eq!(
            (c.quote_style, c.double_quote),
            (CsvQuoteStyle::Necessary, Some(false))
        );
        assert_eq!(c.has_header, Some(true));
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
