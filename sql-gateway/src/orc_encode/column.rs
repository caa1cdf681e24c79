//! One ORC column and its children: the values of the current stripe gathered from Arrow
//! arrays, then written as the column's streams.
//!
//! Columns are numbered in pre-order from the file's root struct (0). A null row is a cleared
//! bit of the column's PRESENT stream (written only when the stripe has a null) and has no
//! value in the other streams; the children of a null struct, list or map row have no rows.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder, OffsetSizeTrait,
};
use datafusion::arrow::compute::{cast, filter};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimeUnit,
};
use orc_rust::proto::{self, column_encoding, r#type::Kind, stream};

use super::compress::{self, Codec};
use super::rle::{boolean_runs, byte_runs, integer_runs, put_varint, zigzag};
use super::{OrcError, Result};

/// Seconds from the Unix epoch to ORC's timestamp base, 2015-01-01 00:00:00.
const ORC_EPOCH_SECONDS: i64 = 1_420_070_400;

/// The streams of one stripe as they are written.
pub(super) struct Stripe {
    codec: Option<Codec>,
    /// The stripe's data area: every stream, compressed, in the order of `streams`.
    pub(super) data: Vec<u8>,
    pub(super) streams: Vec<proto::Stream>,
    /// One per column, in column order.
    pub(super) encodings: Vec<proto::ColumnEncoding>,
    /// One per column, in column order: the values and whether any is null.
    pub(super) stats: Vec<proto::ColumnStatistics>,
}

impl Stripe {
    pub(super) fn new(codec: Option<Codec>) -> Self {
        Stripe {
            codec,
            data: Vec::new(),
            streams: Vec::new(),
            encodings: Vec::new(),
            stats: Vec::new(),
        }
    }

    fn stream(&mut self, column: u32, kind: stream::Kind, raw: &[u8]) -> Result<()> {
        let start = self.data.len();
        compress::append(self.codec, raw, &mut self.data)?;
        self.streams.push(proto::Stream {
            kind: Some(kind.into()),
            column: Some(column),
            length: Some((self.data.len() - start) as u64),
        });
        Ok(())
    }

    fn integers(&mut self, column: u32, kind: stream::Kind, v: &[i64], signed: bool) -> Result<()> {
        let mut raw = Vec::new();
        integer_runs(v, signed, &mut raw);
        self.stream(column, kind, &raw)
    }
}

/// The values of one stripe, by how ORC stores them.
enum Values {
    Boolean(BooleanBufferBuilder),
    /// tinyint.
    Byte(Vec<u8>),
    /// smallint, int, bigint and date (days).
    Integer(Vec<i64>),
    /// float and double as their little-endian bytes.
    Float(Vec<u8>),
    /// string and binary: the bytes one after another, and each value's length.
    Bytes {
        data: Vec<u8>,
        lengths: Vec<i64>,
    },
    /// The unscaled values as zigzag varints, `count` of them, all of the column's `scale`.
    Decimal {
        data: Vec<u8>,
        count: usize,
        scale: i64,
    },
    /// Seconds from ORC's base and nanoseconds, encoded as ORC stores them.
    Timestamp {
        unit: TimeUnit,
        seconds: Vec<i64>,
        nanos: Vec<i64>,
    },
    /// struct (no `lengths`), list (one child) and map (key and value children).
    Parent {
        lengths: Option<Vec<i64>>,
        children: Vec<Column>,
    },
}

pub(super) struct Column {
    id: u32,
    present: BooleanBufferBuilder,
    nulls: usize,
    values: Values,
}

impl Column {
    /// The column of `data_type` and its children, numbered on from `types.len()`; their ORC
    /// types are added to `types`.
    pub(super) fn new(data_type: &DataType, types: &mut Vec<proto::Type>) -> Result<Column> {
        let id = types.len() as u32;
        types.push(proto::Type::default());
        let mut t = proto::Type::default();
        let (kind, values) = match data_type {
            DataType::Boolean => (Kind::Boolean, Values::Boolean(BooleanBufferBuilder::new(0))),
            DataType::Int8 => (Kind::Byte, Values::Byte(Vec::new())),
            DataType::Int16 => (Kind::Short, Values::Integer(Vec::new())),
            DataType::Int32 => (Kind::Int, Values::Integer(Vec::new())),
            DataType::Int64 => (Kind::Long, Values::Integer(Vec::new())),
            DataType::Date32 => (Kind::Date, Values::Integer(Vec::new())),
            DataType::Float32 => (Kind::Float, Values::Float(Vec::new())),
            DataType::Float64 => (Kind::Double, Values::Float(Vec::new())),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => (Kind::String, bytes()),
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
                (Kind::Binary, bytes())
            }
            DataType::Decimal128(precision, scale) if *scale >= 0 => {
                t.precision = Some(u32::from(*precision));
                t.scale = Some(*scale as u32);
                let (data, count, scale) = (Vec::new(), 0, i64::from(*scale));
                (Kind::Decimal, Values::Decimal { data, count, scale })
            }
            DataType::Timestamp(unit, zone) => {
                let kind = match zone {
                    None => Kind::Timestamp,
                    Some(_) => Kind::TimestampInstant,
                };
                let (seconds, nanos) = (Vec::new(), Vec::new());
                (
                    kind,
                    Values::Timestamp {
                        unit: *unit,
                        seconds,
                        nanos,
                    },
                )
            }
            DataType::Struct(fields) => {
                t.field_names = fields.iter().map(|f| f.name().clone()).collect();
                let children = fields
                    .iter()
                    .map(|f| Column::new(f.data_type(), types))
                    .collect::<Result<_>>()?;
                (
                    Kind::Struct,
                    Values::Parent {
                        lengths: None,
                        children,
                    },
                )
            }
            DataType::List(item) | DataType::LargeList(item) => {
                let children = vec![Column::new(item.data_type(), types)?];
                (
                    Kind::List,
                    Values::Parent {
                        lengths: Some(Vec::new()),
                        children,
                    },
                )
            }
            DataType::Map(entries, _) => {
                let DataType::Struct(kv) = entries.data_type() else {
                    return Err(OrcError::Unsupported(data_type.clone()));
                };
                let children = kv
                    .iter()
                    .map(|f| Column::new(f.data_type(), types))
                    .collect::<Result<_>>()?;
                (
                    Kind::Map,
                    Values::Parent {
                        lengths: Some(Vec::new()),
                        children,
                    },
                )
            }
            other => return Err(OrcError::Unsupported(other.clone())),
        };
        t.set_kind(kind);
        if let Values::Parent { children, .. } = &values {
            t.subtypes = children.iter().map(|c| c.id).collect();
        }
        types[id as usize] = t;
        Ok(Column {
            id,
            present: BooleanBufferBuilder::new(0),
            nulls: 0,
            values,
        })
    }

    /// Bytes gathered for the current stripe, roughly.
    pub(super) fn buffered(&self) -> usize {
        let own = self.present.len() / 8
            + match &self.values {
                Values::Boolean(b) => b.len() / 8,
                Values::Byte(v) | Values::Float(v) => v.len(),
                Values::Integer(v) => v.len() * 8,
                Values::Bytes { data, lengths } => data.len() + lengths.len() * 8,
                Values::Decimal { data, .. } => data.len(),
                Values::Timestamp { seconds, .. } => seconds.len() * 16,
                Values::Parent { lengths, .. } => lengths.as_ref().map_or(0, |l| l.len() * 8),
            };
        own + self.children().iter().map(Column::buffered).sum::<usize>()
    }

    fn children(&self) -> &[Column] {
        match &self.values {
            Values::Parent { children, .. } => children,
            _ => &[],
        }
    }

    /// Adds the rows of `array` (of this column's type) to the current stripe.
    pub(super) fn append(&mut self, array: &dyn Array) -> Result<()> {
        let nulls = array.logical_nulls();
        match &nulls {
            Some(n) => {
                self.present.append_buffer(n.inner());
                self.nulls += n.null_count();
            }
            None => self.present.append_n(array.len(), true),
        }
        match &mut self.values {
            Values::Boolean(b) => array
                .as_boolean()
                .iter()
                .flatten()
                .for_each(|v| b.append(v)),
            Values::Byte(v) => {
                let values = array.as_primitive::<Int8Type>().iter().flatten();
                v.extend(values.map(|x| x as u8))
            }
            Values::Integer(v) => append_integers(array, v)?,
            Values::Float(v) => match array.data_type() {
                DataType::Float32 => array
                    .as_primitive::<Float32Type>()
                    .iter()
                    .flatten()
                    .for_each(|x| v.extend_from_slice(&x.to_le_bytes())),
                _ => array
                    .as_primitive::<Float64Type>()
                    .iter()
                    .flatten()
                    .for_each(|x| v.extend_from_slice(&x.to_le_bytes())),
            },
            Values::Bytes { data, lengths } => each_bytes(array, |b| {
                data.extend_from_slice(b);
                lengths.push(b.len() as i64);
            })?,
            Values::Decimal { data, count, .. } => {
                for x in array.as_primitive::<Decimal128Type>().iter().flatten() {
                    put_varint(data, zigzag(x));
                    *count += 1;
                }
            }
            Values::Timestamp {
                unit,
                seconds,
                nanos,
            } => {
                let values = cast(array, &DataType::Int64)?;
                for v in values.as_primitive::<Int64Type>().iter().flatten() {
                    let (s, n) = orc_timestamp(v, *unit)?;
                    seconds.push(s);
                    nanos.push(n);
                }
            }
            Values::Parent { lengths, children } => {
                let rows = match &nulls {
                    Some(n) if n.null_count() > 0 => {
                        filter(array, &BooleanArray::new(n.inner().clone(), None))?
                    }
                    _ => array.slice(0, array.len()),
                };
                append_children(&rows, lengths.as_mut(), children)?;
            }
        }
        Ok(())
    }

    /// Writes this column's and its children's streams for the current stripe to `stripe`
    /// and starts the next stripe empty.
    pub(super) fn flush(&mut self, stripe: &mut Stripe) -> Result<()> {
        let (id, rows) = (self.id, self.present.len());
        stripe.encodings.push(proto::ColumnEncoding {
            kind: Some(column_encoding::Kind::Direct.into()),
            ..Default::default()
        });
        stripe.stats.push(proto::ColumnStatistics {
            number_of_values: Some((rows - self.nulls) as u64),
            has_null: Some(self.nulls > 0),
            ..Default::default()
        });
        let present = std::mem::replace(&mut self.present, BooleanBufferBuilder::new(0));
        if std::mem::take(&mut self.nulls) > 0 {
            let mut raw = Vec::new();
            boolean_runs(present.as_slice(), rows, &mut raw);
            stripe.stream(id, stream::Kind::Present, &raw)?;
        }
        use stream::Kind::{Data, Length, Secondary};
        match &mut self.values {
            Values::Boolean(b) => {
                let bits = std::mem::replace(b, BooleanBufferBuilder::new(0));
                let mut raw = Vec::new();
                boolean_runs(bits.as_slice(), bits.len(), &mut raw);
                stripe.stream(id, Data, &raw)?;
            }
            Values::Byte(v) => {
                let mut raw = Vec::new();
                byte_runs(&std::mem::take(v), &mut raw);
                stripe.stream(id, Data, &raw)?;
            }
            Values::Integer(v) => stripe.integers(id, Data, &std::mem::take(v), true)?,
            Values::Float(v) => stripe.stream(id, Data, &std::mem::take(v))?,
            Values::Bytes { data, lengths } => {
                stripe.stream(id, Data, &std::mem::take(data))?;
                stripe.integers(id, Length, &std::mem::take(lengths), false)?;
            }
            Values::Decimal { data, count, scale } => {
                stripe.stream(id, Data, &std::mem::take(data))?;
                let scales = vec![*scale; std::mem::take(count)];
                stripe.integers(id, Secondary, &scales, true)?;
            }
            Values::Timestamp { seconds, nanos, .. } => {
                stripe.integers(id, Data, &std::mem::take(seconds), true)?;
                stripe.integers(id, Secondary, &std::mem::take(nanos), false)?;
            }
            Values::Parent { lengths, children } => {
                if let Some(lengths) = lengths {
                    stripe.integers(id, Length, &std::mem::take(lengths), false)?;
                }
                for child in children {
                    child.flush(stripe)?;
                }
            }
        }
        Ok(())
    }
}

fn bytes() -> Values {
    Values::Bytes {
        data: Vec::new(),
        lengths: Vec::new(),
    }
}

fn append_integers(array: &dyn Array, out: &mut Vec<i64>) -> Result<()> {
    fn widened<T>(array: &dyn Array, out: &mut Vec<i64>)
    where
        T: ArrowPrimitiveType,
        T::Native: Into<i64>,
    {
        out.extend(array.as_primitive::<T>().iter().flatten().map(Into::into));
    }
    match array.data_type() {
        DataType::Int16 => widened::<Int16Type>(array, out),
        DataType::Int32 => widened::<Int32Type>(array, out),
        DataType::Date32 => widened::<Date32Type>(array, out),
        DataType::Int64 => widened::<Int64Type>(array, out),
        other => return Err(OrcError::Unsupported(other.clone())),
    }
    Ok(())
}

/// Calls `f` with the bytes of each non-null value of a string or binary array.
fn each_bytes(array: &dyn Array, mut f: impl FnMut(&[u8])) -> Result<()> {
    match array.data_type() {
        DataType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .flatten()
            .for_each(|s| f(s.as_bytes())),
        DataType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .flatten()
            .for_each(|s| f(s.as_bytes())),
        DataType::Utf8View => array
            .as_string_view()
            .iter()
            .flatten()
            .for_each(|s| f(s.as_bytes())),
        DataType::Binary => array.as_binary::<i32>().iter().flatten().for_each(f),
        DataType::LargeBinary => array.as_binary::<i64>().iter().flatten().for_each(f),
        DataType::BinaryView => array.as_binary_view().iter().flatten().for_each(f),
        other => return Err(OrcError::Unsupported(other.clone())),
    }
    Ok(())
}

/// Adds the rows of a struct, list or map array without null rows to its children.
fn append_children(
    rows: &ArrayRef,
    lengths: Option<&mut Vec<i64>>,
    children: &mut [Column],
) -> Result<()> {
    match (rows.data_type(), lengths) {
        (DataType::Struct(_), None) => {
            for (child, values) in children.iter_mut().zip(rows.as_struct().columns()) {
                child.append(values.as_ref())?;
            }
            Ok(())
        }
        (DataType::List(_), Some(lengths)) => {
            let list = rows.as_list::<i32>();
            let values = elements(list.value_offsets(), list.values(), lengths);
            children[0].append(values.as_ref())
        }
        (DataType::LargeList(_), Some(lengths)) => {
            let list = rows.as_list::<i64>();
            let values = elements(list.value_offsets(), list.values(), lengths);
            children[0].append(values.as_ref())
        }
        (DataType::Map(..), Some(lengths)) => {
            let map = rows.as_map();
            let entries: ArrayRef = Arc::new(map.entries().clone());
            let entries = elements(map.value_offsets(), &entries, lengths);
            let entries = entries.as_struct();
            for (child, values) in children.iter_mut().zip(entries.columns()) {
                child.append(values.as_ref())?;
            }
            Ok(())
        }
        (other, _) => Err(OrcError::Unsupported(other.clone())),
    }
}

/// The elements the rows with `offsets` hold in `values`, after adding each row's length to
/// `lengths`.
fn elements<O: OffsetSizeTrait>(
    offsets: &[O],
    values: &ArrayRef,
    lengths: &mut Vec<i64>,
) -> ArrayRef {
    lengths.extend(
        offsets
            .windows(2)
            .map(|w| (w[1].as_usize() - w[0].as_usize()) as i64),
    );
    let (first, last) = match (offsets.first(), offsets.last()) {
        (Some(f), Some(l)) => (f.as_usize(), l.as_usize()),
        _ => (0, 0),
    };
    values.slice(first, last - first)
}

/// A timestamp of `unit`s since the Unix epoch as ORC stores it: seconds from ORC's base,
/// and the nanoseconds with their trailing decimal zeros folded into the low three bits.
///
/// Readers subtract a second from a negative time whose nanoseconds exceed 999,999 (they
/// undo the Java writer's rounding of seconds towards zero), so such a time is stored a second
/// later. Just before the epoch that second cannot be told apart, so it is refused.
fn orc_timestamp(value: i64, unit: TimeUnit) -> Result<(i64, i64)> {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let mut seconds = value.div_euclid(per_second);
    let nanos = value.rem_euclid(per_second) * (1_000_000_000 / per_second);
    if seconds < 0 && nanos > 999_999 {
        if seconds == -1 {
            return Err(OrcError::Timestamp(value, unit));
        }
        seconds += 1;
    }
    let seconds = seconds
        .checked_sub(ORC_EPOCH_SECONDS)
        .ok_or(OrcError::Timestamp(value, unit))?;
    Ok((seconds, fold_nanos(nanos)))
}

/// Nanoseconds with two to eight trailing zeros removed and their count less one in the low
/// three bits (none removed: the low bits are zero).
fn fold_nanos(nanos: i64) -> i64 {
    if nanos == 0 || nanos % 100 != 0 {
        return nanos << 3;
    }
    let (mut n, mut removed) = (nanos / 100, 2);
    while n % 10 == 0 && removed < 8 {
        n /= 10;
        removed += 1;
    }
    (n << 3) | (removed - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_fold_their_trailing_zeros() {
        assert_eq!(fold_nanos(0), 0);
        assert_eq!(fold_nanos(123_456_789), 123_456_789 << 3);
        assert_eq!(fold_nanos(500_000_000), (5 << 3) | 7);
        assert_eq!(fold_nanos(1_000), (1 << 3) | 2);
        assert_eq!(fold_nanos(120), 120 << 3);
    }

    #[test]
    fn timestamps_count_from_2015_and_adjust_negative_fractions() {
        assert_eq!(
            orc_timestamp(ORC_EPOCH_SECONDS, TimeUnit::Second).unwrap(),
            (0, 0)
        );
        assert_eq!(
            orc_timestamp(1_500, TimeUnit::Millisecond).unwrap(),
            (1 - ORC_EPOCH_SECONDS, fold_nanos(500_000_000))
        );
        // -1.5 s: floor -2 s + 0.5 s, stored as -1 s for the reader to take a second off
        assert_eq!(
            orc_timestamp(-1_500, TimeUnit::Millisecond).unwrap(),
            (-1 - ORC_EPOCH_SECONDS, fold_nanos(500_000_000))
        );
        // a fraction under a millisecond needs no adjustment
        assert_eq!(
            orc_timestamp(-1_999_999_999, TimeUnit::Nanosecond).unwrap(),
            (-2 - ORC_EPOCH_SECONDS, fold_nanos(1))
        );
        assert!(orc_timestamp(-500, TimeUnit::Millisecond).is_err());
        assert!(orc_timestamp(i64::MIN, TimeUnit::Second).is_err());
    }
}
