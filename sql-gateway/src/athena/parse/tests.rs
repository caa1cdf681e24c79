use super::*;
use crate::error::Error;

fn ok(sql: &str) -> Statement {
    parse(sql)
        .unwrap()
        .unwrap_or_else(|| panic!("not recognised: {sql}"))
}

#[test]
fn hands_ordinary_sql_to_datafusion() {
    for sql in [
        "select 1",
        "explain select 1",
        "set x = 1",
        "create temporary view v as select 1",
    ] {
        assert_eq!(parse(sql).unwrap(), None, "{sql}");
    }
}

#[test]
fn parses_show_and_describe() {
    assert_eq!(
        ok("SHOW SCHEMAS LIKE 'sa*'"),
        Statement::ShowDatabases {
            like: Some("sa*".into())
        }
    );
    assert_eq!(
        ok("show tables in Sales 'o*'"),
        Statement::ShowTables {
            db: Some("sales".into()),
            like: Some("o*".into())
        }
    );
    assert_eq!(
        ok("SHOW PARTITIONS sales.orders;"),
        Statement::ShowPartitions {
            table: (Some("sales".into()), "orders".into())
        }
    );
    assert_eq!(
        ok("show columns in orders from sales"),
        Statement::ShowColumns {
            table: (Some("sales".into()), "orders".into())
        }
    );
    assert_eq!(
        ok("SHOW TBLPROPERTIES t ('numRows')"),
        Statement::ShowTblProperties {
            table: (None, "t".into()),
            key: Some("numRows".into())
        }
    );
    assert_eq!(
        ok("describe formatted \"Odd\""),
        Statement::Describe {
            table: (None, "Odd".into()),
            formatted: true
        }
    );
}

#[test]
fn create_table_stores_postgresql_type_names_as_hive_names() {
    let sql = "CREATE TABLE s.t (a TIMESTAMP WITHOUT TIME ZONE, b DOUBLE PRECISION,
        c array<double precision>, d CHARACTER VARYING(8) COMMENT 'x', e TEXT, f NUMERIC(5, 1))";
    let Statement::CreateTable(t) = ok(sql) else {
        panic!()
    };
    let types: Vec<_> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "timestamp",
            "double",
            "array<double>",
            "varchar(8)",
            "string",
            "decimal(5,1)"
        ]
    );
    assert_eq!(t.columns[3].comment.as_deref(), Some("x"));
}

#[test]
fn create_table_notes_constraints_it_does_not_keep() {
    let sql = "CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(50) NULL UNIQUE,
        org BIGINT CONSTRAINT fk REFERENCES orgs (id) ON DELETE SET NULL,
        note STRING COMMENT 'n' NOT NULL, PRIMARY KEY (id, name),
        CONSTRAINT o FOREIGN KEY (org) REFERENCES s.orgs (id) MATCH FULL NOT DEFERRABLE)";
    let Statement::CreateTable(t) = ok(sql) else {
        panic!()
    };
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "org", "note"]);
    let types: Vec<_> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(types, ["int", "varchar(50)", "bigint", "string"]);
    assert_eq!(t.columns[3].comment.as_deref(), Some("n"));
    assert_eq!(
        t.constraints,
        [
            "NOT NULL (id)",
            "UNIQUE (name)",
            "FOREIGN KEY (org) REFERENCES orgs (id)",
            "NOT NULL (note)",
            "PRIMARY KEY (id, name)",
            "FOREIGN KEY (org) REFERENCES s.orgs (id)"
        ]
    );
    let hive = "CREATE TABLE t (a int, b string, PRIMARY KEY (a) DISABLE NOVALIDATE RELY)";
    let Statement::CreateTable(t) = ok(hive) else {
        panic!()
    };
    assert_eq!(t.constraints, ["PRIMARY KEY (a)"]);
    let typed = "CREATE TABLE t (a DECIMAL(10,2) NOT NULL, b array<int> NOT NULL,
        c TIMESTAMP(3) WITHOUT TIME ZONE NOT NULL, unique int, \"check\" int)";
    let Statement::CreateTable(t) = ok(typed) else {
        panic!()
    };
    let types: Vec<_> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        ["decimal(10,2)", "array<int>", "timestamp", "int", "int"]
    );
    assert_eq!(t.columns[3].name, "unique");
    assert_eq!(t.constraints.len(), 3);
}

#[test]
fn create_table_refuses_what_would_change_inserts() {
    for sql in [
        "CREATE TABLE t (id SERIAL NOT NULL, PRIMARY KEY (id))",
        "CREATE TABLE t (id BIGSERIAL)",
        "CREATE TABLE t (a int DEFAULT 0)",
        "CREATE TABLE t (a int CHECK (a > 0))",
        "CREATE TABLE t (a int, CHECK (a > 0))",
        "CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY)",
    ] {
        assert!(matches!(parse(sql), Err(Error::Unsupported(_))), "{sql}");
    }
}

#[test]
fn parses_search_path() {
    assert_eq!(ok("SHOW search_path"), Statement::ShowSearchPath);
    assert_eq!(
        ok("SET search_path TO \"$user\", Sales"),
        Statement::SetSchema(vec!["$user".into(), "sales".into()])
    );
    assert_eq!(
        ok("set session search_path = 'a'"),
        Statement::SetSchema(vec!["a".into()])
    );
    assert_eq!(ok("SET SCHEMA 'b'"), Statement::SetSchema(vec!["b".into()]));
    assert_eq!(
        ok("set search_path to default"),
        Statement::SetSchema(vec![])
    );
    assert_eq!(parse("SET datestyle TO ISO").unwrap(), None);
}

#[test]
fn parses_create_index() {
    assert_eq!(
        ok("CREATE INDEX ix_pdt_index ON pdt (index)"),
        Statement::CreateIndex {
            name: Some("ix_pdt_index".into()),
            table: (None, "pdt".into()),
            columns: vec!["index".into()],
        }
    );
    assert_eq!(
        ok(
            "create unique index concurrently if not exists ON only s.t using btree \
            (a text_pattern_ops DESC NULLS LAST, \"B\") include (c) where a > 1"
        ),
        Statement::CreateIndex {
            name: None,
            table: (Some("s".into()), "t".into()),
            columns: vec!["a".into(), "B".into()],
        }
    );
    assert!(matches!(
        parse("create index i on t ((lower(a)))"),
        Err(Error::Syntax(_))
    ));
}

#[test]
fn parses_hive_create_external_table() {
    let sql = "CREATE EXTERNAL TABLE IF NOT EXISTS sales.orders (
        id bigint COMMENT 'key', amount decimal(10, 2), tags array<struct<k:string,v:map<string,int>>>)
      PARTITIONED BY (dt string, hr int)
      ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\\\'
      STORED AS TEXTFILE
      LOCATION 's3://bucket/orders/'
      TBLPROPERTIES ('skip.header.line.count'='1')";
    let Statement::CreateTable(t) = ok(sql) else {
        panic!()
    };
    assert!(t.external && t.if_not_exists);
    assert_eq!(t.name, (Some("sales".into()), "orders".into()));
    let types: Vec<_> = t.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "bigint",
            "decimal(10,2)",
            "array<struct<k:string,v:map<string,int>>>"
        ]
    );
    assert_eq!(t.columns[0].comment.as_deref(), Some("key"));
    assert_eq!(t.partitioned_by.len(), 2);
    assert!(t
        .serde_properties
        .contains(&("field.delim".into(), ",".into())));
    assert_eq!(t.stored_as.as_deref(), Some("textfile"));
    assert_eq!(t.location.as_deref(), Some("s3://bucket/orders/"));
    assert_eq!(
        t.properties,
        vec![("skip.header.line.count".into(), "1".into())]
    );
}

#[test]
fn parses_serde_and_partition_ddl() {
    let Statement::CreateTable(t) = ok("create external table t (a string) row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde' with serdeproperties ('separatorChar'=';') location '/x'") else { panic!() };
    assert_eq!(
        t.serde.as_deref(),
        Some("org.apache.hadoop.hive.serde2.OpenCSVSerde")
    );
    assert_eq!(
        t.serde_properties,
        vec![("separatorChar".into(), ";".into())]
    );
    let add = ok("ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='2024-01-01', hr=3) LOCATION '/d/1' PARTITION (dt='2024-01-02', hr=4)");
    let Statement::AddPartitions {
        if_not_exists,
        parts,
        ..
    } = add
    else {
        panic!()
    };
    assert!(if_not_exists);
    assert_eq!(
        parts[0].0,
        vec![
            ("dt".into(), "2024-01-01".into()),
            ("hr".into(), "3".into())
        ]
    );
    assert_eq!(parts[0].1.as_deref(), Some("/d/1"));
    assert_eq!(parts[1].1, None);
    let drop = ok("alter table t drop if exists partition (dt='a'), partition (dt='b')");
    assert!(
        matches!(drop, Statement::DropPartitions { if_exists: true, ref parts, .. } if parts.len() == 2)
    );
    assert_eq!(
        ok("MSCK REPAIR TABLE db.t SYNC PARTITIONS"),
        Statement::Msck {
            table: (Some("db".into()), "t".into()),
            mode: MsckMode::Sync
        }
    );
    assert_eq!(
        ok("msck repair table t"),
        Statement::Msck {
            table: (None, "t".into()),
            mode: MsckMode::Add
        }
    );
}

#[test]
fn parses_ctas_and_insert() {
    let s = ok("CREATE TABLE db.t WITH (format = 'PARQUET', partitioned_by = ARRAY['dt'], external_location='/o') AS SELECT a, dt FROM src WHERE a > 1");
    let Statement::Ctas {
        table,
        options,
        query,
        ..
    } = s
    else {
        panic!()
    };
    assert_eq!(table, (Some("db".into()), "t".into()));
    assert_eq!(
        options[1],
        (
            "partitioned_by".into(),
            OptionValue::List(vec!["dt".into()])
        )
    );
    assert_eq!(query, "SELECT a, dt FROM src WHERE a > 1");
    let s = ok("insert into db.t select * from x;");
    assert_eq!(
        s,
        Statement::Insert {
            table: (Some("db".into()), "t".into()),
            columns: None,
            query: "select * from x".into()
        }
    );
    assert_eq!(
        ok("insert into t (b, \"A\") values (1, 2)"),
        Statement::Insert {
            table: (None, "t".into()),
            columns: Some(vec!["b".into(), "A".into()]),
            query: "values (1, 2)".into()
        }
    );
    assert_eq!(
        ok("insert into t (select 1) union (select 2)"),
        Statement::Insert {
            table: (None, "t".into()),
            columns: None,
            query: "(select 1) union (select 2)".into()
        }
    );
    assert!(ok("create database if not exists d location '/w/d'").writes());
}

#[test]
fn reports_syntax_errors() {
    for sql in [
        "show partitions",
        "create external table t (a) location '/x'",
        "alter table t add",
        "create table t with (format='x') select 1",
        "drop table t t2",
    ] {
        assert!(matches!(parse(sql), Err(Error::Syntax(_))), "{sql}");
    }
}

fn change(sql: &str) -> (TableChange, bool) {
    match ok(sql) {
        Statement::AlterTable {
            change, cascade, ..
        } => (change, cascade),
        other => panic!("{sql}: {other:?}"),
    }
}

fn col(name: &str, type_name: &str) -> ColumnDef {
    ColumnDef {
        name: name.into(),
        type_name: type_name.into(),
        comment: None,
    }
}

#[test]
fn parses_alter_table_in_hive_and_postgresql_spelling() {
    let added = TableChange::AddColumns {
        columns: vec![col("a", "int"), col("b", "string")],
        if_not_exists: false,
    };
    assert_eq!(
        change("ALTER TABLE s.t ADD COLUMNS (a int, b string) CASCADE"),
        (added, true)
    );
    let pg = TableChange::AddColumns {
        columns: vec![col("note", "string")],
        if_not_exists: true,
    };
    assert_eq!(
        change("alter table t add column if not exists note text"),
        (pg, true),
        "PostgreSQL's spellings change every partition too"
    );
    assert!(!change("alter table t add column n int restrict").1);
    let Statement::AlterTable {
        change: what,
        notes,
        ..
    } = ok("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id)")
    else {
        panic!()
    };
    assert_eq!(
        (what, notes),
        (TableChange::Nothing, vec!["PRIMARY KEY (id)".into()])
    );
    let Statement::AlterTable { notes, .. } = ok("alter table t add c int not null") else {
        panic!()
    };
    assert_eq!(notes, ["NOT NULL (c)"]);
    assert_eq!(
        change("alter table t alter column c drop not null").0,
        TableChange::Nothing
    );
    assert_eq!(
        change("alter table t drop constraint pk").0,
        TableChange::Nothing
    );
    for unsupported in [
        "alter table t set serdeproperties ('a' = 'b')",
        "alter table t owner to bob",
        "alter table t alter c set default 1",
        "alter table t alter c type bigint using c::bigint",
    ] {
        assert!(
            matches!(parse(unsupported), Err(Error::Unsupported(_))),
            "{unsupported}"
        );
    }
    let Statement::AlterTable { change: what, .. } = ok("alter table t add \"partition\" int")
    else {
        panic!()
    };
    assert!(
        matches!(what, TableChange::AddColumns { ref columns, .. } if columns[0].name == "partition")
    );
    assert_eq!(
        change("ALTER TABLE t REPLACE COLUMNS (a bigint)").0,
        TableChange::ReplaceColumns(vec![col("a", "bigint")])
    );
    assert_eq!(
        change("ALTER TABLE t CHANGE COLUMN a b double COMMENT 'x' AFTER c").0,
        change("ALTER TABLE t CHANGE a b double COMMENT 'x' AFTER c").0
    );
    assert_eq!(
        change("ALTER TABLE t CHANGE p p decimal(12,2) FIRST CASCADE"),
        (
            TableChange::ChangeColumn {
                old: "p".into(),
                new: "p".into(),
                type_name: Some("decimal(12,2)".into()),
                comment: None,
                position: Some(Position::First),
            },
            true
        )
    );
    assert_eq!(
        change("ALTER TABLE t CHANGE COLUMN a b double COMMENT 'x' AFTER c").0,
        TableChange::ChangeColumn {
            old: "a".into(),
            new: "b".into(),
            type_name: Some("double".into()),
            comment: Some("x".into()),
            position: Some(Position::After("c".into())),
        }
    );
    assert_eq!(
        change("alter table t alter column a set data type character varying(5)").0,
        TableChange::ChangeColumn {
            old: "a".into(),
            new: "a".into(),
            type_name: Some("varchar(5)".into()),
            comment: None,
            position: None,
        }
    );
    assert!(matches!(
        change("alter table t rename column a to b").0,
        TableChange::ChangeColumn { ref old, ref new, type_name: None, .. } if old == "a" && new == "b"
    ));
    assert_eq!(
        change("alter table t rename to d.u").0,
        TableChange::RenameTo((Some("d".into()), "u".into()))
    );
    assert_eq!(
        change("alter table t drop column if exists a").0,
        TableChange::DropColumn {
            name: "a".into(),
            if_exists: true
        }
    );
    assert_eq!(
        change("ALTER TABLE t SET TBLPROPERTIES ('k' = 'v')").0,
        TableChange::SetProperties(vec![("k".into(), "v".into())])
    );
    assert_eq!(
        change("ALTER TABLE t UNSET TBLPROPERTIES IF EXISTS ('k', 'j')").0,
        TableChange::UnsetProperties {
            keys: vec!["k".into(), "j".into()],
            if_exists: true
        }
    );
    assert_eq!(
        change("ALTER TABLE t PARTITION (dt = '1') SET LOCATION 's3://b/x'").0,
        TableChange::PartitionLocation {
            spec: vec![("dt".into(), "1".into())],
            location: "s3://b/x".into()
        }
    );
    assert!(matches!(
        parse("alter table t partition (dt='1') rename to partition (dt='2')"),
        Err(Error::Unsupported(_))
    ));
}
