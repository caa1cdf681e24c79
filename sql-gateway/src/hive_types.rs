//! Hive column types (`int`, `decimal(10,2)`, `array<struct<a:int>>`, ...) to Arrow types
//! and back.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};

use crate::error::{Error, Result};

mod pg_names;

pub(crate) use pg_names::hive_spelling;

/// The Arrow type for a Hive type name.
pub(crate) fn to_arrow(hive: &str) -> Result<DataType> {
    let mut p = TypeParser {
        src: hive.trim().to_ascii_lowercase(),
        pos: 0,
    };
    let t = p.parse()?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.error("unexpected trailing text"));
    }
    Ok(t)
}

/// The nullable Arrow field for a catalog column.
pub(crate) fn to_field(column: &metastore::model::Column) -> Result<Field> {
    Ok(Field::new(&column.name, to_arrow(&column.type_name)?, true))
}

/// Whether values written as `from` read correctly as `to` after a column's type changes:
/// Hive's widening rules (a wider integer, integers to floating point and decimals, float to
/// double, either to a decimal (Hive's numeric order ends in decimal), a decimal with no fewer
/// integer or fraction digits, anything primitive to string).
pub(crate) fn widens(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let int_width = |t: &DataType| match t {
        Int8 => Some(1),
        Int16 => Some(2),
        Int32 => Some(4),
        Int64 => Some(8),
        _ => None,
    };
    match (from, to) {
        _ if from == to => true,
        (_, Utf8) => !from.is_nested() && !matches!(from, Binary),
        (f, t) if int_width(f).is_some() && int_width(t).is_some() => int_width(f) <= int_width(t),
        (f, Float32 | Float64 | Decimal128(..)) if int_width(f).is_some() => true,
        (Float32, Float64) | (Float32 | Float64, Decimal128(..)) => true,
        (Decimal128(p, s), Decimal128(p2, s2)) => {
            s2 >= s && (*p2 as i16 - *s2 as i16) >= (*p as i16 - *s as i16)
        }
        _ => false,
    }
}

/// The Hive type name for an Arrow type, for tables the gateway creates.
pub(crate) fn to_hive(t: &DataType) -> Result<String> {
    Ok(match t {
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "int".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "binary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::List(f) | DataType::LargeList(f) => format!("array<{}>", to_hive(f.data_type())?),
        DataType::Struct(fields) => {
            let parts = fields
                .iter()
                .map(|f| Ok(format!("{}:{}", f.name(), to_hive(f.data_type())?)))
                .collect::<Result<Vec<_>>>()?;
            format!("struct<{}>", parts.join(","))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map<{},{}>",
                to_hive(kv[0].data_type())?,
                to_hive(kv[1].data_type())?
            ),
            other => return Err(Error::Unsupported(format!("map entries of type {other}"))),
        },
        DataType::Dictionary(_, v) => to_hive(v)?,
        other => {
            return Err(Error::Unsupported(format!(
                "columns of type {other} in a Hive table"
            )))
        }
    })
}

struct TypeParser {
    src: String,
    pos: usize,
}

impl TypeParser {
    fn error(&self, what: &str) -> Error {
        Error::InvalidInput(format!(
            "bad Hive type {:?} at {}: {what}",
            self.src, self.pos
        ))
    }

    fn skip_ws(&mut self) {
        while self.src[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let rest = &self.src[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        rest[..len].to_string()
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.src[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    fn number(&mut self) -> Result<u32> {
        let w = self.word();
        w.parse().map_err(|_| self.error("expected a number"))
    }

    fn parse(&mut self) -> Result<DataType> {
        let name = self.word();
        Ok(match name.as_str() {
            "tinyint" => DataType::Int8,
            "smallint" => DataType::Int16,
            "int" | "integer" => DataType::Int32,
            "bigint" => DataType::Int64,
            "float" | "real" => DataType::Float32,
            "double" => {
                let save = self.pos;
                if self.word() != "precision" {
                    self.pos = save;
                }
                DataType::Float64
            }
            "boolean" => DataType::Boolean,
            "string" => DataType::Utf8,
            "varchar" | "char" => {
                if self.eat('(') {
                    self.number()?;
                    self.expect(')')?;
                }
                DataType::Utf8
            }
            "binary" => DataType::Binary,
            "date" => DataType::Date32,
            "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, None),
            "decimal" | "numeric" => self.decimal()?,
            "array" => {
                self.expect('<')?;
                let item = self.parse()?;
                self.expect('>')?;
                DataType::List(Arc::new(Field::new("element", item, true)))
            }
            "map" => {
                self.expect('<')?;
                let key = self.parse()?;
                self.expect(',')?;
                let value = self.parse()?;
                self.expect('>')?;
                let entries = Fields::from(vec![
                    Field::new("key", key, false),
                    Field::new("value", value, true),
                ]);
                DataType::Map(
                    Arc::new(Field::new("key_value", DataType::Struct(entries), false)),
                    false,
                )
            }
            "struct" => self.struct_type()?,
            "" => return Err(self.error("expected a type name")),
            other => return Err(self.error(&format!("unknown type {other}"))),
        })
    }

    fn decimal(&mut self) -> Result<DataType> {
        let (mut precision, mut scale) = (10u32, 0u32);
        if self.eat('(') {
            precision = self.number()?;
            if self.eat(',') {
                scale = self.number()?;
            }
            self.expect(')')?;
        }
        let precision = u8::try_from(precision)
            .ok()
            .filter(|p| (1..=38).contains(p))
            .ok_or_else(|| self.error("decimal precision must be 1..=38"))?;
        let scale = i8::try_from(scale)
            .ok()
            .filter(|s| *s as u8 <= precision)
            .ok_or_else(|| self.error("decimal scale must not exceed precision"))?;
        Ok(DataType::Decimal128(precision, scale))
    }

    fn struct_type(&mut self) -> Result<DataType> {
        self.expect('<')?;
        let mut fields = Vec::new();
        loop {
            let name = self.word();
            if name.is_empty() {
                return Err(self.error("expected a field name"));
            }
            self.expect(':')?;
            fields.push(Field::new(name, self.parse()?, true));
            if !self.eat(',') {
                break;
            }
        }
        self.expect('>')?;
        Ok(DataType::Struct(Fields::from(fields)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalar_and_nested_types() {
        assert_eq!(to_arrow("INT").unwrap(), DataType::Int32);
        assert_eq!(to_arrow("varchar(20)").unwrap(), DataType::Utf8);
        assert_eq!(
            to_arrow("decimal(15, 2)").unwrap(),
            DataType::Decimal128(15, 2)
        );
        assert_eq!(to_arrow("decimal").unwrap(), DataType::Decimal128(10, 0));
        let nested = to_arrow("array<struct<a:int,b:map<string,double>>>").unwrap();
        assert_eq!(
            to_hive(&nested).unwrap(),
            "array<struct<a:int,b:map<string,double>>>"
        );
        assert!(to_arrow("decimal(40,2)").is_err());
        assert!(to_arrow("uniontype<int>").is_err());
        assert!(to_arrow("int int").is_err());
    }

    #[test]
    fn round_trips_through_hive_names() {
        for t in [
            "bigint",
            "double",
            "string",
            "date",
            "timestamp",
            "boolean",
            "decimal(7,3)",
        ] {
            assert_eq!(to_hive(&to_arrow(t).unwrap()).unwrap(), t);
        }
    }
}
