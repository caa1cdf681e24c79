//! Files written here, read back by orc-rust's reader (an independent implementation) and
//! compared value by value through Arrow's display of each row.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int64Builder, Int8Array, ListArray, MapBuilder,
    RecordBatchReader, StringArray, StringBuilder, StringViewArray, StructArray,
    TimestampMicrosecondArray, TimestampNanosecondArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int32Type, Schema, TimeUnit};
use datafusion::arrow::util::pretty::pretty_format_batches;

use super::*;

fn read_back(file: Vec<u8>) -> RecordBatch {
    let reader = orc_rust::ArrowReaderBuilder::try_new(Bytes::from(file))
        .unwrap()
        .build();
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    concat_batches(&schema, &batches).unwrap()
}

fn shown(batch: &RecordBatch) -> String {
    pretty_format_batches(std::slice::from_ref(batch))
        .unwrap()
        .to_string()
}

/// The file of `batches`, taken in pieces as the stripes are written.
fn encode(batches: &[RecordBatch], codec: Option<Codec>, stripe_bytes: usize) -> Vec<u8> {
    let mut encoder = OrcEncoder::new(batches[0].schema(), codec).unwrap();
    encoder.stripe_bytes = stripe_bytes;
    let mut file = Vec::new();
    for b in batches {
        encoder.write(b).unwrap();
        file.extend(encoder.take_written());
    }
    file.extend(encoder.finish().unwrap());
    file
}

fn column(name: &str, array: ArrayRef) -> (Field, ArrayRef) {
    (Field::new(name, array.data_type().clone(), true), array)
}

/// Every type this writer stores, with nulls, extremes and empty values.
fn every_type() -> RecordBatch {
    let decimals = Decimal128Array::from(vec![
        Some(i128::MAX / 10),
        Some(-123_456_789_012_345_678_901_234_567),
        None,
        Some(0),
    ])
    .with_precision_and_scale(38, 10)
    .unwrap();
    let money = Decimal128Array::from(vec![Some(150), Some(-1), Some(99_999_999), None])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), None, Some(3)]),
        None,
        Some(vec![]),
        Some(vec![Some(-7)]),
    ]);
    let point = StructArray::new(
        Fields::from(vec![
            Field::new("x", DataType::Int32, true),
            Field::new("y", DataType::Utf8, true),
        ]),
        vec![
            Arc::new(Int32Array::from(vec![Some(1), Some(2), None, Some(4)])),
            Arc::new(StringArray::from(vec![
                Some("a"),
                None,
                Some("c"),
                Some("d"),
            ])),
        ],
        Some(NullBuffer::from(vec![true, true, false, true])),
    );
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    map.keys().append_value("k1");
    map.values().append_value(10);
    map.keys().append_value("k2");
    map.values().append_null();
    map.append(true).unwrap();
    map.append(false).unwrap();
    map.append(true).unwrap();
    map.keys().append_value("k3");
    map.values().append_value(-3);
    map.append(true).unwrap();
    let columns = vec![
        column(
            "flag",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
            ])),
        ),
        column(
            "tiny",
            Arc::new(Int8Array::from(vec![
                Some(i8::MIN),
                Some(-1),
                None,
                Some(i8::MAX),
            ])),
        ),
        column(
            "small",
            Arc::new(Int16Array::from(vec![
                Some(i16::MIN),
                None,
                Some(0),
                Some(7),
            ])),
        ),
        column(
            "int",
            Arc::new(Int32Array::from(vec![
                Some(i32::MAX),
                Some(5),
                Some(6),
                None,
            ])),
        ),
        column(
            "big",
            Arc::new(Int64Array::from(vec![
                Some(i64::MIN),
                Some(i64::MAX),
                None,
                Some(0),
            ])),
        ),
        column(
            "real",
            Arc::new(Float32Array::from(vec![
                Some(1.5),
                None,
                Some(-0.25),
                Some(f32::MAX),
            ])),
        ),
        column(
            "double",
            Arc::new(Float64Array::from(vec![
                Some(f64::MIN),
                Some(1e-300),
                Some(2.5),
                None,
            ])),
        ),
        column(
            "text",
            Arc::new(StringArray::from(vec![
                Some(""),
                Some("héllo"),
                None,
                Some("x,y"),
            ])),
        ),
        column(
            "view",
            Arc::new(StringViewArray::from(vec![
                Some("a long string past twelve bytes"),
                None,
                Some("b"),
                Some(""),
            ])),
        ),
        column(
            "bytes",
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\xff"[..]),
                None,
                Some(b""),
                Some(b"z"),
            ])),
        ),
        column("dec", Arc::new(decimals)),
        column("money", Arc::new(money)),
        column(
            "day",
            Arc::new(Date32Array::from(vec![
                Some(-719_162),
                Some(0),
                None,
                Some(19_723),
            ])),
        ),
        column(
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(-1_500_000),
                Some(1_704_103_200_123_456),
                None,
                Some(-2_208_988_800_000_001),
            ])),
        ),
        column(
            "tsn",
            Arc::new(TimestampNanosecondArray::from(vec![
                Some(1_420_070_400_000_000_001),
                None,
                Some(-2_000_000_001),
                Some(0),
            ])),
        ),
        column("list", Arc::new(list)),
        column("point", Arc::new(point)),
        column("tags", Arc::new(map.finish())),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[test]
fn every_type_reads_back_with_every_codec() {
    let batch = every_type();
    let codecs = [
        None,
        Some(Codec::Zlib),
        Some(Codec::Snappy),
        Some(Codec::Lz4),
        Some(Codec::Zstd),
    ];
    for codec in codecs {
        let back = read_back(encode(std::slice::from_ref(&batch), codec, STRIPE_BYTES));
        assert_eq!(shown(&back), shown(&batch), "{codec:?}");
        // the display shows NULL and "" alike
        let nulls = |b: &RecordBatch| -> Vec<Vec<bool>> {
            b.columns()
                .iter()
                .map(|c| (0..c.len()).map(|i| c.is_null(i)).collect())
                .collect()
        };
        assert_eq!(nulls(&back), nulls(&batch));
        let orc_types: Vec<String> = back
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(orc_types[10], "Decimal128(38, 10)");
        assert_eq!(orc_types[11], "Decimal128(10, 2)");
    }
}

#[test]
fn batches_and_stripes_join_up() {
    // a list of structs holding decimals, many rows with runs and literals, cut into stripes
    let rows = 5_000;
    let inner = Fields::from(vec![Field::new(
        "amount",
        DataType::Decimal128(12, 3),
        true,
    )]);
    let batch = |start: usize| {
        let amounts = Decimal128Array::from_iter(
            (start..start + rows).map(|i| (i % 7 != 0).then_some(i as i128 * 1001 - 9_000)),
        )
        .with_precision_and_scale(12, 3)
        .unwrap();
        let structs = StructArray::new(inner.clone(), vec![Arc::new(amounts)], None);
        let offsets = OffsetBuffer::from_lengths((0..rows / 5).map(|_| 5));
        let item = Arc::new(Field::new("item", DataType::Struct(inner.clone()), true));
        let lists = ListArray::new(item, offsets, Arc::new(structs), None);
        let ids = Int64Array::from_iter_values((start..start + rows / 5).map(|i| (i / 3) as i64));
        let names =
            StringArray::from_iter_values((start..start + rows / 5).map(|i| format!("n{}", i % 4)));
        RecordBatch::try_from_iter([
            ("id", Arc::new(ids) as ArrayRef),
            ("name", Arc::new(names) as ArrayRef),
            ("items", Arc::new(lists) as ArrayRef),
        ])
        .unwrap()
    };
    let batches: Vec<RecordBatch> = (0..4).map(|i| batch(i * rows)).collect();
    // nothing is handed out before the first stripe is written
    let mut encoder = OrcEncoder::new(batches[0].schema(), None).unwrap();
    encoder.write(&batches[0]).unwrap();
    assert!(encoder.take_written().is_empty());
    let file = encode(&batches, Some(Codec::Zlib), 16 * 1024);
    let whole = concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(shown(&read_back(file.clone())), shown(&whole));

    let tail = orc_rust::ArrowReaderBuilder::try_new(Bytes::from(file)).unwrap();
    let meta = tail.file_metadata();
    assert!(
        meta.stripe_metadatas().len() > 1,
        "{} stripes",
        meta.stripe_metadatas().len()
    );
    assert_eq!(meta.number_of_rows(), whole.num_rows() as u64);
}

#[test]
fn files_count_values_and_nulls_per_column() {
    let batch = every_type();
    let encoder = {
        let mut e = OrcEncoder::new(batch.schema(), None).unwrap();
        e.write(&batch).unwrap();
        e.flush_stripe().unwrap();
        e
    };
    let stats = encoder.file_statistics();
    assert_eq!(stats.len(), encoder.types.len());
    // root: 4 rows; flag: 3 values and a null; the list's elements: 4 values, one null
    assert_eq!(
        (stats[0].number_of_values(), stats[0].has_null()),
        (4, false)
    );
    assert_eq!(
        (stats[1].number_of_values(), stats[1].has_null()),
        (3, true)
    );
    let list = 16;
    assert_eq!(encoder.types[list].kind(), proto::r#type::Kind::List);
    let element = encoder.types[list].subtypes[0] as usize;
    assert_eq!(
        (stats[element].number_of_values(), stats[element].has_null()),
        (3, true)
    );
}

#[test]
fn unwritable_types_and_mismatched_batches_are_refused() {
    let writable = |t: DataType| {
        OrcEncoder::new(Arc::new(Schema::new(vec![Field::new("c", t, true)])), None).is_ok()
    };
    assert!(writable(DataType::Decimal128(10, 2)));
    assert!(!writable(DataType::Decimal128(10, -2)));
    assert!(!writable(DataType::UInt32));
    assert!(!writable(DataType::Duration(TimeUnit::Second)));
    assert!(!writable(DataType::List(Arc::new(Field::new(
        "item",
        DataType::Null,
        true
    )))));

    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, true)]));
    let mut encoder = OrcEncoder::new(schema, None).unwrap();
    let other =
        RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])
            .unwrap();
    assert!(matches!(
        encoder.write(&other),
        Err(OrcError::Schema { .. })
    ));

    let schema = Arc::new(Schema::new(vec![Field::new(
        "t",
        DataType::Timestamp(TimeUnit::Millisecond, None),
        true,
    )]));
    let mut encoder = OrcEncoder::new(schema, None).unwrap();
    let early = RecordBatch::try_from_iter([(
        "t",
        Arc::new(datafusion::arrow::array::TimestampMillisecondArray::from(
            vec![-1],
        )) as ArrayRef,
    )])
    .unwrap();
    assert!(matches!(
        encoder.write(&early),
        Err(OrcError::Timestamp(-1, _))
    ));
}

#[test]
fn an_empty_file_has_its_columns_and_no_rows() {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)]));
    let file = OrcEncoder::new(schema, Some(Codec::Snappy))
        .unwrap()
        .finish()
        .unwrap();
    let back = read_back(file);
    assert_eq!(back.num_rows(), 0);
    assert_eq!(back.schema().field(0).name(), "x");
}
