//! `COPY (query) TO STDOUT [WITH (FORMAT text|csv, HEADER, DELIMITER, NULL, QUOTE)]`, what
//! psql's `\copy (select ...) to 'file' csv header` and psycopg's `cursor.copy()` send. The
//! query runs like any other; its rows, already in PostgreSQL's text form (the same bytes a
//! query result carries), are written as COPY lines, one CopyData message per row.

use std::sync::Arc;

use parking_lot::Mutex;

use bytes::{Bytes, BytesMut};
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion_postgres::pgwire::api::results::{CopyResponse, QueryResponse};
use datafusion_postgres::pgwire::messages::copy::CopyData;
use datafusion_postgres::pgwire::messages::data::DataRow;
use futures::StreamExt;

use crate::error::{Error, Result};

/// How the lines are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CopyFormat {
    csv: bool,
    header: bool,
    delimiter: u8,
    null: String,
    quote: u8,
}

/// A `COPY (query) TO STDOUT`: the query's text and the format. `None` for any other
/// statement; an error for a COPY we cannot run (from a table name, to a file, binary).
pub(super) fn parse(sql: &str) -> Option<Result<(String, CopyFormat)>> {
    let head = crate::sql_text::after_comments(sql).get(..4)?;
    if !head.eq_ignore_ascii_case("copy") {
        return None;
    }
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let [Statement::Copy {
        source,
        to: true,
        target,
        options,
        legacy_options,
        ..
    }] = statements.as_slice()
    else {
        return None;
    };
    Some(copy_of(source, target, options, legacy_options))
}

fn copy_of(
    source: &CopySource,
    target: &CopyTarget,
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> Result<(String, CopyFormat)> {
    let query = match source {
        CopySource::Query(q) => q.to_string(),
        CopySource::Table {
            table_name,
            columns,
        } => {
            let columns = match columns.as_slice() {
                [] => "*".to_string(),
                c => c
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            format!("SELECT {columns} FROM {table_name}")
        }
    };
    if *target != CopyTarget::Stdout {
        return Err(Error::Unsupported(
            "COPY writes only to STDOUT here; use psql's \\copy for a client-side file".into(),
        ));
    }
    let mut f = CopyFormat {
        csv: false,
        header: false,
        delimiter: b'\t',
        null: "\\N".into(),
        quote: b'"',
    };
    let mut delimiter = None;
    let mut null = None;
    let byte = |c: char| -> Result<u8> {
        u8::try_from(c).ok().filter(u8::is_ascii).ok_or_else(|| {
            Error::InvalidInput(format!(
                "COPY delimiter or quote {c:?} must be one ASCII character"
            ))
        })
    };
    for o in options {
        match o {
            CopyOption::Format(name) => match name.value.to_ascii_lowercase().as_str() {
                "csv" => f.csv = true,
                "text" => f.csv = false,
                other => return Err(Error::Unsupported(format!("COPY format {other}"))),
            },
            CopyOption::Header(h) => f.header = *h,
            CopyOption::Delimiter(c) => delimiter = Some(byte(*c)?),
            CopyOption::Null(n) => null = Some(n.clone()),
            CopyOption::Quote(c) => f.quote = byte(*c)?,
            other => return Err(Error::Unsupported(format!("COPY option {other}"))),
        }
    }
    for o in legacy {
        match o {
            CopyLegacyOption::Csv(csv) => {
                f.csv = true;
                for c in csv {
                    match c {
                        CopyLegacyCsvOption::Header => f.header = true,
                        CopyLegacyCsvOption::Quote(q) => f.quote = byte(*q)?,
                        other => return Err(Error::Unsupported(format!("COPY option {other}"))),
                    }
                }
            }
            CopyLegacyOption::Header => f.header = true,
            CopyLegacyOption::Delimiter(c) => delimiter = Some(byte(*c)?),
            CopyLegacyOption::Null(n) => null = Some(n.clone()),
            other => return Err(Error::Unsupported(format!("COPY option {other}"))),
        }
    }
    if f.csv {
        f.delimiter = b',';
        f.null = String::new();
    } else if f.header {
        return Err(Error::InvalidInput(
            "COPY HEADER is available only in CSV mode".into(),
        ));
    }
    f.delimiter = delimiter.unwrap_or(f.delimiter);
    f.null = null.unwrap_or(f.null);
    Ok((query, f))
}

/// The rows of `result` as a COPY OUT response in `format`. The header goes out with the
/// first row, since pgwire counts CopyData messages for the `COPY n` tag.
pub(super) fn response(mut result: QueryResponse, format: CopyFormat) -> CopyResponse {
    let schema = result.row_schema();
    let names: Vec<Option<&[u8]>> = schema.iter().map(|f| Some(f.name().as_bytes())).collect();
    let header = Arc::new(Mutex::new(format.header.then(|| line(&names, &format))));
    let format = Arc::new(format);
    let pending = Arc::clone(&header);
    let rows = std::mem::replace(result.data_rows(), Box::pin(futures::stream::empty()));
    let lines = rows.map(move |row| {
        let row = line(&fields(&row?), &format);
        Ok(CopyData::new(match pending.lock().take() {
            Some(header) => [header, row].concat().into(),
            None => row,
        }))
    });
    // No rows: the header alone.
    let rest = futures::stream::iter([()]).filter_map(move |()| {
        let header = header.lock().take();
        futures::future::ready(header.map(|h| Ok(CopyData::new(h))))
    });
    CopyResponse::new(0, schema.len(), lines.chain(rest))
}

/// The text values of a DataRow (`None` for NULL): each is a 4-byte length, -1 for NULL,
/// then the bytes.
fn fields(row: &DataRow) -> Vec<Option<&[u8]>> {
    let mut out = Vec::with_capacity(usize::try_from(row.field_count).unwrap_or(0));
    let mut rest: &[u8] = &row.data;
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        match usize::try_from(i32::from_be_bytes(*len)) {
            Ok(n) if n <= tail.len() => {
                out.push(Some(&tail[..n]));
                rest = &tail[n..];
            }
            Ok(_) => break,
            Err(_) => {
                out.push(None);
                rest = tail;
            }
        }
    }
    out
}

fn line(values: &[Option<&[u8]>], f: &CopyFormat) -> Bytes {
    let mut out = BytesMut::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&[f.delimiter]);
        }
        match v {
            None => out.extend_from_slice(f.null.as_bytes()),
            Some(v) if f.csv => csv_field(&mut out, v, f),
            Some(v) => text_field(&mut out, v, f.delimiter),
        }
    }
    out.extend_from_slice(b"\n");
    out.freeze()
}

/// Text format: backslash escapes for the backslash, the delimiter and line breaks.
fn text_field(out: &mut BytesMut, v: &[u8], delimiter: u8) {
    for &b in v {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' if delimiter == b'\t' => out.extend_from_slice(b"\\t"),
            b if b == delimiter => out.extend_from_slice(&[b'\\', b]),
            b => out.extend_from_slice(&[b]),
        }
    }
}

/// CSV: quoted (quotes doubled) when the value holds the delimiter, the quote, a line break,
/// or reads as the NULL string, so that it comes back as the same text.
fn csv_field(out: &mut BytesMut, v: &[u8], f: &CopyFormat) {
    let special = |b: &u8| *b == f.delimiter || *b == f.quote || *b == b'\n' || *b == b'\r';
    if !v.iter().any(special) && v != f.null.as_bytes() {
        out.extend_from_slice(v);
        return;
    }
    out.extend_from_slice(&[f.quote]);
    for &b in v {
        if b == f.quote {
            out.extend_from_slice(&[b]);
        }
        out.extend_from_slice(&[b]);
    }
    out.extend_from_slice(&[f.quote]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(sql: &str) -> CopyFormat {
        parse(sql).unwrap().unwrap().1
    }

    #[test]
    fn recognises_copy_to_stdout_in_both_option_syntaxes() {
        let (query, f) = parse("COPY (SELECT 1 AS a) TO STDOUT").unwrap().unwrap();
        assert_eq!(query, "SELECT 1 AS a");
        assert_eq!((f.csv, f.delimiter, f.null.as_str()), (false, b'\t', "\\N"));
        let f = format_of("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';')");
        assert_eq!(
            (f.csv, f.header, f.delimiter, f.null.as_str()),
            (true, true, b';', "")
        );
        let f = format_of("COPY ( select 1 ) TO STDOUT csv header");
        assert!(f.csv && f.header);
        let (query, _) = parse("COPY s.t (a, b) TO STDOUT").unwrap().unwrap();
        assert_eq!(query, "SELECT a, b FROM s.t");
        assert!(parse("SELECT 1").is_none());
        assert!(parse("COPY (SELECT 1) TO '/tmp/x'").unwrap().is_err());
        assert!(parse("COPY (SELECT 1) TO STDOUT WITH (FORMAT binary)")
            .unwrap()
            .is_err());
    }

    #[test]
    fn lines_escape_as_postgresql_does() {
        let text = format_of("COPY (SELECT 1) TO STDOUT");
        let values = [Some(&b"a\tb\\c\nd"[..]), None, Some(b"")];
        assert_eq!(&line(&values, &text)[..], b"a\\tb\\\\c\\nd\t\\N\t\n");
        let csv = format_of("COPY (SELECT 1) TO STDOUT (FORMAT csv)");
        let values = [Some(&b"x,\"y\""[..]), None, Some(b""), Some(b"plain")];
        assert_eq!(&line(&values, &csv)[..], b"\"x,\"\"y\"\"\",,\"\",plain\n");
    }

    #[test]
    fn data_row_fields_are_read_back() {
        let mut data = BytesMut::new();
        for v in [Some(&b"ab"[..]), None, Some(b"")] {
            match v {
                Some(v) => {
                    data.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    data.extend_from_slice(v);
                }
                None => data.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        let row = DataRow::new(data, 3);
        assert_eq!(fields(&row), vec![Some(&b"ab"[..]), None, Some(&b""[..])]);
    }
}
