//! PostgreSQL's text form of times: pgwire writes every time and timestamp with six fraction
//! digits (`12:00:00.000000`), PostgreSQL drops trailing zeros and a bare dot
//! (`12:00:00`, `12:00:00.5`). psql and tools that show the text verbatim would otherwise
//! print a zero fraction on every row. Only text-format columns are touched; binary results
//! carry microseconds and need nothing.

use datafusion_postgres::pgwire::api::results::{FieldFormat, FieldInfo, SendableRowStream};
use datafusion_postgres::pgwire::api::Type;
use datafusion_postgres::pgwire::messages::data::DataRow;
use futures::StreamExt;

/// A result's rows with its text time columns (by `schema`) in PostgreSQL's form.
pub(crate) fn pg_time_rows(rows: SendableRowStream, schema: &[FieldInfo]) -> SendableRowStream {
    let times: Vec<bool> = schema
        .iter()
        .map(|f| {
            f.format() == FieldFormat::Text
                && [Type::TIMESTAMP, Type::TIMESTAMPTZ, Type::TIME, Type::TIMETZ]
                    .contains(f.datatype())
        })
        .collect();
    if !times.contains(&true) {
        return rows;
    }
    Box::pin(rows.map(move |row| row.map(|r| trim_row(r, &times))))
}

/// Re-encodes one row with the marked fields trimmed; a row that does not parse as the
/// schema says is passed on unchanged.
fn trim_row(row: DataRow, times: &[bool]) -> DataRow {
    let mut out = Vec::with_capacity(row.data.len());
    let mut rest = &row.data[..];
    for &time in times {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return row;
        };
        let len = i32::from_be_bytes(*len);
        rest = tail;
        if len < 0 {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let Some((value, tail)) = rest.split_at_checked(len as usize) else {
            return row;
        };
        rest = tail;
        let (head, digits, after) = if time {
            split_fraction(value)
        } else {
            (value, &[][..], &[][..])
        };
        let dot = usize::from(!digits.is_empty());
        let total = head.len() + dot + digits.len() + after.len();
        out.extend_from_slice(&(total as i32).to_be_bytes());
        out.extend_from_slice(head);
        if dot == 1 {
            out.push(b'.');
        }
        out.extend_from_slice(digits);
        out.extend_from_slice(after);
    }
    if !rest.is_empty() {
        return row;
    }
    DataRow::new(out.as_slice().into(), row.field_count)
}

/// Splits `…HH:MM:SS.ffffff<rest>` into the part before the dot, the fraction digits without
/// trailing zeros, and the rest (a zone offset, an era); no fraction gives empty parts.
fn split_fraction(value: &[u8]) -> (&[u8], &[u8], &[u8]) {
    // The dot after the seconds (`:SS.`): German dates (`15.10.2024`) have dots too.
    let after_seconds =
        |i: usize| i >= 3 && value[i - 3] == b':' && value[i - 2..i].iter().all(u8::is_ascii_digit);
    let dot = (0..value.len()).find(|&i| value[i] == b'.' && after_seconds(i));
    let Some(dot) = dot else {
        return (value, &[], &[]);
    };
    let after_dot = &value[dot + 1..];
    let run = after_dot.iter().take_while(|b| b.is_ascii_digit()).count();
    if run == 0 {
        return (value, &[], &[]);
    }
    let digits = &after_dot[..run];
    let kept = digits.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
    (&value[..dot], &digits[..kept], &after_dot[run..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trimmed(text: &str) -> String {
        let (head, digits, after) = split_fraction(text.as_bytes());
        let dot = if digits.is_empty() { "" } else { "." };
        format!(
            "{}{dot}{}{}",
            String::from_utf8_lossy(head),
            String::from_utf8_lossy(digits),
            String::from_utf8_lossy(after)
        )
    }

    #[test]
    fn drops_trailing_zeros_like_postgres() {
        for (pgwire, postgres) in [
            ("2024-03-01 12:00:00.000000", "2024-03-01 12:00:00"),
            ("2024-03-01 12:00:00.500000", "2024-03-01 12:00:00.5"),
            ("2024-03-01 12:00:00.123456", "2024-03-01 12:00:00.123456"),
            ("2024-03-01 12:00:00.010000+02", "2024-03-01 12:00:00.01+02"),
            ("2024-03-01 12:00:00.000000+00", "2024-03-01 12:00:00+00"),
            ("23:59:59.000000", "23:59:59"),
            ("15.10.2024 12:00:00.000000", "15.10.2024 12:00:00"),
            ("15.10.2024 12:00:00.100000", "15.10.2024 12:00:00.1"),
            ("infinity", "infinity"),
        ] {
            assert_eq!(trimmed(pgwire), postgres);
        }
    }

    fn field(bytes: &mut Vec<u8>, value: Option<&str>) {
        match value {
            Some(v) => {
                bytes.extend_from_slice(&(v.len() as i32).to_be_bytes());
                bytes.extend_from_slice(v.as_bytes());
            }
            None => bytes.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }

    #[test]
    fn rewrites_only_marked_fields_and_keeps_nulls() {
        let mut data = Vec::new();
        field(&mut data, Some("1.500000"));
        field(&mut data, Some("2024-03-01 00:00:00.000000"));
        field(&mut data, None);
        let row = DataRow::new(data.as_slice().into(), 3);
        let out = trim_row(row, &[false, true, true]);

        let mut expected = Vec::new();
        field(&mut expected, Some("1.500000"));
        field(&mut expected, Some("2024-03-01 00:00:00"));
        field(&mut expected, None);
        assert_eq!(&out.data[..], &expected[..]);
        assert_eq!(out.field_count, 3);
    }

    #[test]
    fn leaves_a_row_that_does_not_match_the_schema() {
        let mut data = Vec::new();
        field(&mut data, Some("2024-03-01 00:00:00.000000"));
        let row = DataRow::new(data.as_slice().into(), 1);
        let out = trim_row(row.clone(), &[true, true]);
        assert_eq!(out, row);
    }
}
