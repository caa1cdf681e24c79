//! Recognises the Hive/Athena statements the gateway runs itself against the catalog; every
//! other statement goes to DataFusion.

use datafusion::sql::sqlparser::tokenizer::Token;

use super::cursor::Cursor;
use crate::error::Result;

/// `db.table` with an optional database.
pub(crate) type Name = (Option<String>, String);

/// One column of a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    /// Name (lower case).
    pub name: String,
    /// Hive type text.
    pub type_name: String,
    /// Comment.
    pub comment: Option<String>,
}

/// Storage clauses of `CREATE EXTERNAL TABLE`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CreateTable {
    /// Table name.
    pub name: Name,
    /// `EXTERNAL`.
    pub external: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// Data columns.
    pub columns: Vec<ColumnDef>,
    /// `PARTITIONED BY` columns.
    pub partitioned_by: Vec<ColumnDef>,
    /// `COMMENT`.
    pub comment: Option<String>,
    /// `ROW FORMAT SERDE 'class'`.
    pub serde: Option<String>,
    /// `WITH SERDEPROPERTIES` and `ROW FORMAT DELIMITED` settings.
    pub serde_properties: Vec<(String, String)>,
    /// `STORED AS <format>`.
    pub stored_as: Option<String>,
    /// `STORED AS INPUTFORMAT '..' OUTPUTFORMAT '..'`.
    pub input_output: Option<(String, String)>,
    /// `LOCATION`.
    pub location: Option<String>,
    /// `TBLPROPERTIES`.
    pub properties: Vec<(String, String)>,
    /// The constraints given (`NOT NULL (id)`), which are neither kept nor enforced.
    pub constraints: Vec<String>,
}

/// A partition spec with an optional location.
pub(crate) type PartSpec = (Vec<(String, String)>, Option<String>);

/// MSCK mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsckMode {
    /// Add missing partitions.
    Add,
    /// Drop partitions whose folder is gone.
    Drop,
    /// Both.
    Sync,
}

/// A statement the gateway runs itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    ShowDatabases {
        like: Option<String>,
    },
    ShowTables {
        db: Option<String>,
        like: Option<String>,
    },
    ShowPartitions {
        table: Name,
    },
    ShowCreateTable {
        table: Name,
    },
    ShowTblProperties {
        table: Name,
        key: Option<String>,
    },
    ShowColumns {
        table: Name,
    },
    Describe {
        table: Name,
        formatted: bool,
    },
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: Option<String>,
        location: Option<String>,
        properties: Vec<(String, String)>,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        table: Name,
        if_exists: bool,
    },
    AddPartitions {
        table: Name,
        if_not_exists: bool,
        parts: Vec<PartSpec>,
    },
    DropPartitions {
        table: Name,
        if_exists: bool,
        parts: Vec<Vec<(String, String)>>,
    },
    Msck {
        table: Name,
        mode: MsckMode,
    },
    /// `CREATE TABLE t [WITH (...)] AS <query>`.
    Ctas {
        table: Name,
        if_not_exists: bool,
        options: Vec<(String, OptionValue)>,
        query: String,
    },
    /// `INSERT INTO t [(column, ...)] <query>`.
    Insert {
        table: Name,
        /// The listed columns, which the query's columns fill by position; `None` for all,
        /// in table order.
        columns: Option<Vec<String>>,
        query: String,
    },
    /// `ALTER TABLE` other than adding and dropping partitions; `cascade` applies column
    /// changes to every partition's own columns too (Hive's `CASCADE`); `notes` describes
    /// constraints given, which are not kept.
    AlterTable {
        table: Name,
        change: TableChange,
        cascade: bool,
        notes: Vec<String>,
    },
    /// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(column, ...)] AS <query>`, kept in
    /// the catalog.
    CreateView {
        name: Name,
        or_replace: bool,
        if_not_exists: bool,
        columns: Option<Vec<String>>,
        query: String,
    },
    DropView {
        name: Name,
        if_exists: bool,
    },
    /// `CREATE [UNIQUE] INDEX`: checked against the table, then reported as not kept.
    CreateIndex {
        name: Option<String>,
        table: Name,
        columns: Vec<String>,
    },
    /// `SHOW search_path`: the current schema.
    ShowSearchPath,
    /// `SET search_path TO a, b` / `SET SCHEMA 'a'`: the current schema becomes the first
    /// that exists.
    SetSchema(Vec<String>),
    /// A session command accepted without effect (`DISCARD ALL`, `SAVEPOINT s`); the tag.
    Accept(&'static str),
    /// `SHOW <setting>` of a server setting clients check.
    ShowSetting(&'static str),
}

/// Server settings answered by the gateway itself, with their values.
pub(crate) const SETTINGS: &[(&str, &str)] = &[
    ("server_version", crate::PG_SERVER_VERSION),
    ("server_version_num", "160006"),
    ("standard_conforming_strings", "on"),
    ("integer_datetimes", "on"),
    ("server_encoding", "UTF8"),
    ("client_encoding", "UTF8"),
];

/// A CTAS `WITH` option value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OptionValue {
    /// A string, number or word.
    Single(String),
    /// `ARRAY['a', 'b']`.
    List(Vec<String>),
}

impl Statement {
    /// Whether the statement changes the catalog or data.
    pub(crate) fn writes(&self) -> bool {
        !matches!(
            self,
            Statement::ShowDatabases { .. }
                | Statement::ShowTables { .. }
                | Statement::ShowPartitions { .. }
                | Statement::ShowCreateTable { .. }
                | Statement::ShowTblProperties { .. }
                | Statement::ShowColumns { .. }
                | Statement::Describe { .. }
                | Statement::Accept(_)
                | Statement::SetSchema(_)
                | Statement::ShowSearchPath
                | Statement::ShowSetting(_)
        )
    }
}

/// Parses `sql` if it is one of the gateway's own statements; `Ok(None)` hands it to
/// DataFusion.
pub(crate) fn parse(sql: &str) -> Result<Option<Statement>> {
    // Text the Hive tokenizer refuses (`$$...$$`, `E'...'`) is not ours: DataFusion reads it.
    let Ok(mut c) = Cursor::new(sql) else {
        return Ok(None);
    };
    let stmt = if c.keyword("show") {
        show(&mut c)?
    } else if c.keyword("describe") || c.keyword("desc") {
        let formatted = c.keyword("formatted") || c.keyword("extended");
        let _ = c.keyword("table");
        Some(Statement::Describe {
            table: c.object_name()?,
            formatted,
        })
    } else if c.keywords(&["msck", "repair", "table"]) {
        let table = c.object_name()?;
        let mode = if c.keyword("add") {
            MsckMode::Add
        } else if c.keyword("drop") {
            MsckMode::Drop
        } else if c.keyword("sync") {
            MsckMode::Sync
        } else {
            MsckMode::Add
        };
        let _ = c.keyword("partitions");
        Some(Statement::Msck { table, mode })
    } else if c.keyword("discard") {
        let _ = c.rest();
        Some(Statement::Accept("DISCARD ALL"))
    } else if c.keyword("deallocate") {
        let _ = c.rest();
        Some(Statement::Accept("DEALLOCATE"))
    } else if c.keyword("savepoint") {
        let _ = c.rest();
        Some(Statement::Accept("SAVEPOINT"))
    } else if c.keyword("release") {
        let _ = c.rest();
        Some(Statement::Accept("RELEASE"))
    } else if c.keywords(&["rollback", "to"]) {
        let _ = c.rest();
        Some(Statement::Accept("ROLLBACK"))
    } else if c.keyword("set") {
        set_schema(&mut c)?
    } else if c.keyword("create") {
        create(&mut c)?
    } else if c.keyword("drop") {
        drop(&mut c)?
    } else if c.keywords(&["alter", "table"]) {
        Some(alter::alter(&mut c)?)
    } else if c.keywords(&["insert", "into"]) {
        let _ = c.keyword("table");
        let table = c.object_name()?;
        let (columns, query) = insert_columns(&mut c)?;
        Some(Statement::Insert {
            table,
            columns,
            query,
        })
    } else {
        None
    };
    match stmt {
        Some(stmt) => {
            c.expect_end()?;
            Ok(Some(stmt))
        }
        None => select_into::parse(sql),
    }
}

/// `SET [SESSION | LOCAL] search_path {TO | =} name, ...` or `SET SCHEMA 'name'`; other
/// settings are DataFusion's (`None`).
fn set_schema(c: &mut Cursor) -> Result<Option<Statement>> {
    let _ = c.keyword("session") || c.keyword("local");
    if c.keyword("schema") {
        return Ok(Some(Statement::SetSchema(vec![c.string()?])));
    }
    if !c.keyword("search_path") {
        return Ok(None);
    }
    if !c.keyword("to") {
        c.expect(&Token::Eq)?;
    }
    if c.keyword("default") {
        return Ok(Some(Statement::SetSchema(vec![])));
    }
    let mut names = Vec::new();
    loop {
        names.push(match c.peek() {
            Some(Token::SingleQuotedString(_)) => c.string()?,
            _ => c.ident()?,
        });
        if !c.token(&Token::Comma) {
            return Ok(Some(Statement::SetSchema(names)));
        }
    }
}

/// An INSERT's optional column list and its query. `(` may also open a parenthesized query.
fn insert_columns(c: &mut Cursor) -> Result<(Option<Vec<String>>, String)> {
    if !c.token(&Token::LParen) {
        return Ok((None, c.rest()));
    }
    let starts_query = ["select", "with", "values", "table"]
        .iter()
        .any(|k| c.at_keyword(k));
    if starts_query || matches!(c.peek(), Some(Token::LParen)) {
        return Ok((None, format!("({}", c.rest())));
    }
    let mut columns = vec![c.ident()?];
    while c.token(&Token::Comma) {
        columns.push(c.ident()?);
    }
    c.expect(&Token::RParen)?;
    Ok((Some(columns), c.rest()))
}

fn like(c: &mut Cursor) -> Result<Option<String>> {
    if c.keyword("like") || matches!(c.peek(), Some(Token::SingleQuotedString(_))) {
        return Ok(Some(c.string()?));
    }
    Ok(None)
}

fn show(c: &mut Cursor) -> Result<Option<Statement>> {
    Ok(Some(if c.keyword("databases") || c.keyword("schemas") {
        Statement::ShowDatabases { like: like(c)? }
    } else if c.keyword("tables") {
        let db = if c.keyword("in") || c.keyword("from") {
            Some(c.ident()?)
        } else {
            None
        };
        Statement::ShowTables { db, like: like(c)? }
    } else if c.keyword("partitions") {
        Statement::ShowPartitions {
            table: c.object_name()?,
        }
    } else if c.keywords(&["create", "table"]) {
        Statement::ShowCreateTable {
            table: c.object_name()?,
        }
    } else if c.keyword("tblproperties") {
        let table = c.object_name()?;
        let key = if c.token(&Token::LParen) {
            let k = c.string()?;
            c.expect(&Token::RParen)?;
            Some(k)
        } else {
            None
        };
        Statement::ShowTblProperties { table, key }
    } else if c.keyword("columns") {
        if !(c.keyword("in") || c.keyword("from")) {
            return Err(c.error("IN or FROM"));
        }
        let (mut db, name) = c.object_name()?;
        if c.keyword("in") || c.keyword("from") {
            db = Some(c.ident()?);
        }
        Statement::ShowColumns { table: (db, name) }
    } else if c.keyword("search_path") {
        Statement::ShowSearchPath
    } else {
        if let Some(Token::Word(w)) = c.peek() {
            let name = w.value.to_lowercase();
            if let Some((setting, _)) = SETTINGS.iter().find(|(s, _)| *s == name) {
                c.ident()?;
                return Ok(Some(Statement::ShowSetting(setting)));
            }
        }
        return Ok(None);
    }))
}

fn create(c: &mut Cursor) -> Result<Option<Statement>> {
    if c.keyword("database") || c.keyword("schema") {
        let if_not_exists = c.keywords(&["if", "not", "exists"]);
        let name = c.ident()?;
        let (mut comment, mut location, mut properties) = (None, None, vec![]);
        loop {
            if c.keyword("comment") {
                comment = Some(c.string()?);
            } else if c.keyword("location") {
                location = Some(c.string()?);
            } else if c.keywords(&["with", "dbproperties"]) {
                properties = c.string_pairs()?;
            } else {
                break;
            }
        }
        return Ok(Some(Statement::CreateDatabase {
            name,
            if_not_exists,
            comment,
            location,
            properties,
        }));
    }
    let or_replace = c.keywords(&["or", "replace"]);
    if c.keyword("view") {
        return view(c, or_replace).map(Some);
    }
    if or_replace {
        return Ok(None);
    }
    if c.keywords(&["unique", "index"]) || c.keyword("index") {
        return index(c).map(Some);
    }
    let external = c.keyword("external");
    if !c.keyword("table") {
        return Ok(None);
    }
    let if_not_exists = c.keywords(&["if", "not", "exists"]);
    let name = c.object_name()?;
    if matches!(c.peek(), Some(Token::LParen)) {
        let mut t = CreateTable {
            name,
            external,
            if_not_exists,
            ..Default::default()
        };
        t.columns = columns(c, &mut t.constraints)?;
        table_clauses(c, &mut t)?;
        return Ok(Some(Statement::CreateTable(Box::new(t))));
    }
    let mut options = Vec::new();
    if c.keyword("with") {
        options = ctas_options(c)?;
    }
    c.expect_keyword("as")?;
    Ok(Some(Statement::Ctas {
        table: name,
        if_not_exists,
        options,
        query: c.rest(),
    }))
}

/// The rest of `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(column, ...)] AS <query>`.
fn view(c: &mut Cursor, or_replace: bool) -> Result<Statement> {
    let if_not_exists = c.keywords(&["if", "not", "exists"]);
    let name = c.object_name()?;
    let mut columns = None;
    if c.token(&Token::LParen) {
        let mut names = vec![c.ident()?];
        while c.token(&Token::Comma) {
            names.push(c.ident()?);
        }
        c.expect(&Token::RParen)?;
        columns = Some(names);
    }
    c.expect_keyword("as")?;
    Ok(Statement::CreateView {
        name,
        or_replace,
        if_not_exists,
        columns,
        query: c.rest(),
    })
}

/// The rest of `CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table
/// [USING method] (column [opclass] [ASC|DESC] [NULLS FIRST|LAST], ...) [INCLUDE ...] [WHERE
/// ...]`, as pandas' `to_sql` and ORMs send it. Only plain columns are accepted.
fn index(c: &mut Cursor) -> Result<Statement> {
    let _ = c.keyword("concurrently");
    let _ = c.keywords(&["if", "not", "exists"]);
    let name = if c.keyword("on") {
        None
    } else {
        let name = c.ident()?;
        c.expect_keyword("on")?;
        Some(name)
    };
    let _ = c.keyword("only");
    let table = c.object_name()?;
    if c.keyword("using") {
        c.ident()?;
    }
    c.expect(&Token::LParen)?;
    let mut columns = Vec::new();
    loop {
        columns.push(c.ident()?);
        // An operator class, the order and where NULLs sort: nothing to keep.
        while matches!(c.peek(), Some(Token::Word(_))) {
            c.ident()?;
        }
        if !c.token(&Token::Comma) {
            break;
        }
    }
    c.expect(&Token::RParen)?;
    // INCLUDE, WITH (...), TABLESPACE and WHERE describe the index, which is not kept.
    let _ = c.rest();
    Ok(Statement::CreateIndex {
        name,
        table,
        columns,
    })
}

/// A parenthesized column list; its constraints, which Lakehive does not keep, are described
/// in `notes`.
fn columns(c: &mut Cursor, notes: &mut Vec<String>) -> Result<Vec<ColumnDef>> {
    c.expect(&Token::LParen)?;
    let mut out = Vec::new();
    loop {
        if let Some(constraint) = constraints::table(c)? {
            notes.push(constraint);
            if !c.token(&Token::Comma) {
                break;
            }
            continue;
        }
        out.push(column_def(c, notes)?);
        if !c.token(&Token::Comma) {
            break;
        }
    }
    c.expect(&Token::RParen)?;
    Ok(out)
}

/// `name type [constraints] [COMMENT '...'] [constraints]`; the constraints are described in
/// `notes`.
fn column_def(c: &mut Cursor, notes: &mut Vec<String>) -> Result<ColumnDef> {
    let name = c.ident()?;
    let type_name = c.column_type()?;
    constraints::check_type(&name, &type_name)?;
    constraints::column(c, &name, notes)?;
    let comment = if c.keyword("comment") {
        Some(c.string()?)
    } else {
        None
    };
    constraints::column(c, &name, notes)?;
    Ok(ColumnDef {
        name,
        type_name,
        comment,
    })
}

fn table_clauses(c: &mut Cursor, t: &mut CreateTable) -> Result<()> {
    loop {
        if c.keyword("comment") {
            t.comment = Some(c.string()?);
        } else if c.keywords(&["partitioned", "by"]) {
            t.partitioned_by = columns(c, &mut t.constraints)?;
        } else if c.keywords(&["row", "format", "serde"]) {
            t.serde = Some(c.string()?);
            if c.keywords(&["with", "serdeproperties"]) {
                t.serde_properties.extend(c.string_pairs()?);
            }
        } else if c.keywords(&["row", "format", "delimited"]) {
            delimited(c, t)?;
        } else if c.keywords(&["stored", "as", "inputformat"]) {
            let input = c.string()?;
            c.expect_keyword("outputformat")?;
            t.input_output = Some((input, c.string()?));
        } else if c.keywords(&["stored", "as"]) {
            t.stored_as = Some(c.ident()?);
        } else if c.keyword("location") {
            t.location = Some(c.string()?);
        } else if c.keyword("tblproperties") {
            t.properties = c.string_pairs()?;
        } else if c.at_end() {
            return Ok(());
        } else {
            return Err(c.error(
                "a table clause (PARTITIONED BY, ROW FORMAT, STORED AS, LOCATION, TBLPROPERTIES)",
            ));
        }
    }
}

fn delimited(c: &mut Cursor, t: &mut CreateTable) -> Result<()> {
    loop {
        let key = if c.keywords(&["fields", "terminated", "by"]) {
            "field.delim"
        } else if c.keywords(&["escaped", "by"]) {
            "escape.delim"
        } else if c.keywords(&["collection", "items", "terminated", "by"]) {
            "collection.delim"
        } else if c.keywords(&["map", "keys", "terminated", "by"]) {
            "mapkey.delim"
        } else if c.keywords(&["lines", "terminated", "by"]) {
            "line.delim"
        } else if c.keywords(&["null", "defined", "as"]) {
            "serialization.null.format"
        } else {
            return Ok(());
        };
        let v = c.string()?;
        if key == "field.delim" {
            t.serde_properties
                .push(("serialization.format".into(), v.clone()));
        }
        t.serde_properties.push((key.into(), v));
    }
}

fn ctas_options(c: &mut Cursor) -> Result<Vec<(String, OptionValue)>> {
    c.expect(&Token::LParen)?;
    let mut out = Vec::new();
    loop {
        let key = c.ident()?;
        c.expect(&Token::Eq)?;
        let value = if c.keyword("array") {
            c.expect(&Token::LBracket)?;
            let mut items = Vec::new();
            if !c.token(&Token::RBracket) {
                loop {
                    items.push(c.value()?);
                    if !c.token(&Token::Comma) {
                        break;
                    }
                }
                c.expect(&Token::RBracket)?;
            }
            OptionValue::List(items)
        } else {
            OptionValue::Single(c.value()?)
        };
        out.push((key, value));
        if !c.token(&Token::Comma) {
            break;
        }
    }
    c.expect(&Token::RParen)?;
    Ok(out)
}

fn drop(c: &mut Cursor) -> Result<Option<Statement>> {
    if c.keyword("database") || c.keyword("schema") {
        let if_exists = c.keywords(&["if", "exists"]);
        let name = c.ident()?;
        let cascade = c.keyword("cascade");
        if !cascade {
            let _ = c.keyword("restrict");
        }
        return Ok(Some(Statement::DropDatabase {
            name,
            if_exists,
            cascade,
        }));
    }
    if c.keyword("view") {
        let if_exists = c.keywords(&["if", "exists"]);
        let name = c.object_name()?;
        let _ = c.keyword("cascade") || c.keyword("restrict");
        return Ok(Some(Statement::DropView { name, if_exists }));
    }
    if c.keyword("table") {
        let if_exists = c.keywords(&["if", "exists"]);
        let table = c.object_name()?;
        let _ = c.keyword("purge");
        return Ok(Some(Statement::DropTable { table, if_exists }));
    }
    Ok(None)
}

mod alter;
mod constraints;
mod select_into;
pub(crate) use alter::{Position, TableChange};
#[cfg(test)]
mod tests;
