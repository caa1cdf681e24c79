use super::*;

const PARQUET: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
const TEXT: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";

fn col(n: &str, t: &str) -> Column {
    Column {
        name: n.into(),
        type_name: t.into(),
        comment: None,
    }
}

fn table(serde: &str) -> Table {
    let mut t = Table {
        db_name: "d".into(),
        name: "t".into(),
        partition_keys: vec![col("dt", "string")],
        ..Default::default()
    };
    t.sd.columns = vec![col("a", "int"), col("b", "string"), col("c", "double")];
    t.sd.serde.serialization_lib = Some(serde.into());
    if serde == TEXT {
        t.sd.input_format = Some("org.apache.hadoop.mapred.TextInputFormat".into());
    }
    t
}

fn names(t: &Table) -> Vec<&str> {
    t.sd.columns.iter().map(|c| c.name.as_str()).collect()
}

fn change(
    old: &str,
    new: &str,
    type_name: Option<&str>,
    position: Option<Position>,
) -> TableChange {
    TableChange::ChangeColumn {
        old: old.into(),
        new: new.into(),
        type_name: type_name.map(Into::into),
        comment: None,
        position,
    }
}

#[test]
fn change_column_renames_widens_and_moves() {
    let mut t = table(PARQUET);
    let renamed = apply(&mut t, change("A", "id", Some("bigint"), None), "d").unwrap();
    assert!(renamed.is_some_and(|n| n.contains("read as NULL")));
    assert_eq!(names(&t), ["id", "b", "c"]);
    assert_eq!(t.sd.columns[0].type_name, "bigint");
    apply(&mut t, change("c", "c", None, Some(Position::First)), "d").unwrap();
    assert_eq!(names(&t), ["c", "id", "b"]);
    let after = Some(Position::After("b".into()));
    assert_eq!(
        apply(&mut t, change("c", "c", None, after), "d").unwrap(),
        None
    );
    assert_eq!(names(&t), ["id", "b", "c"]);
}

#[test]
fn refused_changes_leave_the_table_as_it_was() {
    let refusals = [
        (change("a", "dt", None, None), "42701"),
        (change("nope", "x", None, None), "42703"),
        (change("dt", "x", None, None), "0A000"),
        (change("b", "b", Some("int"), None), "42804"),
        (change("c", "c", Some("float"), None), "42804"),
        (change("a", "a", Some("map<int,int>"), None), "42804"),
        (
            TableChange::ReplaceColumns(vec![ColumnDef {
                name: "a".into(),
                type_name: "smallint".into(),
                comment: None,
            }]),
            "42804",
        ),
    ];
    for (c, state) in refusals {
        let mut t = table(PARQUET);
        let e = apply(&mut t, c.clone(), "d").unwrap_err();
        assert_eq!(e.sqlstate(), state, "{c:?}: {e}");
        assert_eq!(t, table(PARQUET), "{c:?}");
    }
}

#[test]
fn text_tables_only_gain_columns_at_the_end() {
    for c in [
        change("c", "c", None, Some(Position::First)),
        TableChange::DropColumn {
            name: "b".into(),
            if_exists: false,
        },
        TableChange::ReplaceColumns(vec![ColumnDef {
            name: "a".into(),
            type_name: "int".into(),
            comment: None,
        }]),
    ] {
        let mut t = table(TEXT);
        let e = apply(&mut t, c.clone(), "d").unwrap_err();
        assert!(e.to_string().contains("by position"), "{c:?}: {e}");
    }
    let mut t = table(TEXT);
    assert_eq!(
        apply(&mut t, change("b", "name", None, None), "d").unwrap(),
        None
    );
    let mut p = table(PARQUET);
    let drop = TableChange::DropColumn {
        name: "b".into(),
        if_exists: false,
    };
    apply(&mut p, drop, "d").unwrap();
    assert_eq!(names(&p), ["a", "c"]);
}

#[test]
fn widening_follows_hive() {
    use datafusion::arrow::datatypes::DataType::*;
    assert!(widens(&Int32, &Int64));
    assert!(widens(&Int16, &Decimal128(10, 2)));
    assert!(widens(&Float32, &Float64));
    assert!(widens(&Decimal128(10, 2), &Decimal128(12, 4)));
    assert!(widens(&Date32, &Utf8));
    assert!(!widens(&Int64, &Int32));
    assert!(!widens(&Decimal128(10, 2), &Decimal128(10, 4)));
    assert!(!widens(&Utf8, &Int32));
    assert!(widens(&Float64, &Decimal128(38, 10)));
    assert!(!widens(&Float64, &Float32));
}
