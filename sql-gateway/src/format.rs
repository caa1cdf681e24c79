//! Which DataFusion file format reads a Hive table: from its SerDe, input format and
//! parameters (CSV delimiter, quote, header lines).

use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use metastore::model::Table;

use crate::error::{Error, Result};

/// The storage format of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TableFormat {
    /// Apache Parquet.
    Parquet,
    /// Apache ORC.
    Orc,
    /// Newline-delimited JSON.
    Json,
    /// Delimited text.
    Text(TextOptions),
}

/// How delimited text is split.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextOptions {
    /// Field delimiter.
    pub delimiter: u8,
    /// Quote character, if fields may be quoted (OpenCSVSerde).
    pub quote: Option<u8>,
    /// Escape character.
    pub escape: Option<u8>,
    /// Whether the first line of each file is a header to skip.
    pub header: bool,
    /// The text of a NULL (`serialization.null.format`, Hive's default `\N`); none for
    /// OpenCSVSerde, which has no NULL marker.
    pub null: Option<String>,
}

const LAZY_SIMPLE_DEFAULT_DELIM: u8 = 0x01;

/// Hive's default text form of NULL.
const HIVE_TEXT_NULL: &str = "\\N";

impl TableFormat {
    /// The format of a catalog table.
    pub(crate) fn of(table: &Table) -> Result<TableFormat> {
        let serde = table.sd.serde.serialization_lib.as_deref().unwrap_or("");
        let input = table.sd.input_format.as_deref().unwrap_or("");
        let both = format!("{serde} {input}").to_ascii_lowercase();
        if both.contains("parquet") {
            return Ok(TableFormat::Parquet);
        }
        if both.contains("orc") {
            return Ok(TableFormat::Orc);
        }
        if both.contains("json") {
            return Ok(TableFormat::Json);
        }
        if both.contains("opencsvserde")
            || both.contains("lazysimpleserde")
            || both.contains("textinputformat")
            || both.trim().is_empty()
        {
            return Ok(TableFormat::Text(text_options(
                table,
                both.contains("opencsvserde"),
            )?));
        }
        Err(Error::Unsupported(format!(
            "reading tables stored with SerDe {serde:?} / input format {input:?}"
        )))
    }

    /// The DataFusion format reading this table's files with `compression`; none for
    /// delimited text, which `text_scan` reads. Parquet takes the session's Parquet options
    /// (`datafusion.execution.parquet.*`); `row_filters` turns on evaluating pushed-down
    /// predicates while decoding even when the session leaves `pushdown_filters` off.
    pub(crate) fn file_format(
        &self,
        state: &dyn Session,
        compression: FileCompressionType,
        row_filters: bool,
    ) -> Option<Arc<dyn FileFormat>> {
        Some(match self {
            TableFormat::Parquet => {
                let mut options = state.default_table_options().parquet;
                options.global.pushdown_filters |= row_filters;
                Arc::new(ParquetFormat::default().with_options(options))
            }
            TableFormat::Orc => Arc::new(datafusion_orc::OrcFormat),
            TableFormat::Json => {
                Arc::new(JsonFormat::default().with_file_compression_type(compression))
            }
            TableFormat::Text(_) => return None,
        })
    }

    /// Whether files of this format may be compressed as a whole (text formats).
    pub(crate) fn is_text(&self) -> bool {
        matches!(self, TableFormat::Json | TableFormat::Text(_))
    }
}

/// A SerDe parameter only `spark_tables` sets, on its Hive form of a Spark CSV table: the
/// text Spark reads as NULL (its `nullValue` option). Hive's OpenCSVSerde itself has no NULL.
pub(crate) const SPARK_CSV_NULL: &str = "lakehive.spark.nullValue";

/// The SerDe class that reads quoted CSV.
pub(crate) const OPEN_CSV_SERDE: &str = "org.apache.hadoop.hive.serde2.OpenCSVSerde";

/// SerDe, input and output format classes of a `STORED AS` keyword.
pub(crate) fn storage_classes(
    stored_as: &str,
) -> Result<(&'static str, &'static str, &'static str)> {
    const TEXT_IN: &str = "org.apache.hadoop.mapred.TextInputFormat";
    const TEXT_OUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
    Ok(match stored_as.to_ascii_lowercase().as_str() {
        "parquet" => (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ),
        "orc" => (
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
            "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        ),
        "textfile" => (
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            TEXT_IN,
            TEXT_OUT,
        ),
        "jsonfile" => ("org.apache.hive.hcatalog.data.JsonSerDe", TEXT_IN, TEXT_OUT),
        other => return Err(Error::Unsupported(format!("STORED AS {other}"))),
    })
}

/// The compression of a text file, from its extension.
pub(crate) fn compression_of(path: &str) -> FileCompressionType {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".gz") {
        FileCompressionType::GZIP
    } else if lower.ends_with(".bz2") {
        FileCompressionType::BZIP2
    } else if lower.ends_with(".zst") || lower.ends_with(".zstd") {
        FileCompressionType::ZSTD
    } else if lower.ends_with(".xz") {
        FileCompressionType::XZ
    } else {
        FileCompressionType::UNCOMPRESSED
    }
}

/// A character parameter (OpenCSVSerde's): one character or a `\t`-style escape.
fn single_byte(name: &str, value: &str) -> Result<u8> {
    let bytes = unescape(value);
    match bytes.as_slice() {
        [b] => Ok(*b),
        _ => Err(Error::InvalidInput(format!(
            "{name} must be a single character, not {value:?}"
        ))),
    }
}

/// A LazySimpleSerDe separator: like Hive, a value that parses as a (signed) byte is that
/// byte, so `serialization.format = 1`, which Spark and Hive give every TEXTFILE table, is
/// `\001`, not the digit; anything else is a character as in [`single_byte`].
fn byte_code(name: &str, value: &str) -> Result<u8> {
    match value.parse::<i8>() {
        Ok(code) => Ok(code as u8),
        Err(_) => single_byte(name, value),
    }
}

/// Hive writes delimiters as characters or `\t`-style escapes.
fn unescape(value: &str) -> Vec<u8> {
    match value {
        "\\t" => vec![b'\t'],
        "\\n" => vec![b'\n'],
        "\\001" | "\\u0001" => vec![1],
        v => v.as_bytes().to_vec(),
    }
}

fn text_options(table: &Table, open_csv: bool) -> Result<TextOptions> {
    let p = &table.sd.serde.parameters;
    let header = table
        .parameters
        .get("skip.header.line.count")
        .map(|v| v.trim())
        .is_some_and(|v| v != "0");
    if open_csv {
        let delimiter = match p.get("separatorChar") {
            Some(v) => single_byte("separatorChar", v)?,
            None => b',',
        };
        let quote = match p.get("quoteChar") {
            Some(v) => single_byte("quoteChar", v)?,
            None => b'"',
        };
        let escape = match p.get("escapeChar") {
            Some(v) => single_byte("escapeChar", v)?,
            None => b'\\',
        };
        return Ok(TextOptions {
            delimiter,
            quote: Some(quote),
            escape: Some(escape),
            header,
            null: p.get(SPARK_CSV_NULL).cloned(),
        });
    }
    let delimiter = match p
        .get("field.delim")
        .or_else(|| p.get("serialization.format"))
    {
        Some(v) => byte_code("field.delim", v)?,
        None => LAZY_SIMPLE_DEFAULT_DELIM,
    };
    let escape = p
        .get("escape.delim")
        .map(|v| byte_code("escape.delim", v))
        .transpose()?;
    let null = p
        .get("serialization.null.format")
        .cloned()
        .unwrap_or_else(|| HIVE_TEXT_NULL.to_string());
    Ok(TextOptions {
        delimiter,
        quote: None,
        escape,
        header,
        null: Some(null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(serde: &str, params: &[(&str, &str)]) -> Table {
        let mut t = Table::default();
        t.sd.serde.serialization_lib = Some(serde.into());
        for (k, v) in params {
            t.sd.serde.parameters.insert((*k).into(), (*v).into());
        }
        t
    }

    #[test]
    fn recognises_formats_from_the_serde() {
        let pq = table(
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            &[],
        );
        assert_eq!(TableFormat::of(&pq).unwrap(), TableFormat::Parquet);
        let orc = table("org.apache.hadoop.hive.ql.io.orc.OrcSerde", &[]);
        assert_eq!(TableFormat::of(&orc).unwrap(), TableFormat::Orc);
        let json = table("org.openx.data.jsonserde.JsonSerDe", &[]);
        assert_eq!(TableFormat::of(&json).unwrap(), TableFormat::Json);
        let avro = table("org.apache.hadoop.hive.serde2.avro.AvroSerDe", &[]);
        assert!(matches!(TableFormat::of(&avro), Err(Error::Unsupported(_))));
    }

    #[test]
    fn reads_text_serde_parameters() {
        let mut csv = table(
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            &[("field.delim", ",")],
        );
        csv.parameters
            .insert("skip.header.line.count".into(), "1".into());
        let TableFormat::Text(o) = TableFormat::of(&csv).unwrap() else {
            panic!()
        };
        assert_eq!((o.delimiter, o.quote, o.header), (b',', None, true));
        let tsv = table(
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            &[("field.delim", "\\t")],
        );
        let TableFormat::Text(o) = TableFormat::of(&tsv).unwrap() else {
            panic!()
        };
        assert_eq!(o.delimiter, b'\t');
        let plain = table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", &[]);
        let TableFormat::Text(o) = TableFormat::of(&plain).unwrap() else {
            panic!()
        };
        assert_eq!(o.delimiter, 1);
        // what Spark and Hive store for `STORED AS TEXTFILE`: a byte code, not the digit
        for (key, value, byte) in [
            ("serialization.format", "1", 1),
            ("field.delim", "9", b'\t'),
            ("field.delim", "44", b','),
        ] {
            let t = table(
                "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                &[(key, value)],
            );
            let TableFormat::Text(o) = TableFormat::of(&t).unwrap() else {
                panic!()
            };
            assert_eq!(o.delimiter, byte, "{key} = {value}");
        }
        let open = table(
            "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            &[("separatorChar", ";")],
        );
        let TableFormat::Text(o) = TableFormat::of(&open).unwrap() else {
            panic!()
        };
        assert_eq!((o.delimiter, o.quote), (b';', Some(b'"')));
        let bad = table(
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            &[("field.delim", "ab")],
        );
        assert!(TableFormat::of(&bad).is_err());
        assert_eq!(compression_of("x/part-0.csv.gz"), FileCompressionType::GZIP);
    }
}
