//! `ALTER TABLE`, in Hive/Athena's spelling (`ADD COLUMNS (...)`, `REPLACE COLUMNS`, `CHANGE
//! COLUMN`, `SET TBLPROPERTIES`, `SET LOCATION`, partitions) and PostgreSQL's (`ADD COLUMN`,
//! `DROP COLUMN`, `RENAME COLUMN`, `ALTER COLUMN ... TYPE`), as Alembic and people write it.

use datafusion::sql::sqlparser::tokenizer::Token;

use super::super::cursor::Cursor;
use super::{column_def, columns, constraints, ColumnDef, Name, Statement};
use crate::error::{Error, Result};

/// A change to a table's definition (not its partitions).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TableChange {
    /// Columns appended after the existing data columns.
    AddColumns {
        columns: Vec<ColumnDef>,
        /// PostgreSQL's `ADD COLUMN IF NOT EXISTS`: a column of that name is left alone.
        if_not_exists: bool,
    },
    /// Every data column replaced (Hive's way to drop columns).
    ReplaceColumns(Vec<ColumnDef>),
    /// One column renamed, retyped, commented or moved.
    ChangeColumn {
        old: String,
        new: String,
        /// The new type (Hive type text); `None` keeps it.
        type_name: Option<String>,
        /// The new comment; `None` keeps it.
        comment: Option<String>,
        /// `FIRST` or `AFTER column`.
        position: Option<Position>,
    },
    /// Nothing to change: a constraint added or dropped, which Lakehive does not keep.
    Nothing,
    /// PostgreSQL's `DROP COLUMN`.
    DropColumn {
        name: String,
        if_exists: bool,
    },
    /// `RENAME TO [db.]name`.
    RenameTo(Name),
    SetProperties(Vec<(String, String)>),
    UnsetProperties {
        keys: Vec<String>,
        if_exists: bool,
    },
    SetLocation(String),
    /// `PARTITION (k = v, ...) SET LOCATION '...'`.
    PartitionLocation {
        spec: Vec<(String, String)>,
        location: String,
    },
}

/// Where `CHANGE COLUMN` moves a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Position {
    First,
    After(String),
}

/// What follows `ALTER TABLE`.
pub(super) fn alter(c: &mut Cursor) -> Result<Statement> {
    let table = c.object_name()?;
    let mut notes = Vec::new();
    // PostgreSQL has no CASCADE for columns: its spellings carry a change to every partition,
    // so rows appended to an old partition keep the new column in every engine.
    let mut cascade = false;
    let change = if c.keyword("add") {
        if let Some(stmt) = add_partitions(c, &table)? {
            return Ok(stmt);
        }
        if let Some(constraint) = constraints::table(c)? {
            notes.push(constraint);
            TableChange::Nothing
        } else if c.keyword("columns") {
            TableChange::AddColumns {
                columns: columns(c, &mut notes)?,
                if_not_exists: false,
            }
        } else {
            let _ = c.keyword("column");
            cascade = true;
            let if_not_exists = c.keywords(&["if", "not", "exists"]);
            TableChange::AddColumns {
                columns: vec![column_def(c, &mut notes)?],
                if_not_exists,
            }
        }
    } else if c.keyword("drop") {
        if let Some(stmt) = drop_partitions(c, &table)? {
            return Ok(stmt);
        }
        if c.keyword("constraint") {
            let _ = c.keywords(&["if", "exists"]);
            notes.push(format!("DROP CONSTRAINT {}", c.ident()?));
            let _ = c.keyword("cascade") || c.keyword("restrict");
            TableChange::Nothing
        } else {
            let _ = c.keyword("column");
            cascade = true;
            let if_exists = c.keywords(&["if", "exists"]);
            TableChange::DropColumn {
                name: c.ident()?,
                if_exists,
            }
        }
    } else if c.keywords(&["replace", "columns"]) {
        TableChange::ReplaceColumns(columns(c, &mut notes)?)
    } else if c.keyword("change") {
        change_column(c)?
    } else if c.keyword("alter") {
        cascade = true;
        alter_column(c, &mut notes)?
    } else if c.keyword("rename") {
        cascade = true;
        rename(c)?
    } else if c.keywords(&["set", "tblproperties"]) {
        TableChange::SetProperties(c.string_pairs()?)
    } else if c.keywords(&["unset", "tblproperties"]) {
        unset_properties(c)?
    } else if c.keywords(&["set", "location"]) {
        TableChange::SetLocation(c.string()?)
    } else if c.at_keyword("partition") {
        let spec = spec(c)?;
        if !c.keywords(&["set", "location"]) {
            return Err(Error::Unsupported(
                "ALTER TABLE ... PARTITION other than SET LOCATION".into(),
            ));
        }
        TableChange::PartitionLocation {
            spec,
            location: c.string()?,
        }
    } else {
        return Err(Error::Unsupported(format!(
            "ALTER TABLE {}",
            c.rest()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        )));
    };
    // Hive's CASCADE / RESTRICT after column changes.
    if c.keyword("cascade") {
        cascade = true;
    } else if c.keyword("restrict") {
        cascade = false;
    }
    Ok(Statement::AlterTable {
        table,
        change,
        cascade,
        notes,
    })
}

/// PostgreSQL's `ALTER [COLUMN] c TYPE t` / `SET DATA TYPE t`, and `SET/DROP NOT NULL`, which
/// Lakehive notes but does not keep.
fn alter_column(c: &mut Cursor, notes: &mut Vec<String>) -> Result<TableChange> {
    let _ = c.keyword("column");
    let name = c.ident()?;
    if c.keywords(&["set", "not", "null"]) || c.keywords(&["drop", "not", "null"]) {
        notes.push(format!("NOT NULL ({name})"));
        return Ok(TableChange::Nothing);
    }
    let retype = if c.keyword("set") {
        c.keywords(&["data", "type"])
    } else {
        c.keyword("type")
    };
    if !retype {
        return Err(Error::Unsupported(format!(
            "ALTER COLUMN {name} other than TYPE or SET/DROP NOT NULL (no defaults are kept)"
        )));
    }
    let type_name = Some(c.column_type()?);
    if c.keyword("using") {
        return Err(Error::Unsupported(
            "ALTER COLUMN ... TYPE ... USING: files are not rewritten".into(),
        ));
    }
    Ok(TableChange::ChangeColumn {
        old: name.clone(),
        new: name,
        type_name,
        comment: None,
        position: None,
    })
}

/// `UNSET TBLPROPERTIES [IF EXISTS] ('k', ...)`.
fn unset_properties(c: &mut Cursor) -> Result<TableChange> {
    let if_exists = c.keywords(&["if", "exists"]);
    c.expect(&Token::LParen)?;
    let mut keys = vec![c.string()?];
    while c.token(&Token::Comma) {
        keys.push(c.string()?);
    }
    c.expect(&Token::RParen)?;
    Ok(TableChange::UnsetProperties { keys, if_exists })
}

/// `ADD [IF NOT EXISTS] PARTITION (...) [LOCATION '...'] ...`; `None` (nothing consumed)
/// when a column follows instead.
fn add_partitions(c: &mut Cursor, table: &Name) -> Result<Option<Statement>> {
    let save = c.position();
    let if_not_exists = c.keywords(&["if", "not", "exists"]);
    if !c.at_keyword("partition") {
        c.rewind(save);
        return Ok(None);
    }
    let mut parts = Vec::new();
    while c.at_keyword("partition") {
        let values = spec(c)?;
        let location = if c.keyword("location") {
            Some(c.string()?)
        } else {
            None
        };
        parts.push((values, location));
    }
    Ok(Some(Statement::AddPartitions {
        table: table.clone(),
        if_not_exists,
        parts,
    }))
}

/// `DROP [IF EXISTS] PARTITION (...), PARTITION (...) [PURGE]`; `None` (nothing consumed)
/// when a column follows instead.
fn drop_partitions(c: &mut Cursor, table: &Name) -> Result<Option<Statement>> {
    let save = c.position();
    let if_exists = c.keywords(&["if", "exists"]);
    if !c.at_keyword("partition") {
        c.rewind(save);
        return Ok(None);
    }
    let mut parts = vec![spec(c)?];
    while c.token(&Token::Comma) {
        parts.push(spec(c)?);
    }
    let _ = c.keyword("purge");
    Ok(Some(Statement::DropPartitions {
        table: table.clone(),
        if_exists,
        parts,
    }))
}

/// `CHANGE [COLUMN] old new type [COMMENT '...'] [FIRST | AFTER column]`.
fn change_column(c: &mut Cursor) -> Result<TableChange> {
    let _ = c.keyword("column");
    let old = c.ident()?;
    let new = c.ident()?;
    let type_name = Some(c.column_type()?);
    let comment = if c.keyword("comment") {
        Some(c.string()?)
    } else {
        None
    };
    let position = if c.keyword("first") {
        Some(Position::First)
    } else if c.keyword("after") {
        Some(Position::After(c.ident()?))
    } else {
        None
    };
    Ok(TableChange::ChangeColumn {
        old,
        new,
        type_name,
        comment,
        position,
    })
}

/// `RENAME TO [db.]name` or PostgreSQL's `RENAME [COLUMN] a TO b`.
fn rename(c: &mut Cursor) -> Result<TableChange> {
    if c.keyword("to") {
        return Ok(TableChange::RenameTo(c.object_name()?));
    }
    let _ = c.keyword("column");
    let old = c.ident()?;
    c.expect_keyword("to")?;
    Ok(TableChange::ChangeColumn {
        old,
        new: c.ident()?,
        type_name: None,
        comment: None,
        position: None,
    })
}

/// `PARTITION (k = v, ...)`.
pub(super) fn spec(c: &mut Cursor) -> Result<Vec<(String, String)>> {
    c.expect_keyword("partition")?;
    c.expect(&Token::LParen)?;
    let mut out = Vec::new();
    loop {
        let k = c.ident()?;
        c.expect(&Token::Eq)?;
        out.push((k, c.value()?));
        if !c.token(&Token::Comma) {
            break;
        }
    }
    c.expect(&Token::RParen)?;
    Ok(out)
}
