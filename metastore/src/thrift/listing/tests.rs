//! The streamed listings must put the same bytes on the wire as the generated processor, for
//! results and for errors alike.

use std::io::Cursor;
use std::sync::Arc;

use thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TListIdentifier,
    TOutputProtocol, TStructIdentifier, TType,
};
use thrift_idl::hms::TThriftHiveMetastoreProcessFunctions as Generated;

use super::*;
use crate::model::{Column, Table};
use crate::store::{LocalCatalog, LocalConfig};

fn column(name: &str, type_name: &str) -> Column {
    Column {
        name: name.into(),
        type_name: type_name.into(),
        comment: None,
    }
}

/// `default.t` (keys a string, b int) with a partition on the table's descriptor, one at
/// another location with parameters, and one with its own descriptor.
fn catalog(dir: &std::path::Path) -> Arc<LocalCatalog> {
    let cat = LocalCatalog::open(&LocalConfig::under(dir)).unwrap();
    let mut table = Table {
        db_name: "default".into(),
        name: "t".into(),
        partition_keys: vec![column("a", "string"), column("b", "int")],
        ..Default::default()
    };
    table.sd.columns = vec![column("id", "bigint"), column("note", "string")];
    table.sd.location = Some("file:/w/t".into());
    table.sd.input_format = Some("parquet.In".into());
    table.sd.serde.parameters = [("serialization.format".into(), "1".into())].into();
    cat.create_table_sync(table.clone()).unwrap();
    let part = |a: &str, b: &str| Partition {
        values: vec![a.into(), b.into()],
        create_time: 1_700_000_000,
        sd: StorageDescriptor {
            location: Some(format!("file:/w/t/a={a}/b={b}")),
            ..table.sd.clone()
        },
        ..Default::default()
    };
    let mut moved = part("x/y", "2");
    moved.sd.location = Some("s3://elsewhere/p".into());
    moved.parameters = [("numRows".into(), "10".into())].into();
    let mut own = part("z", "3");
    own.sd.input_format = Some("orc.In".into());
    cat.add_partitions_sync("default", "t", vec![part("w", "1"), moved, own], false)
        .unwrap();
    Arc::new(cat)
}

/// A call's argument struct: string, i16 and list-of-string fields by id.
fn args(strings: &[(i16, &str)], shorts: &[(i16, i16)], lists: &[(i16, &[&str])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut o = TBinaryOutputProtocol::new(&mut out, true);
    o.write_struct_begin(&TStructIdentifier::new("args"))
        .unwrap();
    for (id, s) in strings {
        o.write_field_begin(&TFieldIdentifier::new("s", TType::String, *id))
            .unwrap();
        o.write_string(s).unwrap();
        o.write_field_end().unwrap();
    }
    for (id, v) in shorts {
        o.write_field_begin(&TFieldIdentifier::new("n", TType::I16, *id))
            .unwrap();
        o.write_i16(*v).unwrap();
        o.write_field_end().unwrap();
    }
    for (id, items) in lists {
        o.write_field_begin(&TFieldIdentifier::new("l", TType::List, *id))
            .unwrap();
        o.write_list_begin(&TListIdentifier::new(TType::String, items.len() as i32))
            .unwrap();
        for item in *items {
            o.write_string(item).unwrap();
        }
        o.write_list_end().unwrap();
        o.write_field_end().unwrap();
    }
    o.write_field_stop().unwrap();
    o.write_struct_end().unwrap();
    out
}

type GeneratedFn =
    fn(&Handler, i32, &mut dyn TInputProtocol, &mut dyn TOutputProtocol) -> thrift::Result<()>;

/// The reply bytes of the streamed path and of the generated processor for one call.
fn both(listing: Listing, generated: GeneratedFn, call: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let handler = Handler::new(catalog(dir.path()), rt.handle().clone());
    let mut ours = Vec::new();
    let mut i = TBinaryInputProtocol::new(Cursor::new(call.to_vec()), true);
    serve(
        listing,
        &handler,
        7,
        &mut i,
        &mut TBinaryOutputProtocol::new(&mut ours, true),
    )
    .unwrap();
    let mut theirs = Vec::new();
    let mut i = TBinaryInputProtocol::new(Cursor::new(call.to_vec()), true);
    generated(
        &handler,
        7,
        &mut i,
        &mut TBinaryOutputProtocol::new(&mut theirs, true),
    )
    .unwrap();
    (ours, theirs)
}

#[test]
fn full_listings_match_the_generated_bytes() {
    let call = args(&[(1, "default"), (2, "t")], &[(3, -1)], &[]);
    let (ours, theirs) = both(Listing::All, Generated::process_get_partitions, &call);
    assert_eq!(ours, theirs);
    assert!(
        ours.windows(9).any(|w| w == b"s3://else"),
        "the moved location is sent"
    );
    assert!(
        ours.windows(6).any(|w| w == b"orc.In"),
        "the own descriptor is sent"
    );

    let call = args(
        &[(1, "DEFAULT"), (2, "t"), (4, "me")],
        &[(3, 2)],
        &[(5, &["users"])],
    );
    let (ours, theirs) = both(
        Listing::AllWithAuth,
        Generated::process_get_partitions_with_auth,
        &call,
    );
    assert_eq!(ours, theirs);
}

#[test]
fn filtered_listings_and_their_errors_match_the_generated_bytes() {
    let by_filter = |filter: &str| args(&[(1, "default"), (2, "t"), (3, filter)], &[(4, -1)], &[]);
    for filter in ["b > 1", "a = \"w\"", "nope = 1", "b >"] {
        let (ours, theirs) = both(
            Listing::ByFilter,
            Generated::process_get_partitions_by_filter,
            &by_filter(filter),
        );
        assert_eq!(ours, theirs, "filter {filter:?}");
    }
}

#[test]
fn a_missing_table_is_the_declared_exception() {
    let call = args(&[(1, "default"), (2, "missing")], &[(3, -1)], &[]);
    let (ours, theirs) = both(Listing::All, Generated::process_get_partitions, &call);
    assert_eq!(ours, theirs);
    assert!(ours.windows(7).any(|w| w == b"missing"));
}

#[test]
fn listings_by_values_and_names_match_the_generated_bytes() {
    for values in [&["x/y"][..], &["", "3"], &["w", "1", "extra"]] {
        let call = args(&[(1, "default"), (2, "t")], &[(4, -1)], &[(3, values)]);
        let (ours, theirs) = both(Listing::Values, Generated::process_get_partitions_ps, &call);
        assert_eq!(ours, theirs, "values {values:?}");
        let call = args(
            &[(1, "default"), (2, "t"), (5, "me")],
            &[(4, 1)],
            &[(3, values), (6, &["users"])],
        );
        let (ours, theirs) = both(
            Listing::ValuesWithAuth,
            Generated::process_get_partitions_ps_with_auth,
            &call,
        );
        assert_eq!(ours, theirs, "values {values:?} with auth");
    }
    let names: &[&str] = &["a=z/b=3", "a=x%2Fy/b=2", "a=nope/b=9"];
    let call = args(&[(1, "default"), (2, "t")], &[], &[(3, names)]);
    let (ours, theirs) = both(
        Listing::ByNames,
        Generated::process_get_partitions_by_names,
        &call,
    );
    assert_eq!(ours, theirs);
    assert!(ours.windows(6).any(|w| w == b"orc.In"), "a=z/b=3 is found");
}
